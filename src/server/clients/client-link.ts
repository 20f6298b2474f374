/**
 * One client connection, from its hello to its close: strict decoding, heartbeat, back-pressure, and
 * a clear close code for every way it can end. What the frames mean for the session is the host's
 * business (`ClientLinkHost`); this file only guarantees that the host sees well-formed frames, in
 * order, from a link that is still open, and hears exactly once that the link is gone.
 *
 * Nothing in here throws out of a socket event handler: a bad frame is an `error` frame and a close
 * of this link only.
 */
import type { RawData, WebSocket } from 'ws';
import { isGridlinkError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { decodeClientFrame, encodeFrame, scanClientMsg } from '../../protocol/codec.js';
import { CloseCode, type AckFrame, type ByeFrame, type ClientFrame, type GapFrame, type GotFrame, type HeartbeatSettings, type HelloFrame, type MsgFrame, type NodeFrame, type SetMetaFrame } from '../../protocol/frames.js';
import { Liveness } from '../../core/liveness.js';
import type { RequestOrigin } from '../http/whoami.js';
import type { MemberLink } from '../sessions/session-host.js';
import type { NodeTally } from '../metrics/tally.js';

export type SessionFrame = MsgFrame | AckFrame | ByeFrame | GapFrame | SetMetaFrame | GotFrame;

export interface ClientLinkHost {
  /**
   * A session frame from an attached link, in arrival order. `payloadJson`, for some `msg` frames:
   * `d` as the JSON string it arrived in (checked), to relay without encoding it again.
   */
  frame(link: ClientLink, frame: SessionFrame, payloadJson?: string): void;
  /** The link is closed (by either side, for any reason). Called exactly once. */
  closed(link: ClientLink, code: number): void;
  /** Where the link counts what the node's metrics report (fields only: counting stays free). */
  readonly tally?: Pick<NodeTally, 'relayedBytes' | 'clientHeartbeatTimeouts'>;
}

export interface ClientLinkOptions {
  readonly heartbeat: HeartbeatSettings;
  readonly maxFrameBytes: number;
  /** The bound of a member's meta (codec.ts checks it). */
  readonly maxMetaBytes: number;
  readonly logger: Logger;
}

type LinkState =
  /** Hello received, placement pending: later frames wait so the welcome comes first. */
  | { kind: 'placing'; queued: ClientFrame[] }
  | { kind: 'attached' }
  /** `closing` is the reason we close the socket with; absent when the socket closed first. */
  | { kind: 'closed'; code: number; closing?: string };

/** States a link can be closed from: every one but `closed`, which is final. */
const OPEN_STATES: readonly LinkState['kind'][] = ['placing', 'attached'];

/** A client that sends this much before its welcome is not following the protocol. */
const MAX_QUEUED = 256;
/** A client that stops reading is cut off rather than buffered for without bound. */
export const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;
/**
 * A member whose outgoing buffer stays above this for a whole heartbeat timeout is not reading.
 * Cutting it matters for everyone else: it holds back the confirmations of every sender in its
 * session, whose bounded outboxes then fill and refuse sends. A reader that keeps up drains below
 * this constantly; one that cannot, for seconds on end, is too slow for a live session.
 */
export const STALL_BYTES = 256 * 1024;
/** A close handshake the other end never completes must not hold the socket open. */
const CLOSE_GRACE_MS = 2000;

/** The socket under the WebSocket, as far as batching writes goes (a `net.Socket` or any Duplex). */
export interface Corkable {
  cork(): void;
  uncork(): void;
}

export class ClientLink implements MemberLink {
  private state: LinkState = { kind: 'placing', queued: [] };
  /** Since when the outgoing buffer has stayed above STALL_BYTES (see watchBackpressure). */
  private stalledSince: number | undefined;
  private readonly liveness: Liveness;
  /** Whether `stream` is corked until the end of this tick (see `send`). */
  private corked = false;
  private readonly uncork = (): void => {
    this.corked = false;
    this.stream?.uncork();
  };

  constructor(
    private readonly ws: WebSocket,
    /** The first frame, which made this connection a client link. */
    readonly hello: HelloFrame,
    private readonly options: ClientLinkOptions,
    private readonly host: ClientLinkHost,
    /** Who the client is, as the upgrade request said (forwarded headers from a trusted proxy). */
    readonly origin: RequestOrigin,
    /**
     * The socket the WebSocket writes to. Every frame sent in one tick — a burst of relays from
     * one read of a sender's socket — then leaves in one write instead of one system call each.
     */
    private readonly stream?: Corkable,
  ) {
    this.liveness = new Liveness(
      {
        // Before the welcome, the client expects welcome/redirect/error and nothing else.
        sendPing: () => {
          if (this.state.kind === 'attached') this.send({ t: 'ping' });
        },
        onDead: (silentMs) => {
          this.options.logger.info('client link silent; closing', { client: hello.client, silentMs });
          if (host.tally !== undefined) host.tally.clientHeartbeatTimeouts++;
          this.close(CloseCode.heartbeatTimeout, 'heartbeat timeout');
        },
      },
      options.heartbeat,
    );
    ws.on('message', (data: RawData, isBinary: boolean) => this.message(data, isBinary));
    ws.on('close', (code: number) => this.ended(code));
    ws.on('error', (error: Error) => this.options.logger.debug('client socket error', { client: hello.client, error: error.message }));
    this.liveness.start();
  }

  get open(): boolean {
    return this.state.kind !== 'closed';
  }

  get attached(): boolean {
    return this.state.kind === 'attached';
  }

  /** Placement done and the welcome sent: deliver what arrived meanwhile, then go live. */
  attach(): void {
    this.transition(['placing'], { kind: 'attached' });
  }

  /** `text`, when given, is the frame already encoded (a relay encodes once for every member). */
  send(frame: NodeFrame, text?: string): void {
    if (this.state.kind === 'closed' || this.ws.readyState !== this.ws.OPEN) return;
    if (this.stream !== undefined && !this.corked) {
      this.corked = true;
      this.stream.cork();
      process.nextTick(this.uncork);
    }
    this.ws.send(text ?? encodeFrame(frame));
    this.liveness.sent();
    this.watchBackpressure();
  }

  /** Runs on every send, idle pings included, so a stalled reader is noticed even when traffic stops. */
  private watchBackpressure(): void {
    const buffered = this.ws.bufferedAmount;
    if (buffered < STALL_BYTES) {
      this.stalledSince = undefined;
      return;
    }
    const now = Date.now();
    this.stalledSince ??= now;
    if (buffered > MAX_BUFFERED_BYTES || now - this.stalledSince > this.options.heartbeat.timeoutMs) {
      this.options.logger.warn('client is not reading; closing its link', { client: this.hello.client, buffered });
      this.close(CloseCode.tryAgainLater, 'client too slow');
    }
  }

  /** Sends an `error` frame (the node refuses something), then closes. */
  refuse(code: string, message: string, closeCode: CloseCode): void {
    this.send({ t: 'error', code, message });
    this.close(closeCode, code);
  }

  close(code: CloseCode, reason: string): void {
    this.transition(OPEN_STATES, { kind: 'closed', code, closing: reason });
  }

  private ended(code: number): void {
    this.transition(OPEN_STATES, { kind: 'closed', code });
  }

  /**
   * The one way the state changes, refused unless the current state is in `allowedFrom`: a closed
   * link never reopens, and the host hears of its close once. Entering a state runs its effects.
   */
  private transition(allowedFrom: readonly LinkState['kind'][], next: LinkState): boolean {
    const prev = this.state;
    if (!allowedFrom.includes(prev.kind)) return false;
    this.state = next;
    switch (next.kind) {
      case 'placing':
        break;
      case 'attached':
        // What arrived while placing, in order; a frame among them may close the link.
        for (const frame of prev.kind === 'placing' ? prev.queued : []) {
          if (this.state !== next) break;
          this.handle(frame);
        }
        break;
      case 'closed':
        this.liveness.stop();
        if (next.closing !== undefined) {
          try {
            this.ws.close(next.code, next.closing.slice(0, 120));
          } catch {
            this.ws.terminate();
          }
          setTimeout(() => this.ws.terminate(), CLOSE_GRACE_MS).unref();
        }
        this.host.closed(this, next.code);
        break;
    }
    return true;
  }

  private message(data: RawData, isBinary: boolean): void {
    if (this.state.kind === 'closed') return;
    this.liveness.received();
    let frame: ClientFrame;
    let payloadJson: string | undefined;
    try {
      const text = isBinary ? new Uint8Array(0) : rawText(data);
      // Most frames are messages this node only relays: those skip JSON.parse (codec.ts).
      const scanned = typeof text === 'string' ? scanClientMsg(text, this.options) : undefined;
      if (scanned === undefined) frame = decodeClientFrame(text, this.options);
      else ({ frame, dJson: payloadJson } = scanned);
      if (frame.t === 'msg' && this.host.tally !== undefined) this.host.tally.relayedBytes += rawLength(data);
    } catch (error) {
      this.protocolError(error);
      return;
    }
    try {
      if (this.state.kind === 'placing') {
        if (frame.t === 'hello') this.refuse('protocol', 'hello sent twice', CloseCode.protocolError);
        else if (this.state.queued.length >= MAX_QUEUED) this.refuse('protocol', 'too many frames before welcome', CloseCode.protocolError);
        else this.state.queued.push(frame);
        return;
      }
      this.handle(frame, payloadJson);
    } catch (error) {
      // A bug of ours must not take the process (or the other links) down.
      this.options.logger.error('unexpected error handling a client frame', { client: this.hello.client, error });
      this.close(CloseCode.internalError, 'internal error');
    }
  }

  private handle(frame: ClientFrame, payloadJson?: string): void {
    switch (frame.t) {
      case 'hello':
        this.refuse('protocol', 'hello sent twice', CloseCode.protocolError);
        return;
      case 'ping':
        if (frame.id !== undefined) this.send({ t: 'pong', id: frame.id });
        return;
      case 'pong':
        return; // life, already noted
      default:
        this.host.frame(this, frame, payloadJson);
    }
  }

  private protocolError(error: unknown): void {
    const code = isGridlinkError(error) ? error.code : undefined;
    const message = error instanceof Error ? error.message : 'malformed frame';
    this.options.logger.info('protocol error on client link', { client: this.hello.client, error: message });
    // An oversized meta has its own code: the client reports GRIDLINK_META_TOO_LARGE, not a broken protocol.
    if (code === 'GRIDLINK_META_TOO_LARGE') this.refuse('meta-too-large', message, CloseCode.tooLarge);
    else this.refuse('protocol', message, code === 'GRIDLINK_FRAME_TOO_LARGE' ? CloseCode.tooLarge : CloseCode.protocolError);
  }
}

/** The frame's size as received, without copying it. */
function rawLength(data: RawData): number {
  if (Array.isArray(data)) return data.reduce((sum, part) => sum + part.length, 0);
  return data.byteLength;
}

/** ws hands text frames over as a Buffer (or fragments); the codec wants a string. */
export function rawText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}
