/**
 * The browser platform: the page's own WebSocket. Browsers cannot set handshake headers (cookies
 * are sent by the browser itself), so `headers` is ignored here by design.
 */
import type { OpenWebSocketOptions, Platform, WebSocketLike } from '../types.js';
import { monotonicNow } from '../../core/timers.js';

export const browserPlatform: Platform = {
  name: 'browser',
  openWebSocket(url: string, options: OpenWebSocketOptions): WebSocketLike {
    return new WebSocket(url, options.protocols) as unknown as WebSocketLike;
  },
  now: monotonicNow,
};
