/**
 * The inbound side of a peer link: another node dialled us and said `peer-hello`. We answer with
 * `peer-welcome` (our half of the authentication, peer-auth.ts) and, when we require it, believe
 * nothing before its `peer-auth`. Then it only answers: pongs to its pings (that is how it judges
 * us alive), and notes its `peer-drain` and its `load`. Our own view of that node comes from our
 * outbound link to it (`peers.ts`), never from this one.
 */
import type { RawData, WebSocket } from 'ws';
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

/** Makes a connection that said `peer-hello` an inbound peer link, or refuses it (and says why). */
export function acceptPeer(ws: WebSocket, hello: { id: string; v: number; nonce: string | undefined }, options: AcceptPeerOptions): InboundPeer | undefined {
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
  /** The peer announced it is draining. */
  drained(peerId: string): void;
  /** The peer reported its load. */
  loadReported(peerId: string, load: LoadFrame): void;
  closed(link: InboundPeer): void;
}

export class InboundPeer {
  private closed = false;
  private readonly liveness: Liveness;
  /** The MAC the dialler must answer with; undefined once it did (or when none is required). */
  private pendingAuth: string | undefined;
  private readonly auth: PeerAuth;

  constructor(
    private readonly ws: WebSocket,
    readonly peerId: string,
    timeoutMs: number,
    private readonly logger: Logger,
    private readonly host: InboundPeerHost,
    { self, dialNonce, auth }: InboundAuth,
  ) {
    // The dialling side pings; a link it stopped pinging is a leftover of a dead process.
    this.liveness = new Liveness({ sendPing: () => {}, onDead: () => this.close(CloseCode.heartbeatTimeout, 'peer silent') }, { timeoutMs });
    ws.on('message', (data: RawData, isBinary: boolean) => this.message(data, isBinary));
    ws.on('close', () => this.ended());
    ws.on('error', (error: Error) => logger.debug('inbound peer socket error', { peer: peerId, error: error.message }));
    this.liveness.start();
    this.auth = auth;
    // A dialler without a nonce takes no part in authentication (the node refused it if required).
    if (dialNonce === undefined) return;
    const nonce = auth.nonce();
    const mac = auth.welcomeMac(self, peerId, dialNonce, nonce);
    this.send(mac === undefined ? { t: 'peer-welcome', id: self, nonce } : { t: 'peer-welcome', id: self, nonce, mac });
    this.pendingAuth = auth.authMac(peerId, self, dialNonce, nonce);
  }

  private refuse(): void {
    this.logger.warn(NOT_AUTHENTICATED, { peer: this.peerId });
    this.close(CloseCode.rejected, 'peer not authenticated');
  }

  send(frame: PeerFrame): void {
    if (!this.closed && this.ws.readyState === this.ws.OPEN) this.ws.send(encodePeerFrame(frame));
  }

  close(code: number, reason: string): void {
    if (this.closed) return;
    this.ws.close(code, reason);
    setTimeout(() => this.ws.terminate(), 1000).unref();
    this.ended();
  }

  private ended(): void {
    if (this.closed) return;
    this.closed = true;
    this.liveness.stop();
    this.host.closed(this);
  }

  private message(data: RawData, isBinary: boolean): void {
    if (this.closed) return;
    let frame: PeerFrame;
    try {
      frame = decodePeerFrame(isBinary ? new Uint8Array(0) : rawText(data));
    } catch (error) {
      this.logger.warn('bad frame on inbound peer link', { peer: this.peerId, error: (error as Error).message });
      this.close(CloseCode.protocolError, 'protocol error');
      return;
    }
    if (this.pendingAuth !== undefined) {
      if (frame.t !== 'peer-auth' || !this.auth.check(frame.mac, this.pendingAuth)) {
        this.refuse();
        return;
      }
      this.pendingAuth = undefined;
    }
    this.liveness.received();
    if (frame.t === 'ping' && frame.id !== undefined) this.send({ t: 'pong', id: frame.id });
    else if (frame.t === 'peer-drain') this.host.drained(this.peerId);
    else if (frame.t === 'load') this.host.loadReported(this.peerId, frame);
  }
}
