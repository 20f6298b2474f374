/**
 * The browser platform: the page's own WebSocket and fetch. Browsers cannot set handshake headers
 * (cookies are sent by the browser itself) nor choose the address they dial, so `headers` and
 * `address` are ignored here by design, and there is no `dns`: a page resolves a cloud by
 * DNS-over-HTTPS or a discovery document (resolvers of their own), or gets a static list.
 */
import type { HttpGetOptions, HttpResponseLike, OpenWebSocketOptions, Platform, WebSocketLike } from '../types.js';
import { monotonicNow } from '../../core/timers.js';

export const browserPlatform: Platform = {
  name: 'browser',
  openWebSocket(url: string, options: OpenWebSocketOptions): WebSocketLike {
    return new WebSocket(url, options.protocols) as unknown as WebSocketLike;
  },
  fetch(url: string, options: HttpGetOptions): Promise<HttpResponseLike> {
    return fetch(url, { signal: options.signal });
  },
  now: monotonicNow,
};
