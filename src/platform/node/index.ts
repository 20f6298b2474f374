/**
 * The Node platform: the `ws` WebSocket client (websocket.ts), undici's fetch for plain requests
 * (health probes, discovery, DoH), node:dns. Both dial a node resolved through the cloud's DNS by IP
 * while Host and SNI stay its name, trust a custom CA, and carry the client's cookie jar (a reverse
 * proxy's sticky cookie). A platform is built per client: each client has its own jar; fetch's
 * agents are shared by all clients trusting the same CAs (see pinned-agents.ts).
 */
import type { LookupFunction } from 'node:net';
import { Agent, fetch, type Dispatcher } from 'undici';
import type { HttpGetOptions, HttpResponseLike, OpenWebSocketOptions, Platform, WebSocketLike } from '../types.js';
import { monotonicNow } from '../../core/timers.js';
import { cookies } from './cookie-interceptor.js';
import { CookieJar } from './cookie-jar.js';
import { nodeDns } from './dns.js';
import { PinnedAgents } from './pinned-agents.js';
import { openNodeWebSocket } from './websocket.js';

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

/** A referenced timer that never fires: the event loop stays alive until it is released. */
function holdProcess(): () => void {
  const hold = setInterval(() => {}, 2 ** 31 - 1);
  return () => clearInterval(hold);
}

/** A fresh Node platform: its own cookie jar, over the process's shared agents. */
export function createNodePlatform(options: NodePlatformOptions = {}): Platform {
  const jar = new CookieJar();
  const ca = options.tls?.ca as string | Buffer | Array<string | Buffer> | undefined;
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
      return openNodeWebSocket(url, options, { jar, ca });
    },
    fetch(url: string, options: HttpGetOptions): Promise<HttpResponseLike> {
      return fetch(url, { signal: options.signal, headers: cookieHeader(options.cookie), dispatcher: dispatcher(options.address) });
    },
    dns: nodeDns,
    now: monotonicNow,
    holdProcess,
  };
}

export const nodePlatform: Platform = createNodePlatform();
