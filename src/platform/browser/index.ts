/**
 * The browser platform: the page's own WebSocket and fetch. Browsers cannot set handshake headers
 * (cookies are sent by the browser itself) nor choose the address they dial, so `headers` and
 * `address` are ignored here by design, and there is no `dns`: a page resolves a cloud by
 * DNS-over-HTTPS or a discovery document (resolvers of their own), or gets a static list.
 *
 * `browserCorePlatform` leaves the page's lifecycle out (lifecycle.ts: an opt-in piece);
 * `browserPlatform` has it, for the full bundle.
 */
import type { HttpGetOptions, HttpResponseLike, OpenWebSocketOptions, Platform, WebSocketLike } from '../types.js';
import { monotonicNow } from '../../core/timers.js';
import { isOffline, watchLifecycle } from './lifecycle.js';

function openWebSocket(url: string, options: OpenWebSocketOptions): WebSocketLike {
  return new WebSocket(url, options.protocols) as unknown as WebSocketLike;
}

function httpGet(url: string, options: HttpGetOptions): Promise<HttpResponseLike> {
  // Default credentials ('same-origin'): a cross-origin node's `*` CORS must not get cookies.
  return fetch(url, { signal: options.signal });
}

export const browserCorePlatform: Platform = { name: 'browser', openWebSocket, fetch: httpGet, now: monotonicNow };

export const browserPlatform: Platform = { name: 'browser', openWebSocket, fetch: httpGet, now: monotonicNow, watchLifecycle, isOffline };
