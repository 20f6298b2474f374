/**
 * One WebSocket, opened, adapted to the narrow `Transport` the link layer uses. `dial()` is one
 * connection attempt: it resolves when the socket is open, and rejects on failure, on its timeout
 * or when its signal aborts, always releasing the socket and its listeners.
 */
import { abortError, onAbort } from '../core/abort.js';
import { ConnectError, type GridlinkError } from '../core/errors.js';
import { setUnrefTimeout } from '../core/timers.js';
import type { Platform, WebSocketLike } from '../platform/types.js';
import { SUBPROTOCOL } from '../protocol/frames.js';
import { classifyClose, classifyDialFailure } from './classify.js';

export interface TransportHandlers {
  onMessage(data: string | Uint8Array): void;
  /** Fires once, when the socket is gone; `error` is set unless we closed it ourselves. */
  onClose(error: GridlinkError | undefined): void;
}

export interface Transport {
  readonly url: string;
  readonly bufferedAmount: number;
  /** Handlers are attached once; frames that arrive before that are held, not dropped. */
  attach(handlers: TransportHandlers): void;
  send(text: string): void;
  close(code: number, reason: string): void;
}

export interface DialOptions {
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
  readonly headers?: Record<string, string>;
  /** Dial this IP (from the cloud's DNS) while Host and SNI stay the URL's name; Node only. */
  readonly address?: string;
  /** A proxy's sticky cookie (`name=value`) that routes this attempt to one node; Node only. */
  readonly cookie?: string;
  /** The connection under the socket is up, its upgrade not answered yet; Node only (see OpenWebSocketOptions). */
  readonly onConnected?: () => void;
}

const OPEN = 1;

/** What `dial()` hears while the socket opens; the transport forgets it once the dial settles. */
interface Opening {
  open(): void;
  error(event: unknown): void;
  close(): void;
}

/**
 * open -> closing (we asked) -> closed, or open -> closed (it went by itself). Whether we asked is
 * what decides if the link hears an error, so it is the state, not a flag beside it.
 */
type SocketState = { kind: 'open' } | { kind: 'closing' } | { kind: 'closed'; error: GridlinkError | undefined };

class WebSocketTransport implements Transport {
  readonly #ws: WebSocketLike;
  #handlers: TransportHandlers | undefined;
  /** Frames that came before attach(); none once attached. */
  #held: Array<string | Uint8Array> | undefined;
  #state: SocketState = { kind: 'open' };
  /**
   * The dial's watcher, until the dial settles. The socket's listeners are this transport's, added
   * once and never removed (Node's `ws` finds the listener to remove by scanning its wrappers, once
   * per event type, on every dial of a migrating crowd). Dropping the watcher lets go of the dial's
   * signal, timer and promise, as removing its listeners did.
   */
  #opening: Opening | undefined;

  constructor(
    readonly url: string,
    ws: WebSocketLike,
    opening: Opening,
  ) {
    this.#ws = ws;
    this.#opening = opening;
    ws.addEventListener('open', () => this.#opening?.open());
    ws.addEventListener('message', (event) => this.#onMessage(event.data));
    ws.addEventListener('close', (event) => {
      this.#onClose(event.code, event.reason);
      this.#opening?.close();
    });
    // Past the dial, errors end in 'close', which is what the link hears; listening at all keeps
    // an EventEmitter socket (Node's `ws`) from throwing an 'error' nobody listens to.
    ws.addEventListener('error', (event) => this.#opening?.error(event));
  }

  /** The dial settled: its watcher hears nothing more. */
  settled(): void {
    this.#opening = undefined;
  }

  get bufferedAmount(): number {
    return this.#ws.bufferedAmount;
  }

  attach(handlers: TransportHandlers): void {
    this.#handlers = handlers;
    const held = this.#held;
    this.#held = undefined;
    for (const data of held ?? []) handlers.onMessage(data);
    if (this.#state.kind === 'closed') handlers.onClose(this.#state.error);
  }

  send(text: string): void {
    if (this.#ws.readyState === OPEN) this.#ws.send(text);
  }

  close(code: number, reason: string): void {
    if (!this.#transition(['open'], { kind: 'closing' })) return;
    try {
      this.#ws.close(code, reason);
    } catch {
      this.#ws.close();
    }
  }

  /** The one guarded change of state; false when `next` is not allowed from the current state. */
  #transition(allowedFrom: ReadonlyArray<SocketState['kind']>, next: SocketState): boolean {
    if (!allowedFrom.includes(this.#state.kind)) return false;
    this.#state = next;
    return true;
  }

  #onMessage(data: unknown): void {
    const frame = typeof data === 'string' ? data : data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(0);
    if (this.#handlers === undefined) (this.#held ??= []).push(frame);
    else this.#handlers.onMessage(frame);
  }

  #onClose(code: number, reason: string): void {
    const error = this.#state.kind === 'closing' ? undefined : classifyClose(this.url, code, reason);
    if (!this.#transition(['open', 'closing'], { kind: 'closed', error })) return;
    this.#handlers?.onClose(error);
  }
}

/** Opens one WebSocket to `url`. */
export function dial(platform: Platform, url: string, options: DialOptions): Promise<Transport> {
  return new Promise<Transport>((resolve, reject) => {
    if (options.signal.aborted) {
      reject(abortError(options.signal, `dial ${url}`));
      return;
    }
    let ws: WebSocketLike;
    try {
      // The dial's options pass through as given: only the Node platform reads them.
      ws = platform.openWebSocket(url, { ...options, protocols: [SUBPROTOCOL] });
    } catch (cause) {
      reject(new ConnectError('GRIDLINK_CONNECT_FAILED', `cannot open a WebSocket to ${url}`, { cause, retriable: false }));
      return;
    }
    ws.binaryType = 'arraybuffer';
    let settled = false;
    const finish = (error: GridlinkError | undefined): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      unsubscribe();
      transport.settled();
      if (error === undefined) {
        resolve(transport);
        return;
      }
      try {
        ws.close();
      } catch {
        // already closing
      }
      reject(error);
    };
    const transport = new WebSocketTransport(url, ws, {
      open: () => {
        if (ws.protocol !== SUBPROTOCOL) finish(new ConnectError('GRIDLINK_PROTOCOL', `${url} does not speak ${SUBPROTOCOL}`, { retriable: true }));
        else finish(undefined);
      },
      error: (event) => finish(classifyDialFailure(url, event, platform.describeError)),
      close: () => finish(classifyDialFailure(url, undefined, platform.describeError)),
    });
    const timer = setUnrefTimeout(
      () => finish(new ConnectError('GRIDLINK_TIMEOUT', `no answer from ${url} within ${options.timeoutMs} ms`, { retriable: true })),
      options.timeoutMs,
    );
    const unsubscribe = onAbort(options.signal, () => finish(abortError(options.signal, `dial ${url}`)));
  });
}
