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
import { describeNodeError } from './network-errors.js';
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

/**
 * Keeps the event loop alive until released: one referenced timer that never fires, shared by every
 * client that holds (a crowd migrating at once takes a thousand holds), made by the first hold and
 * cleared by the last release. Each release counts once, however often it is called.
 */
let holds = 0;
let holdTimer: ReturnType<typeof setInterval> | undefined;
function holdProcess(): () => void {
  if (holds++ === 0) holdTimer = setInterval(() => {}, 2 ** 31 - 1);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--holds === 0) {
      clearInterval(holdTimer);
      holdTimer = undefined;
    }
  };
}

/**
 * A Node platform: its own cookie jar (made on first use: most clients never meet a proxy's
 * cookie), over the process's shared agents. A class, so its methods are shared by every client
 * and one instance is a few fields: a process may hold thousands.
 */
class NodePlatform implements Platform {
  readonly name = 'node';
  readonly dns = nodeDns;
  readonly now = monotonicNow;
  readonly holdProcess = holdProcess;
  readonly describeError = describeNodeError;
  readonly #ca: string | Buffer | Array<string | Buffer> | undefined;
  readonly #pool: PinnedAgents;
  #jar: CookieJar | undefined;
  /** The pool's dispatcher for each dial address, with this client's cookies on top. */
  #dispatchers: Map<string, Dispatcher> | undefined;

  constructor(options: NodePlatformOptions) {
    this.#ca = options.tls?.ca as string | Buffer | Array<string | Buffer> | undefined;
    this.#pool = poolFor(options.tls?.ca);
  }

  openWebSocket(url: string, options: OpenWebSocketOptions): WebSocketLike {
    return openNodeWebSocket(url, options, { jar: this.#cookieJar(), ca: this.#ca });
  }

  // A bound field, not a method: callers hand `platform.fetch` on as a function (resolvers, probes).
  readonly fetch = (url: string, options: HttpGetOptions): Promise<HttpResponseLike> => {
    // The request's own sticky cookie travels as a Cookie header; the interceptor merges the jar's.
    const headers: Record<string, string> = options.cookie === undefined ? {} : { cookie: options.cookie };
    return fetch(url, { signal: options.signal, headers, dispatcher: this.#dispatcher(options.address) });
  };

  #cookieJar(): CookieJar {
    return (this.#jar ??= new CookieJar());
  }

  #dispatcher(address: string | undefined): Dispatcher {
    const key = address ?? '';
    this.#dispatchers ??= new Map();
    let composed = this.#dispatchers.get(key);
    if (composed === undefined) {
      composed = this.#pool.for(address).compose(cookies(this.#cookieJar()));
      this.#dispatchers.set(key, composed);
    }
    return composed;
  }
}

/** A fresh Node platform: its own cookie jar, over the process's shared agents. */
export function createNodePlatform(options: NodePlatformOptions = {}): Platform {
  return new NodePlatform(options);
}

export const nodePlatform: Platform = createNodePlatform();
