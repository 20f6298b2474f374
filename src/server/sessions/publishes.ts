/**
 * The publishes a host is delivering in one session. Each waits for every member that holds
 * senders back — the ones attached, and the ones away for their grace period (a lost link, or a
 * member a migrating one vouched for, still on its way) — exactly as a member's own message does.
 * Members away are sent it when they come back, so a publish made while its session migrates is
 * not lost to the members still in transit. A member that leaves for good, or stops holding
 * anyone back, is no longer waited for.
 */
import { GridlinkError } from '../../core/errors.js';
import type { PubFrame } from '../../protocol/frames.js';

interface Pending {
  readonly frame: PubFrame;
  /** `frame` encoded once, for every member it is sent to now or on its return. */
  readonly text: string;
  readonly waiting: Set<string>;
  confirmed: number;
  readonly done: Promise<number>;
  resolve(members: number): void;
  reject(error: GridlinkError): void;
}

/** In flight per session at once; past it a publish is refused as busy (the backend backs off). */
export const MAX_PENDING_PUBLISHES = 1_000;
/** Encoded bytes held per session for members to confirm (or come back for); past it, busy. */
export const MAX_PENDING_PUBLISH_BYTES = 16 * 1024 * 1024;

/** Where a returning member is sent what waits for it (its MemberLink; records.ts imports this file). */
export interface PublishLink {
  send(frame: PubFrame, text: string): void;
}

export class PendingPublishes {
  readonly #pending = new Map<string, Pending>();
  #bytes = 0;

  get size(): number {
    return this.#pending.size;
  }

  /**
   * Waits for `awaited` (client ids) to confirm publish `id`; resolves with how many did. `send`
   * sends it to the members attached now; the others get it from `returned`. The same id while it
   * is pending joins it (a retry through another node), and is not sent again.
   */
  wait(frame: PubFrame, text: string, awaited: readonly string[], send: () => void): Promise<number> {
    const known = this.#pending.get(frame.id);
    if (known !== undefined) return known.done;
    if (this.#pending.size >= MAX_PENDING_PUBLISHES || this.#bytes + text.length > MAX_PENDING_PUBLISH_BYTES) {
      return Promise.reject(new GridlinkError('GRIDLINK_BUSY', `over ${MAX_PENDING_PUBLISHES} publishes or ${MAX_PENDING_PUBLISH_BYTES} bytes waiting for this session's members`, { retriable: true }));
    }
    let resolve!: (members: number) => void;
    let reject!: (error: GridlinkError) => void;
    const done = new Promise<number>((res, rej) => ((resolve = res), (reject = rej)));
    this.#pending.set(frame.id, { frame, text, waiting: new Set(awaited), confirmed: 0, done, resolve, reject });
    this.#bytes += text.length;
    send();
    return done;
  }

  /** A member confirmed publishes; unknown ids (already settled, or never sent here) are ignored. */
  confirmed(client: string, ids: readonly string[]): void {
    for (const id of ids) {
      const pending = this.#pending.get(id);
      if (pending === undefined || !pending.waiting.delete(client)) continue;
      pending.confirmed++;
      if (pending.waiting.size === 0) this.#settle(id, pending).resolve(pending.confirmed);
    }
  }

  /**
   * A member is back on `link` (after its welcome): what waits for it is sent to it there. One
   * whose client turns out not to take publishes (a placeholder's, learnt from its hello) is
   * released instead.
   */
  returned(client: string, link: PublishLink, takesPublishes: boolean): void {
    if (!takesPublishes) return this.release(client);
    for (const pending of this.#pending.values()) if (pending.waiting.has(client)) link.send(pending.frame, pending.text);
  }

  /** The member left for good, or no longer holds anyone back: nothing waits for it any more. */
  release(client: string): void {
    for (const [id, pending] of this.#pending) {
      if (pending.waiting.delete(client) && pending.waiting.size === 0) this.#settle(id, pending).resolve(pending.confirmed);
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
    this.#bytes -= pending.text.length;
    return pending;
  }
}
