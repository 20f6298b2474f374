/**
 * Small promise wrappers for the node's listener, the one error a failed bind becomes, and the
 * connection guard every accepted socket passes first.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { WebSocketServer } from 'ws';
import { GridlinkError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import type { ConnectionLimit, TrackedConnection } from '../clients/connection-limit.js';
import { inSubnets, plainAddress } from '../dns/subnets.js';

const BIND_REASONS: Readonly<Record<string, string>> = {
  EADDRINUSE: 'the port is already in use',
  EACCES: 'permission denied (ports below 1024 need privileges)',
  EADDRNOTAVAIL: 'the address is not one of this machine\'s',
};

/** A socket that could not bind, as a coded error naming what, where and why (the raw error kept). */
export function listenFailure(what: string, host: string, port: number, cause: unknown): GridlinkError {
  const code = (cause as { code?: unknown } | null)?.code;
  const why = (typeof code === 'string' ? BIND_REASONS[code] : undefined) ?? (cause instanceof Error ? cause.message : String(cause));
  return new GridlinkError('GRIDLINK_LISTEN_FAILED', `${what} cannot listen on ${host}:${port}: ${why}${typeof code === 'string' ? ` (${code})` : ''}`, { cause });
}

export function listen(http: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const fail = (error: unknown): void => reject(listenFailure('the node', host, port, error));
    http.once('error', fail);
    http.listen(port, host, () => {
      http.off('error', fail);
      resolve();
    });
  });
}

/** Resolves when every upgraded socket is gone, or after `ms`. */
export function waitForSockets(wss: WebSocketServer, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const started = Date.now();
    const check = (): void => {
      if (wss.clients.size === 0 || Date.now() - started >= ms) resolve();
      else setTimeout(check, 10);
    };
    check();
  });
}

/** The node's HTTP server, with request timeouts short enough for the hello deadline. */
export function nodeServerOptions(helloTimeoutMs: number): { headersTimeout: number; requestTimeout: number; connectionsCheckingInterval: number } {
  // Node checks these on an interval (30 s by default): a trickled request on a kept-alive socket
  // would outlive its deadline by that much. A DoH body may take a little longer than headers.
  return { headersTimeout: helloTimeoutMs, requestTimeout: Math.max(10_000, helloTimeoutMs), connectionsCheckingInterval: Math.min(1000, helloTimeoutMs) };
}

/** Answers an HTTP status on a raw socket and lets it go (never waiting on a peer that does not read). */
export function refuseSocket(socket: Duplex, status: '400 Bad Request' | '503 Service Unavailable'): void {
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`, () => socket.destroy());
}

export interface ConnectionGuard {
  /** The accepted connection a socket is counted as; undefined when it was refused on accept. */
  of(socket: Duplex): TrackedConnection | undefined;
}

/**
 * Counts every socket the server accepts against `limit`, from its TCP peer (a trusted proxy's
 * sockets are attributed when an upgrade names the client). A socket over its address's cap is
 * answered 503 before anything is parsed; a plain HTTP request takes its socket out of the
 * pending pool (the server's own timeouts govern it then). The limiter's default way to end a
 * socket is to destroy it.
 */
export function guardConnections(http: Server, limit: ConnectionLimit, trustedProxies: readonly string[], logger: Logger): ConnectionGuard {
  const tracked = new WeakMap<Duplex, TrackedConnection>();
  http.on('connection', (socket: Socket) => {
    const peer = plainAddress(socket.remoteAddress ?? '');
    const viaProxy = trustedProxies.length > 0 && inSubnets(peer, trustedProxies);
    const admission = limit.open(viaProxy ? undefined : peer, () => socket.destroy());
    if (admission.kind === 'refused') {
      logger.debug('connection refused: too many from this address', { address: peer });
      socket.on('error', () => socket.destroy());
      refuseSocket(socket, '503 Service Unavailable');
      return;
    }
    tracked.set(socket, admission.connection);
    socket.once('close', () => admission.connection.closed());
  });
  http.on('request', (req: IncomingMessage) => tracked.get(req.socket)?.served());
  return { of: (socket) => tracked.get(socket) };
}
