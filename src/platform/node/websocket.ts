/**
 * The Node WebSocket client: `ws` (measured against undici's WebSocket, it opens sockets 2.6x
 * faster at a ninth of the heap, and its failures say why: ECONNREFUSED, a TLS reason, the HTTP
 * status of an answer that was not an upgrade; undici's error event carries an empty TypeError).
 *
 * What the platform promises on top of a plain socket:
 * - dial a pinned IP while `Host` and TLS SNI stay the URL's name (a `lookup` that answers the pin);
 * - trust extra CAs for `wss://` (verification stays on);
 * - the client's cookie jar on the upgrade, by cookie-exchange.ts's rules (a proxy's sticky cookie).
 */
import type { ClientRequest, IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import WebSocket from 'ws';
import type { OpenWebSocketOptions, WebSocketLike } from '../types.js';
import { cookieExchange, cookieOrigin } from './cookie-exchange.js';
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
  const ws = new WebSocket(url, options.protocols, {
    headers,
    // gridlink frames are small JSON; compression costs more CPU than it saves on a LAN.
    perMessageDeflate: false,
    followRedirects: false,
    ...(options.address === undefined ? {} : { lookup: pinnedLookup(options.address) }),
    ...(context.ca === undefined ? {} : { ca: context.ca }),
  });
  // One of the two answers comes; both listeners go then (they hold the cookie exchange).
  const onUpgrade = (response: IncomingMessage): void => {
    ws.off('unexpected-response', onUnexpected);
    exchange.upgraded(response.headers);
    corkPerTick(ws, response.socket);
  };
  const onUnexpected = (request: ClientRequest, response: IncomingMessage): void => {
    ws.off('upgrade', onUpgrade);
    exchange.answered(response.statusCode ?? 0, response.headers);
    response.resume();
    // Our error first (the dialler keeps the first), then ws's own abort closes the socket.
    ws.emit('error', new UnexpectedResponseError(response.statusCode ?? 0, response.statusMessage ?? ''));
    ws.terminate();
    request.destroy();
  };
  ws.once('upgrade', onUpgrade);
  ws.once('unexpected-response', onUnexpected);
  return ws as unknown as WebSocketLike;
}

/**
 * Sends made in one turn of the event loop leave in one write: the first send corks the socket and
 * the end of the turn uncorks it. `ws` writes every frame on its own (a system call each), and a
 * session replaying its outbox after a migration, or an app sending a burst, would pay one per
 * message. Nothing waits longer than the current turn. (The socket is the upgrade's own, which
 * `ws` goes on to use; its per-frame cork/uncork nests inside ours.)
 */
function corkPerTick(ws: WebSocket, socket: Socket): void {
  const send = ws.send.bind(ws) as (data: string) => void;
  let corked = false;
  const uncork = (): void => {
    corked = false;
    socket.uncork();
  };
  (ws as { send: (data: string) => void }).send = (data: string): void => {
    if (!corked) {
      corked = true;
      socket.cork();
      process.nextTick(uncork);
    }
    send(data);
  };
}
