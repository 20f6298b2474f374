/**
 * The Node platform: undici's WebSocket client. undici (not the global WebSocket, which Node 20
 * lacks without a flag) lets later layers pass a dispatcher and handshake headers, e.g. to dial a
 * node's IP while Host stays the cloud's name, or to carry a proxy's sticky cookie.
 */
import { WebSocket } from 'undici';
import type { OpenWebSocketOptions, Platform, WebSocketLike } from '../types.js';
import { monotonicNow } from '../../core/timers.js';

export const nodePlatform: Platform = {
  name: 'node',
  openWebSocket(url: string, options: OpenWebSocketOptions): WebSocketLike {
    const init = options.headers === undefined ? { protocols: options.protocols } : { protocols: options.protocols, headers: options.headers };
    return new WebSocket(url, init) as unknown as WebSocketLike;
  },
  now: monotonicNow,
};
