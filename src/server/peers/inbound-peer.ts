/**
 * The inbound side of a peer link: another node dialled us and said `peer-hello`. We answer with
 * `peer-welcome` (our half of the authentication, peer-auth.ts) and, when we require it, believe
 * nothing before its `peer-auth`. Then it only answers: pongs to its pings (that is how it judges
 * us alive), and notes its `peer-drain` and its `load`. Our own view of that node comes from our
 * outbound link to it (`monitor.ts`), never from this one.
 *
 *   proving -> open -> closed        (proving only while the dialler still owes its proof)
 *   proving -> closed                (no valid `peer-auth`)
 */
import type { RawData } from 'ws';
import type { Logger } from '../../core/logger.js';
import { CloseCode, PROTOCOL_VERSION } from '../../protocol/frames.js';
import { closeSoon } from '../node/handshake.js';
import { rawText } from '../clients/client-link.js';
import { Liveness } from '../../core/liveness.js';
import type { PeerAuth } from './auth.js';
import { decodePeerFrame, encodePeerFrame, type LoadFrame, type PeerFrame } from './frames.js';

/** What the acceptor needs to authenticate a link: its id, the dialler's nonce, the cloud's secret. */
export interface InboundAuth {
  readonly self: string;
  readonly dialNonce: string | undefined;
  readonly auth: PeerAuth;
}

export interface AcceptPeerOptions {
  readonly self: string;
  readonly auth: PeerAuth;
  /** Silence after which the link is a leftover of a dead process. */
  readonly timeoutMs: number;
  readonly logger: Logger;
  readonly host: InboundPeerHost;
}

/** The part of a ws WebSocket an inbound peer link uses (a unit test passes a fake). */
export interface InboundSocket {
  readonly readyState: number;
  readonly OPEN: number;
  send(text: string): void;
  close(code: number, reason: string): void;
  terminate(): void;
  on(event: 'message', listener: (data: RawData, isBinary: boolean) => void): unknown;
  on(event: 'close', listener: (code: number) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

/** Makes a connection that said `peer-hello` an inbound peer link, or refuses it (and says why). */
export function acceptPeer(ws: InboundSocket, hello: { id: string; v: number; nonce: string | undefined }, options: AcceptPeerOptions): InboundPeer | undefined {
  if (hello.v !== PROTOCOL_VERSION) {
    closeSoon(ws, CloseCode.rejected, 'unsupported peer protocol version');
    return undefined;
  }
  if (options.auth.required && hello.nonce === undefined) {
    options.logger.warn(NOT_AUTHENTICATED, { peer: hello.id });
    closeSoon(ws, CloseCode.rejected, 'peer not authenticated');
    return undefined;
  }
  const { self, auth, timeoutMs, logger, host } = options;
  return new InboundPeer(ws, hello.id, timeoutMs, logger, host, { self, dialNonce: hello.nonce, auth });
}

const NOT_AUTHENTICATED = 'peer link not authenticated; closed (do the nodes share one secret?)';

export interface InboundPeerHost {
  /** The link opened: the peer proved the secret, or the cloud requires no proof. */
  opened(peerId: string): void;
  /** The peer announced it is draining. */
  drained(peerId: string): void;
  /** The peer reported its load. */
  loadReported(peerId: string, load: LoadFrame): void;
  /** The link is closed (by either side; `code` as sent or received). Called exactly once. */
  closed(link: InboundPeer, code: number): void;
}

type InboundState =
  /** Welcomed; nothing counts before the dialler's `peer-auth` proves the secret over both nonces. */
  | { kind: 'proving'; dialNonce: string; nonce: string }
  | { kind: 'open' }
  | { kind: 'closed'; code: number };

export type InboundKind = InboundState['kind'];

/** A close handshake the other end never completes must not hold the socket open. */
const CLOSE_GRACE_MS = 1000;

export class InboundPeer {
  #state: InboundState;
  readonly #liveness: Liveness;
  readonly #auth: PeerAuth;
  readonly #self: string;

  constructor(
    private readonly ws: InboundSocket,
    readonly peerId: string,
    timeoutMs: number,
    private readonly logger: Logger,
    private readonly host: InboundPeerHost,
    { self, dialNonce, auth }: InboundAuth,
  ) {
    // The dialling side pings; a link it stopped pinging is a leftover of a dead process.
    this.#liveness = new Liveness({ sendPing: () => {}, onDead: () => this.close(CloseCode.heartbeatTimeout, 'peer silent') }, { timeoutMs });
    ws.on('message', (data: RawData, isBinary: boolean) => this.#message(data, isBinary));
    ws.on('close', (code: number) => this.#transition(['proving', 'open'], { kind: 'closed', code }));
    ws.on('error', (error: Error) => logger.debug('inbound peer socket error', { peer: peerId, error: error.message }));
    this.#auth = auth;
    this.#self = self;
    // A dialler without a nonce takes no part in authentication (the node refused it if required).
    const nonce = dialNonce === undefined ? undefined : auth.nonce();
    this.#state = dialNonce === undefined || nonce === undefined || !auth.required ? { kind: 'open' } : { kind: 'proving', dialNonce, nonce };
    this.#liveness.start();
    if (this.#state.kind === 'open') host.opened(peerId);
    if (dialNonce === undefined || nonce === undefined) return;
    const mac = auth.welcomeMac(self, peerId, dialNonce, nonce);
    this.send(mac === undefined ? { t: 'peer-welcome', id: self, nonce } : { t: 'peer-welcome', id: self, nonce, mac });
  }

  get state(): InboundKind {
    return this.#state.kind;
  }

  send(frame: PeerFrame): void {
    if (this.#state.kind !== 'closed' && this.ws.readyState === this.ws.OPEN) this.ws.send(encodePeerFrame(frame));
  }

  close(code: CloseCode, reason: string): void {
    if (!this.#transition(['proving', 'open'], { kind: 'closed', code })) return;
    this.ws.close(code, reason);
    setTimeout(() => this.ws.terminate(), CLOSE_GRACE_MS).unref();
  }

  /** The one way the state changes: refused unless the current state is in `allowedFrom`. */
  #transition(allowedFrom: readonly InboundKind[], next: InboundState): boolean {
    if (!allowedFrom.includes(this.#state.kind)) return false;
    this.#state = next;
    if (next.kind === 'closed') {
      this.#liveness.stop();
      this.host.closed(this, next.code);
    }
    return true;
  }

  #message(data: RawData, isBinary: boolean): void {
    const state = this.#state;
    if (state.kind === 'closed') return;
    let frame: PeerFrame;
    try {
      frame = decodePeerFrame(isBinary ? new Uint8Array(0) : rawText(data));
    } catch (error) {
      this.logger.warn('bad frame on inbound peer link', { peer: this.peerId, error: (error as Error).message });
      this.close(CloseCode.protocolError, 'protocol error');
      return;
    }
    if (state.kind === 'proving') {
      if (frame.t !== 'peer-auth' || !this.#auth.checkAuth(frame.mac, this.peerId, this.#self, state.dialNonce, state.nonce)) {
        this.logger.warn(NOT_AUTHENTICATED, { peer: this.peerId });
        this.close(CloseCode.rejected, 'peer not authenticated');
        return;
      }
      if (this.#transition(['proving'], { kind: 'open' })) this.host.opened(this.peerId);
    }
    this.#liveness.received();
    if (frame.t === 'ping' && frame.id !== undefined) this.send({ t: 'pong', id: frame.id });
    else if (frame.t === 'peer-drain') this.host.drained(this.peerId);
    else if (frame.t === 'load') this.host.loadReported(this.peerId, frame);
  }
}
