/**
 * The Node platform: undici's WebSocket client and fetch, node:dns. undici (not the global
 * WebSocket, which Node 20 lacks without a flag) takes a dispatcher and handshake headers: that is
 * how a node resolved through the cloud's DNS is dialled by IP while Host and SNI stay its name.
 */
import { fetch, WebSocket } from 'undici';
import type { HttpGetOptions, HttpResponseLike, OpenWebSocketOptions, Platform, WebSocketLike } from '../types.js';
import { monotonicNow } from '../../core/timers.js';
import { nodeDns } from './dns.js';
import { PinnedAgents } from './pinned-agents.js';

/** A fresh Node platform (its own pool of pinned-address agents). */
export function createNodePlatform(): Platform {
  const agents = new PinnedAgents();
  return {
    name: 'node',
    openWebSocket(url: string, options: OpenWebSocketOptions): WebSocketLike {
      const init = {
        protocols: options.protocols,
        ...(options.headers === undefined ? {} : { headers: options.headers }),
        ...(options.address === undefined ? {} : { dispatcher: agents.for(options.address) }),
      };
      return new WebSocket(url, init) as unknown as WebSocketLike;
    },
    fetch(url: string, options: HttpGetOptions): Promise<HttpResponseLike> {
      const init = { signal: options.signal, ...(options.address === undefined ? {} : { dispatcher: agents.for(options.address) }) };
      return fetch(url, init);
    },
    dns: nodeDns,
    now: monotonicNow,
  };
}

export const nodePlatform: Platform = createNodePlatform();
