/**
 * A connection's first moments, before it is a client link or a peer link: the upgrade check
 * (subprotocol), the wait for the first frame (bounded), and the decision that frame makes.
 */
import type { IncomingMessage } from 'node:http';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { isGridlinkError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { decodeClientFrame, encodeFrame, type CodecLimits } from '../../protocol/codec.js';
import { CloseCode, SUBPROTOCOL, type HelloFrame } from '../../protocol/frames.js';
import { rawText } from '../clients/client-link.js';
import { decodePeerFrame, looksLikePeerHello } from '../peers/frames.js';

export type FirstFrame =
  | { kind: 'client'; hello: HelloFrame }
  | { kind: 'peer'; id: string; v: number; nonce: string | undefined }
  | { kind: 'invalid'; message: string; closeCode: CloseCode; code?: 'meta-too-large' };

/** A first frame that makes the connection a link. */
export type LinkFirstFrame = Exclude<FirstFrame, { kind: 'invalid' }>;

/**
 * The WebSocket server a node upgrades connections with (it listens through the node's HTTP server).
 * Frames above `maxFrameBytes` must reach the codec to be answered with `CloseCode.tooLarge`; ws's
 * own limit (which closes with `messageTooBig`) is only the backstop against absurd sizes.
 */
export function createLinkServer(maxFrameBytes: number, logger: Logger): WebSocketServer {
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: maxFrameBytes * 2,
    perMessageDeflate: false,
    handleProtocols: (protocols) => (protocols.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
  });
  wss.on('error', (error) => logger.warn('websocket server error', { error: error.message }));
  return wss;
}

/** Whether the upgrade request offers `gridlink.v1` (a node refuses upgrades that do not). */
export function offersSubprotocol(req: IncomingMessage): boolean {
  return String(req.headers['sec-websocket-protocol'] ?? '')
    .split(',')
    .some((p) => p.trim() === SUBPROTOCOL);
}

/** What a connection's first frame makes it. Never throws. */
export function classifyFirstFrame(raw: string | Uint8Array, limits: CodecLimits): FirstFrame {
  if (looksLikePeerHello(raw)) {
    try {
      const frame = decodePeerFrame(raw);
      if (frame.t === 'peer-hello') return { kind: 'peer', id: frame.id, v: frame.v, nonce: frame.nonce };
    } catch {
      // not a peer after all: judge it as a client frame
    }
  }
  try {
    const frame = decodeClientFrame(raw, limits);
    if (frame.t === 'hello') return { kind: 'client', hello: frame };
    return { kind: 'invalid', message: `the first frame must be 'hello', not '${frame.t}'`, closeCode: CloseCode.protocolError };
  } catch (error) {
    const code = isGridlinkError(error) ? error.code : undefined;
    const message = error instanceof Error ? error.message : 'malformed frame';
    // A hello whose meta is over the node's bound is refused for good (4004): no node of the cloud would take it.
    if (code === 'GRIDLINK_META_TOO_LARGE') return { kind: 'invalid', code: 'meta-too-large', message, closeCode: CloseCode.rejected };
    return { kind: 'invalid', message, closeCode: code === 'GRIDLINK_FRAME_TOO_LARGE' ? CloseCode.tooLarge : CloseCode.protocolError };
  }
}

/** A WebSocket waiting for its first frame. */
export interface PendingHandshake {
  /** Gives up on it: no later frame counts, and the socket is closed with `code`. */
  expire(code: CloseCode, reason: string): void;
}

/**
 * Waits for the first frame and hands it over (an invalid one is answered here: `error` + close).
 * The deadline is the caller's (the connection limit's hello deadline, counted from accept): it
 * calls `expire` — `CloseCode.heartbeatTimeout` for a connection that said nothing in time, like
 * any silent link.
 */
export function awaitFirstFrame(ws: WebSocket, limits: CodecLimits, logger: Logger, onFrame: (first: LinkFirstFrame) => void): PendingHandshake {
  ws.on('error', socketErrorLogger(logger));
  function first(data: RawData, isBinary: boolean): void {
    ws.off('message', first);
    try {
      const frame = classifyFirstFrame(isBinary ? new Uint8Array(0) : rawText(data), limits);
      if (frame.kind === 'invalid') {
        logger.info('protocol error on a first frame', { error: frame.message });
        if (ws.readyState === ws.OPEN) ws.send(encodeFrame({ t: 'error', code: frame.code ?? 'protocol', message: frame.message }));
        closeSoon(ws, frame.closeCode, 'protocol error');
        return;
      }
      onFrame(frame);
    } catch (error) {
      logger.error('unexpected error on a first frame', { error });
      ws.terminate();
    }
  }
  ws.on('message', first);
  return {
    expire(code, reason) {
      ws.off('message', first);
      closeSoon(ws, code, reason);
    },
  };
}

/**
 * A socket's error listener, made out here: one made inside `awaitFirstFrame` would keep that
 * function's closures (the handshake, the caller's callback) alive as long as the socket lives.
 */
function socketErrorLogger(logger: Logger): (error: Error) => void {
  return (error) => logger.debug('socket error', { error: error.message });
}

/** How long the other end may take to complete a close handshake before its socket is cut. */
const CLOSE_GRACE_MS = 1000;

/** Starts the close handshake, and cuts the socket if the other end never completes it. */
export function closeSoon(ws: { close(code: number, reason: string): void; terminate(): void }, code: CloseCode, reason: string): void {
  ws.close(code, reason);
  setTimeout(() => ws.terminate(), CLOSE_GRACE_MS).unref();
}
