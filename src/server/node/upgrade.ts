/**
 * A WebSocket upgrade on the node's port, up to its first frame: counted against the connection
 * limits (listen.ts), refused before the upgrade when the node is closed, the subprotocol is not
 * offered or the address has too many connections, and handed to `accept` once its first frame
 * says what it is (handshake.ts). Past the upgrade, the limiter ends a connection as a WebSocket,
 * so the client reads why.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';
import type { Logger } from '../../core/logger.js';
import type { CodecLimits } from '../../protocol/codec.js';
import { CloseCode } from '../../protocol/frames.js';
import { requestOrigin, type RequestOrigin, type WhoamiHost } from '../http/whoami.js';
import { awaitFirstFrame, offersSubprotocol, type LinkFirstFrame } from './handshake.js';
import { refuseSocket, type ConnectionGuard } from './listen.js';

export interface UpgradeDeps {
  readonly guard: ConnectionGuard;
  readonly wss: WebSocketServer;
  readonly whoami: WhoamiHost;
  readonly limits: CodecLimits;
  readonly logger: Logger;
  closed(): boolean;
  /** The first frame decided what the connection is. */
  accept(ws: WebSocket, first: LinkFirstFrame, origin: RequestOrigin, socket: Duplex): void;
}

export function upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, deps: UpgradeDeps): void {
  socket.on('error', () => socket.destroy());
  const connection = deps.guard.of(socket);
  if (connection === undefined) return void socket.destroy();
  if (deps.closed()) return refuseSocket(socket, '503 Service Unavailable');
  if (!offersSubprotocol(req)) return refuseSocket(socket, '400 Bad Request');
  // Read now: the request (forwarded headers, cookie) is gone once the socket is a WebSocket.
  const origin = requestOrigin(req, deps.whoami);
  if (!connection.upgrading(origin.address)) {
    deps.logger.debug('upgrade refused: too many connections from this address', { address: origin.address });
    return refuseSocket(socket, '503 Service Unavailable');
  }
  deps.wss.handleUpgrade(req, socket, head, (ws) => {
    const handshake = awaitFirstFrame(ws, deps.limits, deps.logger, (first) => {
      connection.established();
      deps.accept(ws, first, origin, socket);
    });
    connection.onEnd((reason) =>
      reason === 'deadline' ? handshake.expire(CloseCode.heartbeatTimeout, 'handshake timeout') : handshake.expire(CloseCode.tryAgainLater, 'too many pending connections'),
    );
  });
}
