/**
 * The Node platform: undici's WebSocket client and fetch, node:dns. undici (not the global
 * WebSocket, which Node 20 lacks without a flag) takes a dispatcher and handshake headers: that is
 * how a node resolved through the cloud's DNS is dialled by IP while Host and SNI stay its name, how
 * a custom CA is trusted, and how the client's cookie jar (a reverse proxy's sticky cookie) rides on
 * every request. A platform is built per client: each client has its own jar, composed on agents
 * that all clients trusting the same CAs share (see pinned-agents.ts).
 */
import type { LookupFunction } from 'node:net';
import { Agent, fetch, WebSocket, type Dispatcher } from 'undici';
import type { HttpGetOptions, HttpResponseLike, OpenWebSocketOptions, Platform, WebSocketLike } from '../types.js';
import { monotonicNow } from '../../core/timers.js';
import { cookies } from './cookie-interceptor.js';
import { CookieJar } from './cookie-jar.js';
import { nodeDns } from './dns.js';
import { PinnedAgents } from './pinned-agents.js';

export interface NodePlatformOptions {
  /** Extra trust for `wss://`: certificate authorities (PEM) besides Node's own. Verification stays on. */
  readonly tls?: { readonly ca?: string | Uint8Array | ReadonlyArray<string | Uint8Array> };
}

const KEEP_ALIVE_MS = 4000;

type Ca = NonNullable<NodePlatformOptions['tls']>['ca'];

/** The process's agents, per set of trusted CAs (compared by value for a PEM string, else by reference). */
const pools = new Map<Ca | null, PinnedAgents>();

function poolFor(ca: Ca): PinnedAgents {
  let pool = pools.get(ca ?? null);
  if (pool === undefined) {
    pool = new PinnedAgents(
      (lookup: LookupFunction | undefined): Dispatcher =>
        new Agent({
          connect: { ...(lookup === undefined ? {} : { lookup }), ...(ca === undefined ? {} : { ca: ca as string | Buffer | Array<string | Buffer> }) },
          keepAliveTimeout: KEEP_ALIVE_MS,
        }),
    );
    pools.set(ca ?? null, pool);
  }
  return pool;
}

/** A fresh Node platform: its own cookie jar, over the process's shared agents. */
export function createNodePlatform(options: NodePlatformOptions = {}): Platform {
  const jar = new CookieJar();
  const pool = poolFor(options.tls?.ca);
  const mine = new Map<string, Dispatcher>();
  const dispatcher = (address: string | undefined): Dispatcher => {
    const key = address ?? '';
    let composed = mine.get(key);
    if (composed === undefined) {
      composed = pool.for(address).compose(cookies(jar));
      mine.set(key, composed);
    }
    return composed;
  };
  // The request's own sticky cookie travels as a Cookie header; the interceptor merges the jar's.
  const cookieHeader = (cookie: string | undefined): Record<string, string> => (cookie === undefined ? {} : { cookie });
  return {
    name: 'node',
    openWebSocket(url: string, options: OpenWebSocketOptions): WebSocketLike {
      const headers = { ...options.headers, ...cookieHeader(options.cookie) };
      const init = { protocols: options.protocols, headers, dispatcher: dispatcher(options.address) };
      return new WebSocket(url, init) as unknown as WebSocketLike;
    },
    fetch(url: string, options: HttpGetOptions): Promise<HttpResponseLike> {
      return fetch(url, { signal: options.signal, headers: cookieHeader(options.cookie), dispatcher: dispatcher(options.address) });
    },
    dns: nodeDns,
    now: monotonicNow,
  };
}

export const nodePlatform: Platform = createNodePlatform();
