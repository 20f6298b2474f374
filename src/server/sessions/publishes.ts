/**
 * The publishes a host is delivering in one session. Each was sent to the members attached at that
 * moment and waits for every one of them to confirm it. A member that detaches first makes it
 * fail (retriable): that member may be joining another node, and a retry with the same id reaches
 * it there, while the members that have it already drop the copy.
 */
import { GridlinkError } from '../../core/errors.js';

interface Pending {
  readonly waiting: Set<string>;
  readonly members: number;
  readonly done: Promise<number>;
  resolve(members: number): void;
  reject(error: GridlinkError): void;
}

/** In flight per session at once; past it a publish is refused as busy (the backend backs off). */
export const MAX_PENDING_PUBLISHES = 1_000;

export class PendingPublishes {
  readonly #pending = new Map<string, Pending>();

  get size(): number {
    return this.#pending.size;
  }

  /**
   * Waits for `members` (client ids) to confirm publish `id`; resolves with how many did. The same
   * id while it is pending joins it (a retry through another node), and is not sent again.
   */
  wait(id: string, members: readonly string[], send: () => void): Promise<number> {
    const known = this.#pending.get(id);
    if (known !== undefined) return known.done;
    if (this.#pending.size >= MAX_PENDING_PUBLISHES) {
      return Promise.reject(new GridlinkError('GRIDLINK_BUSY', `over ${MAX_PENDING_PUBLISHES} publishes waiting for this session's members`, { retriable: true }));
    }
    let resolve!: (members: number) => void;
    let reject!: (error: GridlinkError) => void;
    const done = new Promise<number>((res, rej) => ((resolve = res), (reject = rej)));
    const pending: Pending = { waiting: new Set(members), members: members.length, done, resolve, reject };
    this.#pending.set(id, pending);
    send();
    return done;
  }

  /** A member confirmed publishes; unknown ids (already settled, or never sent here) are ignored. */
  confirmed(client: string, ids: readonly string[]): void {
    for (const id of ids) {
      const pending = this.#pending.get(id);
      if (pending === undefined || !pending.waiting.delete(client)) continue;
      if (pending.waiting.size === 0) this.#settle(id, pending).resolve(pending.members);
    }
  }

  /** The member's link is gone: what waits for it fails, to be retried where it goes next. */
  detached(client: string): void {
    for (const [id, pending] of this.#pending) {
      if (!pending.waiting.has(client)) continue;
      this.#settle(id, pending).reject(new GridlinkError('GRIDLINK_PUBLISH_FAILED', `member '${client}' left this node before confirming publish ${id}`, { retriable: true }));
    }
  }

  /** The publisher gave up (timeout, abort): it fails with `error`, and a retry sends it again. */
  abandon(id: string, error: GridlinkError): void {
    const pending = this.#pending.get(id);
    if (pending !== undefined) this.#settle(id, pending).reject(error);
  }

  /** The session ended or the node closes. */
  stop(): void {
    for (const [id, pending] of this.#pending) {
      this.#settle(id, pending).reject(new GridlinkError('GRIDLINK_PUBLISH_FAILED', 'the session left this node', { retriable: true }));
    }
  }

  #settle(id: string, pending: Pending): Pending {
    this.#pending.delete(id);
    return pending;
  }
}
