/**
 * Requests between members: a request is a reliable message `to` one member carrying an id (`q`), its
 * reply a reliable message back carrying the same id (`r`), and an error code (`e`) if it failed.
 * Riding the reliable path, each is delivered exactly once across migrations, so a handler runs
 * once per request. What fails a request on the requester's side: its timeout, its signal, the
 * target leaving or being unknown to the host, the client closing, or the target's answer.
 */
import { abortError, onAbort } from '../core/abort.js';
import { SessionError, type GridlinkError } from '../core/errors.js';
import { setUnrefTimeout } from '../core/timers.js';
import type { MsgFrame } from '../protocol/frames.js';

export type RequestData = string | Uint8Array;
export type RequestHandler = (data: RequestData, info: { readonly from: string }) => unknown;

/** A request the target's handler failed: `remoteCode` is the code it threw (or GRIDLINK_REQUEST_FAILED). */
export type RequestError = GridlinkError & { readonly remoteCode?: string };

interface Pending {
  readonly to: string;
  readonly seq: number;
  readonly settle: (error: GridlinkError | undefined, data?: RequestData) => void;
}

/** How requests reach the wire: a reliable `to` message with `extra`; returns its seq. */
export type SendTo = (data: RequestData, extra: Partial<MsgFrame>) => number;

export class Requests {
  #next = 0;
  /** Created by the first request: most clients never make one (memory per idle client). */
  #pending: Map<number, Pending> | undefined;
  #handler: RequestHandler | undefined;
  #failure: (() => GridlinkError) | undefined;
  readonly #send: SendTo;

  constructor(send: SendTo) {
    this.#send = send;
  }

  /** One handler per client: a later call replaces it; undefined removes it. */
  handle(handler: RequestHandler | undefined): void {
    this.#handler = handler;
  }

  request(data: RequestData, to: string, timeoutMs: number, signal: AbortSignal | undefined): Promise<RequestData> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure());
    if (signal?.aborted === true) return Promise.reject(abortError(signal, 'request()'));
    const id = ++this.#next;
    const seq = this.#send(data, { to, q: id });
    return new Promise((resolve, reject) => {
      const timer = setUnrefTimeout(() => settle(new SessionError('GRIDLINK_REQUEST_TIMEOUT', `no reply from ${to} within ${timeoutMs} ms`, { retriable: true })), timeoutMs);
      const unsubscribe = onAbort(signal, () => settle(abortError(signal as AbortSignal, 'request()')));
      const settle = (error: GridlinkError | undefined, reply?: RequestData): void => {
        if (this.#pending?.delete(id) !== true) return;
        clearTimeout(timer);
        unsubscribe();
        if (error === undefined) resolve(reply as RequestData);
        else reject(error);
      };
      (this.#pending ??= new Map()).set(id, { to, seq, settle });
    });
  }

  /** A delivered request or reply (`frame.q` or `frame.r`) from `frame.from`. */
  receive(frame: MsgFrame, data: RequestData): void {
    const from = frame.from as string;
    if (frame.r !== undefined) {
      const pending = this.#pending?.get(frame.r);
      if (pending?.to !== from) return; // late (timed out) or not ours
      if (frame.e === undefined) pending.settle(undefined, data);
      else if (frame.e === 'GRIDLINK_NO_HANDLER') pending.settle(new SessionError('GRIDLINK_NO_HANDLER', `${from} has no request handler`));
      else pending.settle(Object.assign(new SessionError('GRIDLINK_REQUEST_FAILED', frame.d), { remoteCode: frame.e }));
      return;
    }
    const q = frame.q as number;
    const handler = this.#handler;
    if (handler === undefined) return this.#reply(from, q, '', 'GRIDLINK_NO_HANDLER');
    void (async () => handler(data, { from }))().then(
      (reply) => {
        if (reply === undefined || reply === null) reply = '';
        if (typeof reply === 'string' || reply instanceof Uint8Array) this.#reply(from, q, reply);
        else this.#reply(from, q, 'the request handler replied with something other than a string or Uint8Array', 'GRIDLINK_REQUEST_FAILED');
      },
      (error: unknown) => {
        // Only an error that says what it is (a string `code`) is passed on; never a stack.
        const code = (error as { code?: unknown } | null)?.code;
        if (typeof code === 'string' && code.length > 0) this.#reply(from, q, String((error as { message?: unknown }).message ?? '').slice(0, 1024), code.slice(0, 64));
        else this.#reply(from, q, 'the request handler failed', 'GRIDLINK_REQUEST_FAILED');
      },
    );
  }

  #reply(to: string, r: number, data: RequestData, e?: string): void {
    try {
      this.#send(data, e === undefined ? { to, r } : { to, r, e });
    } catch (error) {
      // The requester left, or the reply cannot be sent (too large, buffer full): say why instead.
      if ((error as GridlinkError).code === 'GRIDLINK_NO_SUCH_MEMBER' || e !== undefined || this.#failure !== undefined) return;
      this.#reply(to, r, (error as Error).message, (error as GridlinkError).code);
    }
  }

  /** The host will not deliver our message `seq` (`code`); true if it was a request (now failed). */
  refused(seq: number, code: string): boolean {
    for (const pending of this.#pending?.values() ?? []) {
      if (pending.seq === seq) {
        const known = code === 'GRIDLINK_MEMBER_LEFT' || code === 'GRIDLINK_NO_HANDLER' ? code : 'GRIDLINK_REJECTED';
        pending.settle(new SessionError(known, `request to ${pending.to} refused by the node (${code})`));
        return true;
      }
    }
    return false;
  }

  /** Whether `seq` is a request still waiting. */
  has(seq: number): boolean {
    for (const pending of this.#pending?.values() ?? []) if (pending.seq === seq) return true;
    return false;
  }

  /** Member `id` has left: its pending requests can never be answered. */
  left(id: string): void {
    for (const pending of [...(this.#pending?.values() ?? [])]) if (pending.to === id) pending.settle(new SessionError('GRIDLINK_MEMBER_LEFT', `${id} left before replying`));
  }

  fail(error: () => GridlinkError): void {
    this.#failure = error;
    for (const pending of [...(this.#pending?.values() ?? [])]) pending.settle(error());
  }
}
