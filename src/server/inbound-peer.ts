/**
 * The inbound side of a peer link: another node dialled us and said `peer-hello`. It only answers:
 * pongs to its pings (that is how it judges us alive), and notes its `peer-drain` and its `load`. Our own view of
 * that node comes from our outbound link to it (`peers.ts`), never from this one.
 */
import type { RawData, WebSocket } from 'ws';
import type { Logger } from '../core/logger.js';
import { CloseCode } from '../protocol/frames.js';
import { rawText } from './client-link.js';
import { Liveness } from '../core/liveness.js';
import { decodePeerFrame, encodePeerFrame, type LoadFrame, type PeerFrame } from './peer-frames.js';

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

  constructor(
    private readonly ws: WebSocket,
    readonly peerId: string,
    timeoutMs: number,
    private readonly logger: Logger,
    private readonly host: InboundPeerHost,
  ) {
    // The dialling side pings; a link it stopped pinging is a leftover of a dead process.
    this.liveness = new Liveness({ sendPing: () => {}, onDead: () => this.close(CloseCode.heartbeatTimeout, 'peer silent') }, { timeoutMs });
    ws.on('message', (data: RawData, isBinary: boolean) => this.message(data, isBinary));
    ws.on('close', () => this.ended());
    ws.on('error', (error: Error) => logger.debug('inbound peer socket error', { peer: peerId, error: error.message }));
    this.liveness.start();
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
    this.liveness.received();
    if (frame.t === 'ping' && frame.id !== undefined) this.send({ t: 'pong', id: frame.id });
    else if (frame.t === 'peer-drain') this.host.drained(this.peerId);
    else if (frame.t === 'load') this.host.loadReported(this.peerId, frame);
  }
}
