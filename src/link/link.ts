/**
 * A link: the gridlink protocol on one open transport to one node. It owns the handshake
 * (hello -> welcome | redirect | error), frame decoding, the heartbeat, and a clear reason when it
 * ends. It knows nothing of sessions beyond the hello it is given; what arrives after the welcome
 * goes to the `LinkHost` the session attaches.
 *
 * One state variable and one guarded `#transition()`; every move and its reason:
 *
 *   idle        --join()--------------------------------------------> handshaking
 *   idle        --transport lost | frame before hello | close()-----> closed
 *   handshaking --welcome--------------------------------------------> open
 *   handshaking --redirect | node error | bad frame | timeout |
 *                 abort | transport lost | close()-------------------> closed
 *   open        --death (lost, silent, bad frame) with no host yet---> deadBeforeAttach
 *   open        --death with a host | close()------------------------> closed
 *   deadBeforeAttach --attach() (host hears the death) | close()----> closed
 *
 * Callbacks that outlive their state (a handshake timer, an abort, the transport closing after we
 * closed it, a frame already in flight) ask for a move the current state does not allow, and the
 * transition refuses it.
 */
import { abortError, onAbort } from '../core/abort.js';
import { ConnectError, GridlinkError, isGridlinkError, LinkError } from '../core/errors.js';
import { Liveness } from '../core/liveness.js';
import { setUnrefTimeout, type TimerHandle } from '../core/timers.js';
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
import { internList, internNode } from '../resolve/intern.js';
import { answerFor, closeFor, nodeRefusal, type Cause as CauseOf, type HandshakeResult } from './causes.js';
import { askCloud, suspectAfter, type Verdict } from './suspicion.js';

/** Each call names the link, so one host object can serve every link of its owner. */
export interface LinkHost {
  /** A frame arrived after the welcome (never `welcome`; `redirect` here means the session moved). */
  onFrame(frame: NodeFrame, link: Link): void;
  /** The link ended without us closing it. Called at most once. */
  onDead(error: GridlinkError, link: Link): void;
}

/** What a witness is asked about: the quiet node, its session and the cloud its welcome listed. */
export interface WitnessQuestion {
  readonly session: string;
  readonly node: NodeInfo;
  readonly nodes: readonly NodeInfo[];
}

export interface LinkSettings {
  readonly heartbeat: HeartbeatSettings;
  readonly maxFrameBytes: number;
  readonly now: () => number;
  /**
   * Asks the cloud whether the node that welcomed us is gone (suspicion.ts); without it, only the
   * heartbeat timeout ends a silent link. Must not reject; a failure is `unknown`. Called as a
   * method of the settings (they may be a class instance).
   */
  readonly witness?: (about: WitnessQuestion, signal: AbortSignal) => Promise<Verdict>;
}

type LinkState =
  | { readonly kind: 'idle' }
  /** Hello sent. The join's promise, its deadline and its abort listener belong to this state only. */
  | {
      readonly kind: 'handshaking';
      readonly settle: (answer: HandshakeResult | GridlinkError) => void;
      readonly timer: TimerHandle;
      readonly unsubscribe: () => void;
    }
  /** Welcomed. Frames wait in `held` until the session attaches its host. */
  | { readonly kind: 'open'; readonly held: NodeFrame[]; host: LinkHost | undefined }
  /**
   * Died after the welcome but before the session attached: the transport is closed already, and
   * the first cause of death waits here (after the frames that came before it) for attach().
   */
  | { readonly kind: 'deadBeforeAttach'; readonly held: readonly NodeFrame[]; readonly death: GridlinkError }
  | { readonly kind: 'closed' };

type Kind = LinkState['kind'];
type Cause = CauseOf<LinkHost>;

export type { HandshakeResult };

/** States in which the node's frames still mean something and death is still news (else no error is built). */
const LIVE: readonly Kind[] = ['idle', 'handshaking', 'open'];
const CLOSED: LinkState = { kind: 'closed' };

export class Link {
  #state: LinkState = { kind: 'idle' };
  /** Ours until the welcome; then at least the node's, which relays messages up to its own limit. */
  #maxFrameBytes: number;
  readonly #heartbeat: Liveness;
  /** Set with the welcome when the link has a witness and the heartbeat leaves room for a question. */
  #about: WitnessQuestion | undefined;
  /** The last question about a silent node (suspicion.ts); aborted when a frame arrives or the link ends. */
  #question: AbortController | undefined;
  #pingId = 0;
  /** Created by the first `ping()` that waits (memory per idle client). */
  #pongWaiters: Map<number, () => void> | undefined;

  constructor(
    private readonly transport: Transport,
    /** The node as we dialled it; the welcome may name it more precisely. */
    readonly node: NodeInfo,
    private readonly settings: LinkSettings,
  ) {
    this.#maxFrameBytes = settings.maxFrameBytes;
    this.#heartbeat = new Liveness(
      {
        sendPing: () => this.send({ t: 'ping' }),
        onDead: (silentMs) =>
          this.#die(
            new LinkError('GRIDLINK_HEARTBEAT_TIMEOUT', `no frame from node ${node.id} for ${Math.round(silentMs)} ms`, { retriable: true }),
            CloseCode.heartbeatTimeout,
          ),
        onSilent: () => this.#ask(),
        onHeard: () => this.#stopAsking(),
      },
      settings.heartbeat,
      settings.now,
    );
    transport.attach({
      onMessage: (data) => this.#onMessage(data),
      onClose: (error) => LIVE.includes(this.#state.kind) && this.#die(error ?? new LinkError('GRIDLINK_LINK_LOST', `link to ${node.id} closed`, { retriable: true }), CloseCode.normal),
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
  join(hello: HelloFrame, options: { timeoutMs: number; signal: AbortSignal }): Promise<HandshakeResult> {
    return new Promise<HandshakeResult>((resolve, reject) => {
      if (this.#state.kind !== 'idle') {
        reject(new LinkError('GRIDLINK_PROTOCOL', `join() called on a link that is ${this.#state.kind}, not idle`));
        return;
      }
      const { signal } = options;
      if (signal.aborted) {
        // onAbort() would fire before the handshaking state exists; no hello for a join nobody awaits.
        const error = abortError(signal, `join via ${this.node.id}`);
        this.#transition(['idle'], CLOSED, { kind: 'death', error, closeCode: CloseCode.normal });
        reject(error);
        return;
      }
      const timer = setUnrefTimeout(() => {
        const error = new ConnectError('GRIDLINK_TIMEOUT', `node ${this.node.id} did not answer hello within ${options.timeoutMs} ms`, { retriable: true });
        this.#transition(['handshaking'], CLOSED, { kind: 'death', error, closeCode: CloseCode.normal });
      }, options.timeoutMs);
      const unsubscribe = onAbort(signal, () => {
        const error = abortError(signal, `join via ${this.node.id}`);
        this.#transition(['handshaking'], CLOSED, { kind: 'death', error, closeCode: CloseCode.normal });
      });
      const settle = (answer: HandshakeResult | GridlinkError): void => {
        if (answer instanceof GridlinkError) reject(answer);
        else resolve(answer);
      };
      this.#transition(['idle'], { kind: 'handshaking', settle, timer, unsubscribe }, { kind: 'hello' });
      this.send(hello);
    });
  }

  /** Starts delivering post-welcome frames (and a death that already happened) to `host`. */
  attach(host: LinkHost): void {
    const state = this.#state;
    if (state.kind === 'open' && state.host === undefined) {
      state.host = host;
      this.#deliverHeld(state, state.held.splice(0), host);
    } else if (state.kind === 'deadBeforeAttach') {
      this.#deliverHeld(state, state.held, host);
      this.#transition(['deadBeforeAttach'], CLOSED, { kind: 'attach', host });
    }
  }

  send(frame: ClientFrame): void {
    this.sendText(encodeFrame(frame));
  }

  /** Sends an already encoded frame (the outbox keeps messages encoded for cheap replay). */
  sendText(text: string): void {
    if (!LIVE.includes(this.#state.kind)) return;
    this.transport.send(text);
    this.#heartbeat.sent();
  }

  /** Round trip to the node, measured with a ping that asks for a pong. */
  ping(options: { timeoutMs: number }): Promise<number> {
    const id = ++this.#pingId;
    const started = this.settings.now();
    return new Promise<number>((resolve, reject) => {
      const timer = setUnrefTimeout(() => {
        this.#pongWaiters?.delete(id);
        reject(new LinkError('GRIDLINK_TIMEOUT', `no pong from node ${this.node.id} within ${options.timeoutMs} ms`, { retriable: true }));
      }, options.timeoutMs);
      (this.#pongWaiters ??= new Map()).set(id, () => {
        clearTimeout(timer);
        resolve(this.settings.now() - started);
      });
      this.send({ t: 'ping', id });
    });
  }

  /**
   * Asks the node now rather than waiting for the heartbeat timer (the platform slept, the network
   * came back): a link that does not answer within `timeoutMs` dies as silent, and its host hears it.
   */
  check(timeoutMs: number, why: string): void {
    this.ping({ timeoutMs }).catch((cause: unknown) =>
      this.#die(new LinkError('GRIDLINK_HEARTBEAT_TIMEOUT', `node ${this.node.id} did not answer a check (${why})`, { cause, retriable: true }), CloseCode.heartbeatTimeout),
    );
  }

  /** Closes the link on purpose; the host is not told (it asked). */
  close(code: number = CloseCode.normal, reason = 'closed by client'): void {
    this.#transition(['idle', 'handshaking', 'open', 'deadBeforeAttach'], CLOSED, { kind: 'close', closeCode: code, reason });
  }

  /**
   * The one place the state changes. Refuses a move from any state not in `allowedFrom`; otherwise
   * answers a join still waiting, runs the new state's on-enter effects, and tells the host last
   * (it may call back into the link, which by then is in its new state).
   */
  #transition(allowedFrom: readonly Kind[], next: LinkState, cause: Cause): boolean {
    const from = this.#state;
    if (!allowedFrom.includes(from.kind)) return false;
    this.#state = next;
    if (from.kind === 'handshaking') {
      clearTimeout(from.timer);
      from.unsubscribe();
      // Answered before the transport closes, so a redirect is the join's answer, not a loss.
      from.settle(answerFor(cause));
    }
    switch (next.kind) {
      case 'idle':
      case 'handshaking':
        break;
      case 'open':
        this.#heartbeat.start(cause.kind === 'welcome' ? this.#suspectAfter(cause.welcome) : undefined);
        break;
      case 'deadBeforeAttach':
      case 'closed': {
        this.#heartbeat.stop();
        this.#stopAsking();
        // A link that died before attach closed its transport then, with the death's own code.
        if (from.kind !== 'deadBeforeAttach') {
          const { code, reason } = closeFor(cause);
          this.transport.close(code, reason);
        }
        break;
      }
    }
    if (cause.kind === 'death' && from.kind === 'open' && from.host !== undefined) from.host.onDead(cause.error, this);
    if (cause.kind === 'attach' && from.kind === 'deadBeforeAttach') cause.host.onDead(from.death, this);
    return true;
  }

  /**
   * The silence after which the cloud is asked about the node (suspicion.ts), when there is a
   * witness and the heartbeat leaves room for a question; only what the question needs is kept,
   * not the whole welcome (members, meta, shared map), and the nodes as shared copies (intern.ts):
   * memory per idle client.
   */
  #suspectAfter(welcome: WelcomeFrame): number | undefined {
    const suspectMs = this.settings.witness === undefined ? undefined : suspectAfter(this.settings.heartbeat, welcome.heartbeat);
    if (suspectMs !== undefined) this.#about = { session: welcome.session, node: internNode(welcome.node), nodes: internList(welcome.nodes) };
    return suspectMs;
  }

  /** The node has been silent for a while: ask the cloud (suspicion.ts); only `dead` ends the link early. */
  #ask(): void {
    const { settings } = this;
    const about = this.#about;
    if (settings.witness === undefined || about === undefined) return;
    this.#question = askCloud(
      // Called on the settings: a method of a class instance (session/connector.ts) needs its `this`.
      (signal) => settings.witness?.(about, signal) ?? Promise.resolve('unknown'),
      () =>
        this.#die(
          new LinkError('GRIDLINK_HEARTBEAT_TIMEOUT', `no frame from node ${about.node.id} for ${Math.round(this.silentFor())} ms, and the cloud confirms it is gone`, { retriable: true }),
          CloseCode.heartbeatTimeout,
        ),
    );
  }

  #stopAsking(): void {
    this.#question?.abort();
    this.#question = undefined;
  }

  /** The link ended on its own (or the node broke the protocol); a link already ended ignores it. */
  #die(error: GridlinkError, closeCode: CloseCode): void {
    const state = this.#state;
    const cause: Cause = { kind: 'death', error, closeCode };
    if (state.kind === 'open' && state.host === undefined) {
      // Keep the first cause of death for the session to see on attach().
      this.#transition(['open'], { kind: 'deadBeforeAttach', held: state.held, death: error }, cause);
    } else {
      this.#transition(LIVE, CLOSED, cause);
    }
  }

  /** Hands held frames to `host` in order, stopping if the host closes the link meanwhile. */
  #deliverHeld(state: LinkState, frames: readonly NodeFrame[], host: LinkHost): void {
    for (const frame of frames) {
      if (this.#state !== state) return;
      host.onFrame(frame, this);
    }
  }

  #onMessage(data: string | Uint8Array): void {
    const state = this.#state;
    if (!LIVE.includes(state.kind)) return;
    this.#heartbeat.received();
    let frame: NodeFrame;
    try {
      frame = decodeNodeFrame(data, { maxFrameBytes: this.#maxFrameBytes });
    } catch (cause) {
      const error = isGridlinkError(cause) ? cause : new LinkError('GRIDLINK_PROTOCOL', `undecodable frame from node ${this.node.id}`, { cause });
      this.#die(error, error.code === 'GRIDLINK_FRAME_TOO_LARGE' ? CloseCode.tooLarge : CloseCode.protocolError);
      return;
    }
    if (frame.t === 'ping') {
      if (frame.id !== undefined) this.send({ t: 'pong', id: frame.id });
      return;
    }
    if (frame.t === 'pong') {
      this.#pongWaiters?.get(frame.id)?.();
      this.#pongWaiters?.delete(frame.id);
      return;
    }
    switch (state.kind) {
      case 'handshaking':
        this.#onHandshakeFrame(frame);
        return;
      case 'open':
        if (frame.t === 'welcome') this.#die(new LinkError('GRIDLINK_PROTOCOL', `unexpected 'welcome' after the handshake from node ${this.node.id}`), CloseCode.protocolError);
        else if (state.host === undefined) state.held.push(frame);
        else state.host.onFrame(frame, this);
        return;
      default:
        this.#die(new LinkError('GRIDLINK_PROTOCOL', `node ${this.node.id} sent '${frame.t}' before any hello`), CloseCode.protocolError);
    }
  }

  #onHandshakeFrame(frame: NodeFrame): void {
    switch (frame.t) {
      case 'welcome':
        this.#maxFrameBytes = Math.max(this.settings.maxFrameBytes, frame.maxFrameBytes ?? 0);
        this.#transition(['handshaking'], { kind: 'open', held: [], host: undefined }, { kind: 'welcome', welcome: frame });
        return;
      case 'redirect':
        this.#transition(['handshaking'], CLOSED, { kind: 'redirect', node: frame.node, reason: frame.reason });
        return;
      case 'error':
        this.#die(nodeRefusal(this.node, frame.code, frame.message), CloseCode.normal);
        return;
      default:
        this.#die(new LinkError('GRIDLINK_PROTOCOL', `node ${this.node.id} sent '${frame.t}' before its welcome`), CloseCode.protocolError);
    }
  }
}
