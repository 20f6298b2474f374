/**
 * A link: the gridlink protocol on one open transport to one node. It owns the handshake
 * (hello -> welcome | redirect | error), frame decoding, the heartbeat, and a clear reason when it
 * ends. It knows nothing of sessions beyond the hello it is given; what arrives after the welcome
 * goes to the `LinkHost` the session attaches.
 */
import { abortError, onAbort } from '../core/abort.js';
import { ConnectError, GridlinkError, LinkError } from '../core/errors.js';
import { setUnrefTimeout } from '../core/timers.js';
import type { Transport } from '../dial/transport.js';
import { decodeNodeFrame, encodeFrame } from '../protocol/codec.js';
import {
  CloseCode,
  type ClientFrame,
  type HeartbeatSettings,
  type HelloFrame,
  type NodeFrame,
  type NodeInfo,
  type WelcomeFrame,
} from '../protocol/frames.js';
import { Liveness } from '../core/liveness.js';

export interface LinkHost {
  /** A frame arrived after the welcome (never `welcome`; `redirect` here means the session moved). */
  onFrame(frame: NodeFrame): void;
  /** The link ended without us closing it. Called at most once. */
  onDead(error: GridlinkError): void;
}

export interface LinkSettings {
  readonly heartbeat: HeartbeatSettings;
  readonly maxFrameBytes: number;
  readonly now: () => number;
}

export type JoinResult =
  | { readonly kind: 'welcome'; readonly welcome: WelcomeFrame }
  | { readonly kind: 'redirect'; readonly node: NodeInfo; readonly reason: string };

type LinkState =
  | { kind: 'idle' }
  | { kind: 'handshaking'; settle: (result: JoinResult | GridlinkError) => void }
  | { kind: 'open'; held: NodeFrame[]; heldDeath: GridlinkError | undefined; host: LinkHost | undefined }
  | { kind: 'closed' };

/**
 * Maps a node's `error` frame to our codes: a refused join is final, a draining or busy node is
 * not. `unauthorized` is final here; the connector makes it retriable when `getToken` can fetch a
 * fresh token for the next attempt.
 */
function nodeRefusal(node: NodeInfo, code: string, message: string): GridlinkError {
  const text = `node ${node.id} refused the join (${code}: ${message.slice(0, 200)})`;
  if (code === 'rejected') return new ConnectError('GRIDLINK_REJECTED', text, { retriable: false });
  if (code === 'unauthorized') return new ConnectError('GRIDLINK_UNAUTHORIZED', text, { retriable: false });
  if (code === 'version') return new ConnectError('GRIDLINK_PROTOCOL', text, { retriable: false });
  return new ConnectError('GRIDLINK_CONNECT_FAILED', text, { retriable: true });
}

export class Link {
  #state: LinkState = { kind: 'idle' };
  readonly #heartbeat: Liveness;
  #pingId = 0;
  readonly #pongWaiters = new Map<number, () => void>();

  constructor(
    private readonly transport: Transport,
    /** The node as we dialled it; the welcome may name it more precisely. */
    readonly node: NodeInfo,
    private readonly settings: LinkSettings,
  ) {
    this.#heartbeat = new Liveness(
      {
        sendPing: () => this.send({ t: 'ping' }),
        onDead: (silentMs) =>
          this.#die(new LinkError('GRIDLINK_HEARTBEAT_TIMEOUT', `no frame from node ${node.id} for ${Math.round(silentMs)} ms`, { retriable: true }), CloseCode.heartbeatTimeout),
      },
      settings.heartbeat,
      settings.now,
    );
    transport.attach({
      onMessage: (data) => this.#onMessage(data),
      onClose: (error) => this.#die(error ?? new LinkError('GRIDLINK_LINK_LOST', `link to ${node.id} closed`, { retriable: true })),
    });
  }

  get isOpen(): boolean {
    return this.#state.kind === 'open';
  }

  get bufferedAmount(): number {
    return this.transport.bufferedAmount;
  }

  /** Milliseconds since the node last sent anything. */
  silentFor(): number {
    return this.#heartbeat.silentFor();
  }

  /** Sends `hello` and waits for the node's answer. Rejects on error, close, timeout or abort. */
  join(hello: HelloFrame, options: { timeoutMs: number; signal: AbortSignal }): Promise<JoinResult> {
    return new Promise<JoinResult>((resolve, reject) => {
      if (this.#state.kind !== 'idle') {
        reject(new LinkError('GRIDLINK_PROTOCOL', 'join() called twice on one link'));
        return;
      }
      const timer = setUnrefTimeout(
        () => this.#fail(new ConnectError('GRIDLINK_TIMEOUT', `node ${this.node.id} did not answer hello within ${options.timeoutMs} ms`, { retriable: true })),
        options.timeoutMs,
      );
      const unsubscribe = onAbort(options.signal, () => this.#fail(abortError(options.signal, `join via ${this.node.id}`)));
      this.#state = {
        kind: 'handshaking',
        settle: (result) => {
          clearTimeout(timer);
          unsubscribe();
          if (result instanceof GridlinkError) reject(result);
          else resolve(result);
        },
      };
      this.send(hello);
    });
  }

  /** Starts delivering post-welcome frames (and a death that already happened) to `host`. */
  attach(host: LinkHost): void {
    const state = this.#state;
    if (state.kind !== 'open' || state.host !== undefined) return;
    state.host = host;
    for (const frame of state.held.splice(0)) host.onFrame(frame);
    if (state.heldDeath !== undefined) {
      const death = state.heldDeath;
      this.#state = { kind: 'closed' };
      host.onDead(death);
    }
  }

  send(frame: ClientFrame): void {
    this.sendText(encodeFrame(frame));
  }

  /** Sends an already encoded frame (the outbox keeps messages encoded for cheap replay). */
  sendText(text: string): void {
    if (this.#state.kind === 'closed') return;
    this.transport.send(text);
    this.#heartbeat.sent();
  }

  /** Round trip to the node, measured with a ping that asks for a pong. */
  ping(options: { timeoutMs: number }): Promise<number> {
    const id = ++this.#pingId;
    const started = this.settings.now();
    return new Promise<number>((resolve, reject) => {
      const timer = setUnrefTimeout(() => {
        this.#pongWaiters.delete(id);
        reject(new LinkError('GRIDLINK_TIMEOUT', `no pong from node ${this.node.id} within ${options.timeoutMs} ms`, { retriable: true }));
      }, options.timeoutMs);
      this.#pongWaiters.set(id, () => {
        clearTimeout(timer);
        resolve(this.settings.now() - started);
      });
      this.send({ t: 'ping', id });
    });
  }

  /** Closes the link on purpose; the host is not told (it asked). */
  close(code: number = CloseCode.normal, reason = 'closed by client'): void {
    if (this.#state.kind === 'closed') return;
    const state = this.#state;
    this.#state = { kind: 'closed' };
    this.#heartbeat.stop();
    if (state.kind === 'handshaking') state.settle(new LinkError('GRIDLINK_LINK_LOST', 'link closed during handshake', { retriable: true }));
    this.transport.close(code, reason);
  }

  #onMessage(data: string | Uint8Array): void {
    if (this.#state.kind === 'closed') return;
    this.#heartbeat.received();
    let frame: NodeFrame;
    try {
      frame = decodeNodeFrame(data, { maxFrameBytes: this.settings.maxFrameBytes });
    } catch (error) {
      const code = error instanceof GridlinkError && error.code === 'GRIDLINK_FRAME_TOO_LARGE' ? CloseCode.tooLarge : CloseCode.protocolError;
      this.#die(error as GridlinkError, code);
      return;
    }
    if (frame.t === 'ping') {
      if (frame.id !== undefined) this.send({ t: 'pong', id: frame.id });
      return;
    }
    if (frame.t === 'pong') {
      this.#pongWaiters.get(frame.id)?.();
      this.#pongWaiters.delete(frame.id);
      return;
    }
    const state = this.#state;
    if (state.kind === 'handshaking') this.#onHandshakeFrame(frame, state.settle);
    else if (state.kind === 'open') {
      if (frame.t === 'welcome') {
        this.#die(new LinkError('GRIDLINK_PROTOCOL', `unexpected '${frame.t}' after the handshake from node ${this.node.id}`), CloseCode.protocolError);
      } else if (state.host === undefined) state.held.push(frame);
      else state.host.onFrame(frame);
    } else {
      this.#die(new LinkError('GRIDLINK_PROTOCOL', `node ${this.node.id} sent '${frame.t}' before any hello`), CloseCode.protocolError);
    }
  }

  #onHandshakeFrame(frame: NodeFrame, settle: (result: JoinResult | GridlinkError) => void): void {
    switch (frame.t) {
      case 'welcome':
        this.#state = { kind: 'open', held: [], heldDeath: undefined, host: undefined };
        this.#heartbeat.start();
        settle({ kind: 'welcome', welcome: frame });
        return;
      case 'redirect':
        // Settle before closing: close() would otherwise settle the join as a failure.
        this.#state = { kind: 'closed' };
        this.transport.close(CloseCode.normal, 'following redirect');
        settle({ kind: 'redirect', node: frame.node, reason: frame.reason });
        return;
      case 'error':
        this.#fail(nodeRefusal(this.node, frame.code, frame.message));
        return;
      default:
        this.#fail(new LinkError('GRIDLINK_PROTOCOL', `node ${this.node.id} sent '${frame.t}' before its welcome`), CloseCode.protocolError);
    }
  }

  /** Handshake failure: settle the join with `error` and close. */
  #fail(error: GridlinkError, code: number = CloseCode.normal): void {
    const state = this.#state;
    if (state.kind !== 'handshaking') {
      this.#die(error, code);
      return;
    }
    this.#state = { kind: 'closed' };
    this.transport.close(code, error.code);
    state.settle(error);
  }

  /** The link ended on its own (or broke the protocol): tell whoever is waiting, once. */
  #die(error: GridlinkError, closeCode: number = CloseCode.normal): void {
    const state = this.#state;
    if (state.kind === 'closed') return;
    if (state.kind === 'handshaking' || state.kind === 'idle') {
      if (state.kind === 'handshaking') this.#fail(error, closeCode);
      else {
        this.#state = { kind: 'closed' };
        this.transport.close(closeCode, error.code);
      }
      return;
    }
    this.#heartbeat.stop();
    if (state.host === undefined) {
      // Not attached yet: keep the first cause of death for the session to see on attach().
      if (state.heldDeath !== undefined) return;
      state.heldDeath = error;
      this.transport.close(closeCode, error.code);
      return;
    }
    this.#state = { kind: 'closed' };
    this.transport.close(closeCode, error.code);
    state.host.onDead(error);
  }
}
