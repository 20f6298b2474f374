/**
 * What a session carries on top of the pipe — messages `to` one member, requests, the shared map —
 * as the `extras` piece (client/extras-piece.ts) builds it. All of it rides the session's reliable
 * path (numbered, replayed, deduplicated); this file checks what the application asks, decides what
 * a member-to-member message means, and reports, never silently, one that cannot arrive: its target
 * left before delivering it (`left.had`), or the host refused it (`refused`).
 */
import { OptionsError, SessionError, type ErrorCode, type GridlinkError } from '../core/errors.js';
import { optionKeys, optionsObject } from '../core/validate.js';
import type { MsgFrame, NodeFrame, RefusedFrame, WelcomeFrame } from '../protocol/frames.js';
import { jsonValue } from '../protocol/json.js';
import type { Outbox, OutboxEntry } from './outbox.js';
import type { Receiver } from './receiver.js';
import { Requests, type RequestData, type RequestHandler } from './requests.js';
import { SharedMap, type SharedChange } from './shared.js';

/** What the piece is handed of its session (session.ts). */
export interface ExtrasHost {
  readonly session: { send(data: RequestData, volatile: boolean, extra?: Partial<MsgFrame>): boolean };
  readonly outbox: Pick<Outbox, 'lastSeq' | 'from'>;
  /** The other members now. */
  readonly members: ReadonlyMap<string, unknown>;
  readonly receiver: Pick<Receiver, 'receive'>;
  /** The session's helper (session-api.ts SessionHelper). */
  readonly helper: { onShared(change: SharedChange): void; onError(error: GridlinkError): void };
}

export interface RequestOptions {
  to: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

const REQUEST_KEYS = optionKeys<RequestOptions>({ to: true, timeoutMs: true, signal: true });
const invalid = (message: string): OptionsError => new OptionsError('GRIDLINK_INVALID_ARGUMENT', message);

export class Extras {
  readonly shared = new SharedMap();
  /** Created by the first request, handler or incoming request (memory per idle client). */
  #requests: Requests | undefined;
  readonly #host: ExtrasHost;

  constructor(host: ExtrasHost) {
    this.#host = host;
  }

  get requests(): Requests {
    return (this.#requests ??= new Requests((data, extra) => (this.sendTo(data, false, extra), this.#host.outbox.lastSeq)));
  }

  /** `send(data, { to })`: only to a member known now, and only through a node that routes it. */
  sendTo(data: RequestData, volatile: boolean, extra: Partial<MsgFrame>): boolean {
    const to = extra.to;
    if (typeof to !== 'string') throw invalid("option 'to' must be a member's client id");
    if (!this.#host.members.has(to)) throw new SessionError('GRIDLINK_NO_SUCH_MEMBER', `no member '${to}' in this session`);
    // An older node would relay it to every member: refused rather than misdelivered.
    if (!this.shared.supported) throw new SessionError('GRIDLINK_UNSUPPORTED', 'this node does not route messages to one member');
    return this.#host.session.send(data, volatile, extra);
  }

  request(data: unknown, options: RequestOptions): Promise<RequestData> {
    if (typeof data !== 'string' && !(data instanceof Uint8Array)) throw invalid('request() takes a string or a Uint8Array');
    const given = optionsObject(options, REQUEST_KEYS, { code: 'GRIDLINK_INVALID_ARGUMENT', what: 'request() option' });
    const timeoutMs = given.timeoutMs ?? 5000;
    if (typeof timeoutMs !== 'number' || !(timeoutMs > 0)) throw invalid('request() option timeoutMs must be a positive number');
    if (given.signal !== undefined && !(given.signal instanceof AbortSignal)) throw invalid('request() option signal must be an AbortSignal');
    return this.requests.request(data, given.to as string, timeoutMs, given.signal);
  }

  handle(handler: RequestHandler | undefined): void {
    if (handler !== undefined && typeof handler !== 'function') throw invalid('onRequest() takes a function');
    this.requests.handle(handler);
  }

  /**
   * A welcome's snapshot: `shared` is current at once (before any message that follows it); its
   * events wait for the end of this task, after the session has announced its new state.
   */
  adopt(welcome: WelcomeFrame): void {
    const changes = this.shared.adopt(welcome);
    if (changes.length > 0) queueMicrotask(() => this.#report(changes));
  }

  #report(changes: readonly SharedChange[]): void {
    for (const change of changes) this.#host.helper.onShared(change);
  }

  /** A delivered message: a request or a reply is ours (true), anything else the application's. */
  take(frame: MsgFrame, data: RequestData): boolean {
    if (frame.q === undefined && frame.r === undefined) return false;
    this.requests.receive(frame, data);
    return true;
  }

  /** A node frame only this piece understands; false: not one. */
  frame(frame: NodeFrame): boolean {
    if (frame.t === 'refused') this.#refused(frame);
    else if (frame.t !== 'shared') return false;
    else {
      this.#report(this.shared.apply(frame));
      // The write's place in its writer's order: counted as delivered, nothing to hand over.
      if (frame.from !== undefined && frame.seq !== undefined) this.#host.receiver.receive({ t: 'msg', from: frame.from, seq: frame.seq, to: frame.from, d: '' });
    }
    return true;
  }

  fail(error: () => GridlinkError): void {
    this.#requests?.fail(error);
  }

  setShared(key: string, value: unknown): void {
    const checked = value === undefined ? undefined : jsonValue('setShared()', value, 'GRIDLINK_INVALID_ARGUMENT');
    this.shared.check(key, checked);
    this.#host.session.send(checked === undefined ? '' : JSON.stringify(checked), false, { k: key });
  }

  /** Member `id` left; it had delivered our messages up to `had` (unknown: none we still hold). */
  left(id: string, had: number | undefined): void {
    for (const entry of this.#host.outbox.from(0)) {
      if (entry.to === id && entry.seq > (had ?? 0)) this.#undelivered(entry, 'GRIDLINK_MEMBER_LEFT');
    }
    // Requests it had delivered but not answered.
    this.#requests?.left(id);
  }

  #refused(frame: RefusedFrame): void {
    for (const entry of this.#host.outbox.from(0)) if (entry.seq === frame.seq) this.#undelivered(entry, frame.code);
  }

  /** Reported once per message: a request fails, anything else is an `error` event. */
  #undelivered(entry: OutboxEntry, code: string): void {
    if (entry.failed === true) return;
    entry.failed = true;
    if (this.#requests?.refused(entry.seq, code) === true) return;
    const known = KNOWN.includes(code) ? (code as ErrorCode) : 'GRIDLINK_REJECTED';
    const what = entry.to === undefined ? 'a shared write' : `a message to ${entry.to}`;
    this.#host.helper.onError(new SessionError(known, `${what} (seq ${entry.seq}) was not delivered: ${code}`));
  }
}

/** Codes a `refused` frame may carry that the client reports as they are. */
export const KNOWN: readonly string[] = ['GRIDLINK_SHARED_TOO_LARGE', 'GRIDLINK_MEMBER_LEFT', 'GRIDLINK_NO_HANDLER'];
