/**
 * The cookie jar as an undici interceptor (`agent.compose(cookies(jar))`), so every request the
 * Node platform makes — the WebSocket upgrade (dispatched with `upgrade: 'websocket'`) and plain
 * GETs such as `/healthz` — carries the origin's cookies and teaches the jar what came back:
 *
 * - `Set-Cookie` is stored from every response: the 101 of an upgrade (`onRequestUpgrade`) and any
 *   other status, errors included (`onResponseStart`).
 * - A `Cookie` header the request already carries (a node's sticky cookie chosen for this attempt)
 *   wins, name by name, over the jar's. When such an upgrade succeeds, the jar adopts those pairs:
 *   the link now lives on that backend, and the next bare reconnect should go back there.
 * - A 503 drops the jar's cookies this request sent (unless the response set them again): a proxy
 *   whose sticky cookie names a dead server answers 503 for as long as the cookie is sent (HAProxy
 *   without `option redispatch`), so the next attempt must go without it to reach a live backend.
 *   The jar cannot tell which cookie is the sticky one, so all of them go; a gridlink cloud's origin
 *   holds nothing else worth keeping.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Dispatcher } from 'undici';
import { parseCookieHeader } from '../../protocol/cookie-header.js';
import type { CookieJar } from './cookie-jar.js';

type Headers = Record<string, string | string[]>;

/** undici accepts headers as a record, a flat [k, v, k, v] array, or an iterable of pairs. */
function toRecord(headers: Dispatcher.DispatchOptions['headers']): Headers {
  const out: Headers = {};
  const add = (name: unknown, value: unknown): void => {
    if (value === undefined || value === null) return;
    out[String(name)] = Array.isArray(value) ? value.map(String) : String(value);
  };
  if (headers === undefined || headers === null) return out;
  if (Array.isArray(headers)) {
    if (headers.length > 0 && Array.isArray(headers[0])) for (const [name, value] of headers as unknown as Array<[unknown, unknown]>) add(name, value);
    else for (let i = 0; i + 1 < headers.length; i += 2) add(headers[i], headers[i + 1]);
  } else if (typeof (headers as Iterable<unknown>)[Symbol.iterator] === 'function') {
    for (const [name, value] of headers as Iterable<[string, unknown]>) add(name, value);
  } else {
    for (const [name, value] of Object.entries(headers)) add(name, value);
  }
  return out;
}

/** Removes every `cookie` header (any case) and returns what it held. */
function takeCookie(headers: Headers): string | undefined {
  let cookie: string | undefined;
  for (const name of Object.keys(headers)) {
    if (name.toLowerCase() !== 'cookie') continue;
    const value = headers[name] as string | string[];
    cookie = [cookie, ...(Array.isArray(value) ? value : [value])].filter((v) => v !== undefined && v !== '').join('; ');
    delete headers[name];
  }
  return cookie === '' ? undefined : cookie;
}

function setCookies(headers: IncomingHttpHeaders): string[] {
  const value = headers['set-cookie'];
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

export function originOf(origin: Dispatcher.DispatchOptions['origin']): string {
  return (typeof origin === 'string' ? new URL(origin) : (origin as URL)).origin;
}

class CookieHandler implements Dispatcher.DispatchHandler {
  constructor(
    private readonly inner: Dispatcher.DispatchHandler,
    private readonly jar: CookieJar,
    private readonly origin: string,
    /** Names of the jar's cookies this request carried. */
    private readonly sent: readonly string[],
    /** Pairs the request set itself. */
    private readonly chosen: ReadonlyArray<[string, string]>,
  ) {}

  onRequestStart(controller: Dispatcher.DispatchController, context: unknown): void {
    this.inner.onRequestStart?.(controller, context);
  }

  onRequestUpgrade(controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders, socket: Duplex): void {
    const set = setCookies(headers);
    // What the proxy set wins; otherwise the pair that routed this upgrade is the one to keep.
    const named = new Set(set.map((line) => line.slice(0, Math.max(0, line.indexOf('='))).trim()));
    for (const [name, value] of this.chosen) if (!named.has(name)) this.jar.adopt(this.origin, name, value);
    this.jar.store(this.origin, set);
    this.inner.onRequestUpgrade?.(controller, statusCode, headers, socket);
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders, statusMessage?: string): void {
    const set = setCookies(headers);
    if (statusCode === 503) {
      // Set-Cookie of this very response (if any) is stored after, so a fresh cookie survives.
      this.jar.drop(this.origin, this.sent);
    }
    this.jar.store(this.origin, set);
    this.inner.onResponseStart?.(controller, statusCode, headers, statusMessage);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.inner.onResponseData?.(controller, chunk);
  }

  onResponseEnd(controller: Dispatcher.DispatchController, trailers: IncomingHttpHeaders): void {
    this.inner.onResponseEnd?.(controller, trailers);
  }

  onResponseError(controller: Dispatcher.DispatchController, error: Error): void {
    this.inner.onResponseError?.(controller, error);
  }
}

/** The interceptor; compose it onto each agent of one client so they share that client's jar. */
export function cookies(jar: CookieJar): Dispatcher.DispatcherComposeInterceptor {
  return (dispatch) => (options, handler) => {
    const origin = originOf(options.origin);
    const headers = toRecord(options.headers);
    const explicit = takeCookie(headers);
    const chosen = explicit === undefined ? [] : parseCookieHeader(explicit);
    const overridden = new Set(chosen.map(([name]) => name));
    // The jar's pairs that go on the wire: its own, and any the request chose with the same value.
    const chosenValue = new Map(chosen);
    const sent = jar.names(origin).filter((name) => !overridden.has(name) || chosenValue.get(name) === jar.value(origin, name));
    const stored = jar.header(origin, overridden);
    const cookie = [explicit, stored].filter((v) => v !== undefined).join('; ');
    if (cookie !== '') headers.cookie = cookie;
    return dispatch({ ...options, headers }, new CookieHandler(handler, jar, origin, sent, chosen));
  };
}
