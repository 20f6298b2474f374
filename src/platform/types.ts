/**
 * What gridlink needs from the platform it runs on. Each platform entry (`src/node.ts`,
 * `src/browser.ts`) builds one of these and passes it to `createClient`; nothing else in the code
 * imports undici or looks at `globalThis` to guess where it runs. A platform is per client instance,
 * never a module-wide setting, so two clients with different platforms cannot disturb each other.
 */

/** The subset of the WHATWG WebSocket that gridlink uses; undici's and the browser's both fit. */
export interface WebSocketLike {
  readonly readyState: number;
  readonly bufferedAmount: number;
  readonly protocol: string;
  binaryType: string;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open', listener: () => void): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  addEventListener(type: 'close', listener: (event: { code: number; reason: string; wasClean: boolean }) => void): void;
  addEventListener(type: 'error', listener: (event: unknown) => void): void;
  removeEventListener(type: 'open' | 'message' | 'close' | 'error', listener: (event: never) => void): void;
}

export interface OpenWebSocketOptions {
  readonly protocols: string[];
  /** Extra handshake headers (Node only; browsers cannot set them and ignore this). */
  readonly headers?: Record<string, string>;
  /**
   * An IP address to dial instead of resolving the URL's host; `Host` (and TLS SNI) stay the URL's
   * name. Node only: a browser cannot choose the address it connects to and ignores this.
   */
  readonly address?: string;
  /**
   * A `name=value` cookie to send with this request (a proxy's sticky cookie naming one backend),
   * in place of a stored cookie of the same name. Node only: a browser sends its own cookies.
   */
  readonly cookie?: string;
  /**
   * Called once the TCP connection under the WebSocket is up, before the node answers the upgrade:
   * the node's host is there and accepting. Node only: a page cannot see it, and the open event is
   * its first sign of life.
   */
  readonly onConnected?: () => void;
}

export interface HttpGetOptions {
  readonly signal: AbortSignal;
  /** As for `openWebSocket`: dial this IP, keep the URL's name for Host and SNI. Ignored by browsers. */
  readonly address?: string;
  /** As for `openWebSocket`: this request's sticky cookie. Ignored by browsers. */
  readonly cookie?: string;
}

/** The subset of the WHATWG Response that gridlink reads. */
export interface HttpResponseLike {
  readonly status: number;
  /** Only `content-type` is read (a DNS-over-HTTPS answer must be `application/dns-message`). */
  readonly headers: { get(name: string): string | null };
  json(): Promise<unknown>;
  /** The body as bytes (DNS-over-HTTPS answers are binary). */
  arrayBuffer(): Promise<ArrayBuffer>;
}

/** An address record; `ttl` in seconds as the DNS server gave it. */
export interface DnsAddress {
  readonly address: string;
  readonly ttl: number;
}

/** An SRV record. Node's API gives no TTL for SRV answers. */
export interface DnsSrv {
  readonly name: string;
  readonly port: number;
  readonly priority: number;
  readonly weight: number;
}

/**
 * DNS queries against a fixed set of servers. Contract: each method resolves with the records (an
 * empty list is allowed) or rejects with the platform's raw error, whose `code` is one of node:dns's
 * (`ENOTFOUND`, `ENODATA`, `ETIMEOUT`, `ECONNREFUSED`, `ECANCELLED`, …); `src/resolve/dns-errors.ts`
 * classifies it once. Aborting `signal` cancels the lookup's outstanding queries. Queries fail fast
 * (bounded timeout and tries) so a dead DNS server costs a round little.
 */
export interface DnsLookup {
  srv(name: string, signal: AbortSignal): Promise<DnsSrv[]>;
  a(name: string, signal: AbortSignal): Promise<DnsAddress[]>;
  aaaa(name: string, signal: AbortSignal): Promise<DnsAddress[]>;
}

/** What the platform tells a client about its surroundings (browsers: page visibility, network). */
export interface LifecycleHandlers {
  /** The page became visible again (or the machine woke): timers may have slept; check the link now. */
  wake(): void;
  /** The network came back: check the link now, and stop waiting to reconnect. */
  online(): void;
  /** The network is gone: reconnecting now would only burn attempts. */
  offline(): void;
}

export interface Platform {
  readonly name: 'node' | 'browser';
  openWebSocket(url: string, options: OpenWebSocketOptions): WebSocketLike;
  /** Monotonic clock in milliseconds. */
  now(): number;
  /** One HTTP GET (health probes, the latency policy). Absent on platforms without fetch. */
  readonly fetch?: (url: string, options: HttpGetOptions) => Promise<HttpResponseLike>;
  /**
   * DNS lookups against `servers` ('ip' or 'ip:port'; empty = the system's servers). Node only:
   * browsers cannot send DNS queries (DNS-over-HTTPS is a resolver of its own).
   */
  readonly dns?: (servers: readonly string[]) => DnsLookup;
  /**
   * A raw failure of this platform (a socket, TLS or DNS error) in words; `undefined` when it is
   * not one the platform knows. Absent where errors carry no detail (browsers).
   */
  readonly describeError?: (cause: unknown) => string | undefined;
  /** Subscribes to lifecycle events; returns the unsubscribe function. Absent where there are none (Node). */
  readonly watchLifecycle?: (handlers: LifecycleHandlers) => () => void;
  /** True when the platform knows it has no network (navigator.onLine === false). */
  readonly isOffline?: () => boolean;
  /**
   * Keeps the process running while a client is still trying to reach its cloud (between attempts
   * no socket is open, and a Node script awaiting `ready` would otherwise just exit); returns the
   * release. Absent where a page's life does not depend on it (browsers).
   */
  readonly holdProcess?: () => () => void;
}
