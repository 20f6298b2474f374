/**
 * Messages the backend published into the session (`pub` frames, docs/protocol.md "Publish"), from
 * the reserved sender `@server`. A publish may arrive more than once — its backend retried it
 * after a timeout or a host's death, by the same id — so each id is delivered once, and every copy
 * is confirmed with `got`, so the retry completes. The last 1,024 ids are remembered.
 */
import { base64ToBytes } from '../core/base64.js';
import type { Link } from '../link/link.js';
import type { PubFrame } from '../protocol/frames.js';
import type { MessageMeta } from './receiver.js';

/** The `from` of every published message; client ids starting with '@' are refused, so no member can be it. */
export const SERVER_SENDER = '@server';
const REMEMBERED = 1024;

export class ServerMessages {
  /** Created by the first publish: most sessions never get one (memory per idle client). */
  #seen: Set<string> | undefined;
  /** Where a publish goes (the session's helper: an object, not a closure per session). */
  readonly #to: { onMessage(data: string | Uint8Array, meta: MessageMeta): void };

  constructor(to: { onMessage(data: string | Uint8Array, meta: MessageMeta): void }) {
    this.#to = to;
  }

  receive(link: Link, frame: PubFrame): void {
    const seen = (this.#seen ??= new Set());
    if (!seen.has(frame.id)) {
      seen.add(frame.id);
      // A Set iterates in insertion order: the first is the oldest.
      if (seen.size > REMEMBERED) seen.delete(seen.values().next().value as string);
      // The codec let through only canonical base64 (`b: 1`).
      this.#to.onMessage(frame.b === 1 ? base64ToBytes(frame.d) : frame.d, { from: SERVER_SENDER, seq: undefined, volatile: false, id: frame.id });
    }
    link.send({ t: 'got', id: frame.id });
  }
}
