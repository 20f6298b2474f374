/**
 * What a session carries on top of the pipe: messages `to` one member, requests, and the shared map.
 * All of it rides the session's reliable path (numbered, replayed, deduplicated); this file decides
 * what a member-to-member message means and reports, never silently, one that cannot arrive: its
 * target left before delivering it (`left.had`), or the host refused it (`refused`).
 */
import { SessionError, type GridlinkError } from '../core/errors.js';
import type { JsonValue, MsgFrame, RefusedFrame, SharedFrame, WelcomeFrame } from '../protocol/frames.js';
import type { OutboxEntry } from './outbox.js';
import { Requests, type RequestData } from './requests.js';
import { SharedMap, type SharedChange } from './shared.js';

export interface ExtrasHost {
  /** Sends reliably with `extra` fields; returns the seq. */
  send(data: RequestData, extra: Partial<MsgFrame>): number;
  /** Unconfirmed outbox entries, in order. */
  unconfirmed(): Iterable<OutboxEntry>;
  onShared(change: SharedChange): void;
  onError(error: GridlinkError): void;
}

export class Extras {
  readonly shared = new SharedMap();
  readonly requests: Requests;
  readonly #host: ExtrasHost;

  constructor(host: ExtrasHost) {
    this.#host = host;
    this.requests = new Requests((data, extra) => host.send(data, extra));
  }

  adopt(welcome: WelcomeFrame): SharedChange[] {
    return this.shared.adopt(welcome);
  }

  report(changes: readonly SharedChange[]): void {
    for (const change of changes) this.#host.onShared(change);
  }

  setShared(key: string, value: JsonValue | undefined): void {
    this.shared.check(key, value);
    this.#host.send(value === undefined ? '' : JSON.stringify(value), { k: key });
  }

  onShared(frame: SharedFrame): void {
    this.report(this.shared.apply(frame));
  }

  /** Member `id` left; it had delivered our messages up to `had` (unknown: none we still hold). */
  left(id: string, had: number | undefined): void {
    this.requests.left(id);
    for (const entry of this.#host.unconfirmed()) {
      if (entry.to === id && entry.seq > (had ?? 0)) this.#undelivered(entry, 'GRIDLINK_MEMBER_LEFT');
    }
  }

  refused(frame: RefusedFrame): void {
    for (const entry of this.#host.unconfirmed()) if (entry.seq === frame.seq) this.#undelivered(entry, frame.code);
  }

  /** Reported once per message: a request fails, anything else is an `error` event. */
  #undelivered(entry: OutboxEntry, code: string): void {
    if (entry.failed === true) return;
    entry.failed = true;
    if (this.requests.refused(entry.seq, code)) return;
    const known = code === 'GRIDLINK_SHARED_TOO_LARGE' || code === 'GRIDLINK_MEMBER_LEFT' ? code : 'GRIDLINK_REJECTED';
    const what = entry.to === undefined ? 'a shared write' : `a message to ${entry.to}`;
    this.#host.onError(new SessionError(known, `${what} (seq ${entry.seq}) was not delivered: ${code}`));
  }
}
