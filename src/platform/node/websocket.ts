/**
 * The Node WebSocket client: `ws` (measured against undici's WebSocket, it opens sockets 2.6x
 * faster at a ninth of the heap, and its failures say why: ECONNREFUSED, a TLS reason, the HTTP
 * status of an answer that was not an upgrade; undici's error event carries an empty TypeError).
 *
 * What the platform promises on top of a plain socket:
 * - dial a pinned IP while `Host` and TLS SNI stay the URL's name (a `lookup` that answers the pin);
 * - trust extra CAs for `wss://` (verification stays on);
 * - the client's cookie jar on the upgrade, by cookie-exchange.ts's rules (a proxy's sticky cookie);
 * - `onConnected` when the TCP connection is up, before the upgrade is answered.
 */
import type { ClientRequest, IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import WebSocket from 'ws';
import type { OpenWebSocketOptions, WebSocketLike } from '../types.js';
import { cookieExchange, cookieOrigin, type CookieExchange } from './cookie-exchange.js';
import type { CookieJar } from './cookie-jar.js';
import { pinnedLookup } from './pinned-agents.js';

export interface NodeWebSocketContext {
  readonly jar: CookieJar;
  readonly ca: string | Buffer | Array<string | Buffer> | undefined;
}

/** The error a non-upgrade answer becomes: its status travels as `statusCode` for classification. */
export class UnexpectedResponseError extends Error {
  constructor(
    readonly statusCode: number,
    statusMessage: string,
  ) {
    super(`answered HTTP ${statusCode}${statusMessage === '' ? '' : ` ${statusMessage}`} instead of a WebSocket upgrade`);
    this.name = 'UnexpectedResponseError';
  }
}

export function openNodeWebSocket(url: string, options: OpenWebSocketOptions, context: NodeWebSocketContext): WebSocketLike {
  const headers: Record<string, string> = { ...options.headers };
  let explicit = options.cookie;
  for (const name of Object.keys(headers)) {
    if (name.toLowerCase() !== 'cookie') continue;
    explicit = [headers[name], explicit].filter((v) => v !== undefined && v !== '').join('; ');
    delete headers[name];
  }
  const exchange = cookieExchange(context.jar, cookieOrigin(url), explicit === '' ? undefined : explicit);
  if (exchange.header !== undefined) headers.cookie = exchange.header;
  const ws = new NodeWebSocket(url, options.protocols, {
    headers,
    // gridlink frames are small JSON; compression costs more CPU than it saves on a LAN.
    perMessageDeflate: false,
    followRedirects: false,
    ...(options.address === undefined ? {} : { lookup: pinnedLookup(options.address) }),
    ...(context.ca === undefined ? {} : { ca: context.ca }),
    ...(options.onConnected === undefined ? {} : { finishRequest: whenConnected(options.onConnected) }),
  }, exchange);
  return ws as unknown as WebSocketLike;
}

/**
 * `ws`'s hook for the upgrade request before it is sent (it must end the request): tells
 * `connected` once the request's socket has connected. This is the first sign that the node's host
 * is there and accepting, as happy eyeballs counts it, while the upgrade's answer may wait behind
 * the other joins of a crowd the node is taking in.
 */
function whenConnected(connected: () => void): (request: ClientRequest) => void {
  return (request) => {
    request.once('socket', (socket: Socket) => {
      if (socket.connecting) socket.once('connect', connected);
      else connected();
    });
    request.end();
  };
}

/**
 * `ws` with what the platform adds, as methods of one class rather than closures per socket (a
 * process may hold thousands of idle ones): the answer to the upgrade (cookies, or the status of
 * an answer that was not one) and sends corked per turn. The two answer listeners stay attached
 * (only one of them ever fires); the exchange they share is dropped once it is over.
 */
class NodeWebSocket extends WebSocket {
  /** Until one of the two answers comes: it holds the client's jar and this request's cookies. */
  #exchange: CookieExchange | undefined;
  /** The upgrade's socket (which `ws` goes on to use), once upgraded. */
  #socket: Socket | undefined;
  #corked = false;

  constructor(url: string, protocols: string | string[] | undefined, options: WebSocket.ClientOptions, exchange: CookieExchange) {
    super(url, protocols, options);
    this.#exchange = exchange;
    this.on('upgrade', NodeWebSocket.#upgraded);
    this.on('unexpected-response', NodeWebSocket.#refused);
  }

  // Listeners of `ws` are called on the socket: `this` is always a NodeWebSocket here.
  static #upgraded(this: WebSocket, response: IncomingMessage): void {
    const ws = this as NodeWebSocket;
    ws.#exchange?.upgraded(response.headers);
    ws.#exchange = undefined;
    ws.#socket = response.socket;
  }

  static #refused(this: WebSocket, request: ClientRequest, response: IncomingMessage): void {
    const ws = this as NodeWebSocket;
    ws.#exchange?.answered(response.statusCode ?? 0, response.headers);
    ws.#exchange = undefined;
    response.resume();
    // Our error first (the dialler keeps the first), then ws's own abort closes the socket.
    ws.emit('error', new UnexpectedResponseError(response.statusCode ?? 0, response.statusMessage ?? ''));
    ws.terminate();
    request.destroy();
  }

  /**
   * Sends made in one turn of the event loop leave in one write: the first send corks the socket and
   * the end of the turn uncorks it. `ws` writes every frame on its own (a system call each), and a
   * session replaying its outbox after a migration, or an app sending a burst, would pay one per
   * message. Nothing waits longer than the current turn. (`ws`'s per-frame cork/uncork nests inside ours.)
   */
  // Every form of `ws`'s send, passed through as given.
  override send(...args: unknown[]): void {
    const socket = this.#socket;
    if (socket !== undefined && !this.#corked) {
      this.#corked = true;
      socket.cork();
      process.nextTick(NodeWebSocket.#uncork, this);
    }
    (super.send as (...given: unknown[]) => void).apply(this, args);
  }

  static #uncork(ws: NodeWebSocket): void {
    ws.#corked = false;
    ws.#socket?.uncork();
  }
}
