/**
 * The cookie jar as an undici interceptor (`agent.compose(cookies(jar))`), so every plain request the
 * Node platform makes (`/healthz`, discovery, DoH) carries the origin's cookies and teaches the jar
 * what came back; the rules are cookie-exchange.ts's, shared with the WebSocket upgrade.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Dispatcher } from 'undici';
import { cookieExchange, type CookieExchange } from './cookie-exchange.js';
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

export function originOf(origin: Dispatcher.DispatchOptions['origin']): string {
  return (typeof origin === 'string' ? new URL(origin) : (origin as URL)).origin;
}

class CookieHandler implements Dispatcher.DispatchHandler {
  constructor(
    private readonly inner: Dispatcher.DispatchHandler,
    private readonly exchange: CookieExchange,
  ) {}

  onRequestStart(controller: Dispatcher.DispatchController, context: unknown): void {
    this.inner.onRequestStart?.(controller, context);
  }

  onRequestUpgrade(controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders, socket: Duplex): void {
    this.exchange.upgraded(headers);
    this.inner.onRequestUpgrade?.(controller, statusCode, headers, socket);
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders, statusMessage?: string): void {
    this.exchange.answered(statusCode, headers);
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
    const headers = toRecord(options.headers);
    const exchange = cookieExchange(jar, originOf(options.origin), takeCookie(headers));
    if (exchange.header !== undefined) headers.cookie = exchange.header;
    return dispatch({ ...options, headers }, new CookieHandler(handler, exchange));
  };
}
