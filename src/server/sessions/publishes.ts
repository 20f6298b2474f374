/**
 * The publishes a host is delivering in one session. Each is sent at once to the members attached,
 * and its answer waits for every one of them to confirm it. Members away for their grace period —
 * a lost link, or a member a migrating one vouched for, still on its way — are not waited for (a
 * closed tab must not hold a backend's publishes up for the grace period), but the publish is kept
 * for them and sent when they come back, so a publish made while a session migrates reaches the
 * members still in transit. A member that leaves for good, or stops confirming anything, is
 * released. An entry lives until its answer is given and every member it is kept for confirmed
 * it, came back without taking publishes, or was released.
 *
 *   waiting --every member present confirmed (or left, or went away)--> answered (`Delivery`)
 *   waiting --the publisher gave up (timeout, abort) / the session left--> gone (rejected)
 *   answered --every member away confirmed or was released-------------> gone
 */
import { GridlinkError } from '../../core/errors.js';
import type { PubFrame } from '../../protocol/frames.js';

/** How a publish went on the host: members present that confirmed it, and members away it is kept for. */
export interface Delivery {
  readonly members: number;
  readonly away: number;
}

interface Pending {
  readonly frame: PubFrame;
  /** `frame` encoded once, for every member it is sent to now or on its return. */
  readonly text: string;
  /** Members the answer waits for: attached when it was sent, or back before the answer. */
  readonly present: Set<string>;
  /** Members away it is kept for. */
  readonly away: Set<string>;
  confirmed: number;
  answered: boolean;
  readonly done: Promise<Delivery>;
  resolve(delivery: Delivery): void;
  reject(error: GridlinkError): void;
}

/** Where a returning member is sent what is kept for it (its MemberLink; records.ts imports this file). */
export interface PublishLink {
  send(frame: PubFrame, text: string): void;
}

/** In flight per session at once; past it a publish is refused as busy (the backend backs off). */
export const MAX_PENDING_PUBLISHES = 1_000;
/** Encoded bytes held per session for members to confirm (or come back for); past it, busy. */
export const MAX_PENDING_PUBLISH_BYTES = 16 * 1024 * 1024;

export class PendingPublishes {
  readonly #pending = new Map<string, Pending>();
  #bytes = 0;

  get size(): number {
    return this.#pending.size;
  }

  /**
   * Publish `frame`: `send` sends it to the members attached now, `present` (client ids); it is
   * kept for `away`. Resolves once every member present confirmed it. The same id while it is
   * pending joins it (a retry through another node), and is not sent again.
   */
  wait(frame: PubFrame, text: string, present: readonly string[], away: readonly string[], send: () => void): Promise<Delivery> {
    const known = this.#pending.get(frame.id);
    if (known !== undefined) return known.done;
    if (this.#pending.size >= MAX_PENDING_PUBLISHES || this.#bytes + text.length > MAX_PENDING_PUBLISH_BYTES) {
      return Promise.reject(new GridlinkError('GRIDLINK_BUSY', `over ${MAX_PENDING_PUBLISHES} publishes or ${MAX_PENDING_PUBLISH_BYTES} bytes waiting for this session's members`, { retriable: true }));
    }
    let resolve!: (delivery: Delivery) => void;
    let reject!: (error: GridlinkError) => void;
    const done = new Promise<Delivery>((res, rej) => ((resolve = res), (reject = rej)));
    const pending: Pending = { frame, text, present: new Set(present), away: new Set(away), confirmed: 0, answered: false, done, resolve, reject };
    this.#pending.set(frame.id, pending);
    this.#bytes += text.length;
    send();
    this.#progress(pending);
    return done;
  }

  /** A member confirmed publishes; unknown ids (already settled, or never sent here) are ignored. */
  confirmed(client: string, ids: readonly string[]): void {
    for (const id of ids) {
      const pending = this.#pending.get(id);
      if (pending === undefined) continue;
      if (pending.present.delete(client)) pending.confirmed++;
      else if (!pending.away.delete(client)) continue;
      this.#progress(pending);
    }
  }

  /** The member's link went: the answers no longer wait for it; what it had not confirmed is kept for its return. */
  detached(client: string): void {
    for (const pending of this.#pending.values()) {
      if (!pending.present.delete(client)) continue;
      pending.away.add(client);
      this.#progress(pending);
    }
  }

  /**
   * A member is back on `link` (after its welcome): what is kept for it is sent to it there, and an
   * answer not given yet waits for it again. One whose client turns out not to take publishes (a
   * placeholder's, learnt from its hello) is released instead.
   */
  returned(client: string, link: PublishLink, takesPublishes: boolean): void {
    if (!takesPublishes) return this.release(client);
    for (const pending of this.#pending.values()) {
      if (!pending.away.has(client)) continue;
      link.send(pending.frame, pending.text);
      if (pending.answered) continue;
      pending.away.delete(client);
      pending.present.add(client);
    }
  }

  /** The member left for good, or no longer holds anyone back: nothing waits for it or is kept for it. */
  release(client: string): void {
    for (const pending of this.#pending.values()) {
      if (pending.present.delete(client) || pending.away.delete(client)) this.#progress(pending);
    }
  }

  /** The publisher gave up (timeout, abort) before the answer: it fails with `error`, and a retry sends it again. */
  abandon(id: string, error: GridlinkError): void {
    const pending = this.#pending.get(id);
    if (pending !== undefined && !pending.answered) this.#drop(pending).reject(error);
  }

  /** The session ended or the node closes. */
  stop(): void {
    for (const pending of this.#pending.values()) {
      this.#drop(pending);
      if (!pending.answered) pending.reject(new GridlinkError('GRIDLINK_PUBLISH_FAILED', 'the session left this node', { retriable: true }));
    }
  }

  /** Answers once nobody present is left to confirm; forgets the publish once nobody away is either. */
  #progress(pending: Pending): void {
    if (!pending.answered && pending.present.size === 0) {
      pending.answered = true;
      pending.resolve({ members: pending.confirmed, away: pending.away.size });
    }
    if (pending.answered && pending.away.size === 0) this.#drop(pending);
  }

  #drop(pending: Pending): Pending {
    if (this.#pending.delete(pending.frame.id)) this.#bytes -= pending.text.length;
    return pending;
  }
}
