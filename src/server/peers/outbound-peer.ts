/**
 * One dialled peer link: this node's outbound connection to one other node, kept up for as long as
 * the monitor runs. It says `peer-hello`, believes nothing before the peer's valid `peer-welcome`
 * (when the cloud has a secret, auth.ts), then pings briskly; any frame is life, and `timeoutMs` of
 * silence or a close takes the link down and redials with jittered backoff (core/backoff.ts).
 *
 * What the frames mean (alive, draining, load, pins) is the monitor's business: this file reports
 * through the small `OutboundPeerHost` it is given, and reaches the network only through a
 * `PeerDialer`, so a unit test drives it with a fake socket and fake timers.
 *
 *   waiting -> dialing -> proving -> open -> heard      (proving only when a secret is required)
 *      ^          |          |         |       |
 *      +----------+----------+---------+-------+  down: closed, error, silent, protocol, unauthenticated
 *   any -> stopped
 */
import { WebSocket, type RawData } from 'ws';
import { Backoff } from '../../core/backoff.js';
import { Liveness } from '../../core/liveness.js';
import type { Logger } from '../../core/logger.js';
import type { Reason, StateChange } from '../../core/state.js';
import { PROTOCOL_VERSION, SUBPROTOCOL, type HeartbeatSettings, type NodeInfo } from '../../protocol/frames.js';
import { rawText } from '../clients/client-link.js';
import type { PeerAuth } from './auth.js';
import { decodePeerFrame, encodePeerFrame, MAX_PEER_FRAME_BYTES, type PeerFrame } from './frames.js';

/** One connection attempt's socket, as a peer link uses it. */
export interface PeerSocket {
  /** Sends one text message; a socket that is not open drops it. */
  send(text: string): void;
  /** Cuts the connection at once. Events it fires afterwards are ignored by the link. */
  terminate(): void;
}

/**
 * What a socket reports. None fires during the `PeerDialer` call itself; after `close` or `error`
 * the link has let the socket go, so later events from it are ignored.
 */
export interface PeerSocketEvents {
  open(): void;
  /** One message: text, or an empty byte array for a binary one (never part of the protocol). */
  message(raw: string | Uint8Array): void;
  close(): void;
  error(error: Error): void;
}

/** Opens a connection to a peer's URL, giving up on the handshake after `handshakeTimeoutMs`. */
export type PeerDialer = (url: string, handshakeTimeoutMs: number, events: PeerSocketEvents) => PeerSocket;

/** The real dialer: a WebSocket on our subprotocol, sized for peer frames. */
export function wsPeerDialer(logger: Logger): PeerDialer {
  return (url, handshakeTimeoutMs, events) => {
    const ws = new WebSocket(url, SUBPROTOCOL, { handshakeTimeout: handshakeTimeoutMs, maxPayload: MAX_PEER_FRAME_BYTES, perMessageDeflate: false });
    ws.on('open', () => events.open());
    ws.on('message', (data: RawData, isBinary: boolean) => events.message(isBinary ? new Uint8Array(0) : rawText(data)));
    ws.on('close', () => events.close());
    ws.on('error', (error: Error) => events.error(error));
    return {
      send(text) {
        if (ws.readyState !== WebSocket.OPEN) return;
        ws.send(text, (error) => {
          if (error !== undefined && error !== null) logger.debug('peer send failed', { error: error.message });
        });
      },
      terminate: () => ws.terminate(),
    };
  };
}

/** How the link reports to its owner (the monitor). Each method is called synchronously, in order. */
export interface OutboundPeerHost {
  /** A new link opened (the peer may be a new process): what held for the old one is void. */
  opened(): void;
  /** What goes out once the peer may hear us, after the link's first ping (our load, our drain). */
  introduction(): readonly PeerFrame[];
  /** A frame from the peer, once it proved itself (a ping was answered already). */
  frame(frame: PeerFrame): void;
  /** The link went down; `lapsed`: it had opened, so what the peer said on it no longer holds. */
  down(lapsed: boolean): void;
  /** Every change of state, with its reason. */
  state?(change: StateChange<PeerLinkKind, PeerLinkCode>): void;
}

export interface OutboundPeerDeps {
  readonly self: string;
  readonly auth: PeerAuth;
  readonly heartbeat: HeartbeatSettings;
  readonly logger: Logger;
  readonly dial: PeerDialer;
}

type Linked = { socket: PeerSocket; liveness: Liveness };

export type PeerLinkState =
  /** No socket: not dialled yet, or a redial is pending. */
  | { kind: 'waiting' }
  | { kind: 'dialing'; socket: PeerSocket }
  /** Open; the peer has not proved the secret yet. `nonce` is ours, for its proof. */
  | ({ kind: 'proving'; nonce: string } & Linked)
  /** The peer may hear us (it proved itself, or no proof is required); it has said nothing yet. */
  | ({ kind: 'open' } & Linked)
  /** A frame arrived: the peer answers (a freshly opened link alone is no proof of a working peer). */
  | ({ kind: 'heard' } & Linked)
  | { kind: 'stopped' };

export type PeerLinkKind = PeerLinkState['kind'];
/** Why a peer link moved. */
export type PeerLinkCode = 'dial' | 'opened' | 'authenticated' | 'heard' | 'error' | 'closed' | 'silent' | 'protocol' | 'unauthenticated' | 'stopped';

const LINKED: readonly PeerLinkKind[] = ['dialing', 'proving', 'open', 'heard'];

export class OutboundPeer {
  #state: PeerLinkState = { kind: 'waiting' };
  readonly #backoff: Backoff;
  #nextPingId = 1;

  constructor(
    readonly info: NodeInfo,
    private readonly deps: OutboundPeerDeps,
    private readonly host: OutboundPeerHost,
    backoff: Backoff = new Backoff(50, 2000),
  ) {
    this.#backoff = backoff;
  }

  get state(): PeerLinkKind {
    return this.#state.kind;
  }

  /** Dials now (from `waiting` only: a link that is up or stopped stays as it is). */
  dial(): void {
    if (this.#state.kind !== 'waiting') return;
    const socket: PeerSocket = this.deps.dial(this.info.url, this.deps.heartbeat.timeoutMs, {
      open: () => this.#opened(socket),
      message: (raw) => this.#message(socket, raw),
      close: () => this.#down(socket, { code: 'closed', message: 'peer link closed' }),
      error: (error) => {
        this.deps.logger.debug('peer link error', { peer: this.info.id, error: error.message });
        this.#down(socket, { code: 'error', message: error.message });
      },
    });
    this.#transition(['waiting'], { kind: 'dialing', socket }, { code: 'dial', message: `dialling ${this.info.url}` });
  }

  /**
   * The peer just dialled us, so it is up: a link waiting out its backoff dials now. A restarted
   * node would otherwise sit out of this node's placement for up to the backoff's ceiling (2 s)
   * while it already places sessions on itself: members joining then can land on both sides.
   */
  redialNow(): void {
    if (this.#state.kind !== 'waiting') return;
    this.#backoff.stop();
    this.dial();
  }

  /** Sends `frame` if the peer may hear us (not before its proof). */
  send(frame: PeerFrame): void {
    const state = this.#state;
    if (state.kind === 'open' || state.kind === 'heard') state.socket.send(encodePeerFrame(frame));
  }

  /** Sends a ping with a fresh id and returns the id; undefined when the peer may not hear us yet. */
  ping(): number | undefined {
    const state = this.#state;
    if (state.kind !== 'open' && state.kind !== 'heard') return undefined;
    const id = this.#nextPingId++;
    state.socket.send(encodePeerFrame({ t: 'ping', id }));
    return id;
  }

  stop(): void {
    this.#transition(['waiting', ...LINKED], { kind: 'stopped' }, { code: 'stopped', message: 'monitor stopped' });
  }

  /**
   * The one way the state changes: refused unless the current state is in `allowedFrom` (so a late
   * event from an old socket cannot move the link). Leaving a socket behind cuts it; entering a
   * state runs that state's effects.
   */
  #transition(allowedFrom: readonly PeerLinkKind[], next: PeerLinkState, reason: Reason<PeerLinkCode>): boolean {
    const prev = this.#state;
    if (!allowedFrom.includes(prev.kind)) return false;
    this.#state = next;
    if ('socket' in prev && !('socket' in next && next.socket === prev.socket)) {
      if ('liveness' in prev) prev.liveness.stop();
      prev.socket.terminate();
    }
    this.host.state?.({ from: prev.kind, to: next.kind, reason });
    switch (next.kind) {
      case 'proving':
        this.host.opened();
        break;
      case 'open':
        if (prev.kind === 'dialing') this.host.opened();
        this.#introduce(next.socket);
        break;
      case 'heard':
        this.#backoff.reset();
        break;
      case 'waiting':
        if (prev.kind === 'heard') this.deps.logger.info('peer link down', { peer: this.info.id, why: reason.code });
        this.host.down(prev.kind !== 'dialing');
        this.#backoff.runOnce(() => this.dial());
        break;
      case 'stopped':
        this.#backoff.stop();
        break;
      case 'dialing':
        break;
    }
    return true;
  }

  #owns(socket: PeerSocket): boolean {
    return 'socket' in this.#state && this.#state.socket === socket;
  }

  #opened(socket: PeerSocket): void {
    if (this.#state.kind !== 'dialing' || !this.#owns(socket)) return;
    const { auth, self, heartbeat, logger } = this.deps;
    const liveness = new Liveness(
      {
        // Before the peer proved itself, it expects nothing from us but our proof.
        sendPing: () => void this.ping(),
        onDead: (silentMs) => {
          logger.warn('peer link silent; dead', { peer: this.info.id, silentMs });
          this.#down(socket, { code: 'silent', message: `nothing heard for ${silentMs} ms` });
        },
      },
      heartbeat,
    );
    const nonce = auth.nonce();
    liveness.start();
    socket.send(encodePeerFrame({ t: 'peer-hello', id: self, v: PROTOCOL_VERSION, nonce }));
    const next: PeerLinkState = auth.required ? { kind: 'proving', socket, liveness, nonce } : { kind: 'open', socket, liveness };
    this.#transition(['dialing'], next, { code: 'opened', message: auth.required ? 'waiting for the peer to prove the secret' : 'no proof required' });
  }

  /** What a link carries first, once it may: a ping (to hear the peer), then the owner's news. */
  #introduce(socket: PeerSocket): void {
    this.ping();
    for (const frame of this.host.introduction()) socket.send(encodePeerFrame(frame));
  }

  #message(socket: PeerSocket, raw: string | Uint8Array): void {
    const state = this.#state;
    if ((state.kind !== 'proving' && state.kind !== 'open' && state.kind !== 'heard') || state.socket !== socket) return;
    let frame: PeerFrame;
    try {
      frame = decodePeerFrame(raw);
    } catch (error) {
      this.deps.logger.warn('bad frame on peer link', { peer: this.info.id, error: (error as Error).message });
      this.#down(socket, { code: 'protocol', message: (error as Error).message });
      return;
    }
    if (state.kind === 'proving' && !this.#welcomed(state, frame)) return;
    const current = this.#state;
    if (current.kind === 'open') this.#transition(['open'], { ...current, kind: 'heard' }, { code: 'heard', message: `first frame: '${frame.t}'` });
    state.liveness.received();
    if (frame.t === 'ping' && frame.id !== undefined) socket.send(encodePeerFrame({ t: 'pong', id: frame.id }));
    this.host.frame(frame);
  }

  /** The peer's `peer-welcome` must prove the secret; then we prove ourselves and the link opens. */
  #welcomed(state: Extract<PeerLinkState, { kind: 'proving' }>, frame: PeerFrame): boolean {
    const { auth, self, logger } = this.deps;
    const peer = this.info.id;
    if (frame.t !== 'peer-welcome' || frame.id !== peer || !auth.checkWelcome(frame.mac, peer, self, state.nonce, frame.nonce)) {
      logger.warn('peer did not authenticate; link closed (do the nodes share one secret?)', { peer });
      this.#down(state.socket, { code: 'unauthenticated', message: 'no valid peer-welcome' });
      return false;
    }
    state.socket.send(encodePeerFrame({ t: 'peer-auth', mac: auth.authMac(self, peer, state.nonce, frame.nonce) as string }));
    const { socket, liveness } = state;
    return this.#transition(['proving'], { kind: 'open', socket, liveness }, { code: 'authenticated', message: 'the peer proved the secret' });
  }

  #down(socket: PeerSocket, reason: Reason<PeerLinkCode>): void {
    if (!this.#owns(socket)) return;
    this.#transition(LINKED, { kind: 'waiting' }, reason);
  }
}
