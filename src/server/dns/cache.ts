/**
 * Answers are a function of three things: the query's bytes after its id, the cloud snapshot, and
 * the asker (its address feeds proximity and the rotation, which advances once a second). Within
 * one second a resolver asks the same few questions over and over, so the encoded answer is kept
 * under that key and reused with the new id patched in: encoding (dns-packet writes every name
 * label by label) is most of a query's cost, and a hit skips decoding and ranking too.
 */
import type { CloudSnapshot } from './view.js';

/** Enough for every question a busy zone gets in one second; more distinct keys only reset it. */
const MAX_ENTRIES = 2048;

export class AnswerCache {
  private entries = new Map<string, Buffer>();
  private second = -1;

  /** The cached answer for `key` with `id` patched in, or undefined. */
  get(key: string, id: number, second: number): Buffer | undefined {
    if (second !== this.second) {
      // A new second means a new rotation: everything cached is stale at once.
      this.second = second;
      this.entries = new Map();
      return undefined;
    }
    const cached = this.entries.get(key);
    if (cached === undefined) return undefined;
    const answer = Buffer.from(cached);
    answer.writeUInt16BE(id, 0);
    return answer;
  }

  set(key: string, answer: Buffer | undefined): void {
    if (answer === undefined || answer.length < 2) return;
    // A flood of distinct queries must not grow memory: start over rather than track recency.
    if (this.entries.size >= MAX_ENTRIES) this.entries = new Map();
    this.entries.set(key, answer);
  }
}

/** Everything in a snapshot that can change an answer, as one string. */
export function snapshotKey(snapshot: CloudSnapshot): string {
  let key = snapshot.self ?? '';
  for (const node of snapshot.nodes) {
    key += `\n${node.id} ${node.address} ${node.port} ${node.load.links} ${node.load.sessions} ${node.healthy ? 1 : 0}${node.draining === true ? 1 : 0} ${node.region ?? ''} ${node.subnets?.join(',') ?? ''}`;
  }
  return key;
}
