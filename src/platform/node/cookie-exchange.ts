/**
 * One request's dealings with a client's cookie jar, whatever sends the request (undici's fetch
 * through the interceptor, or the `ws` upgrade in websocket.ts):
 *
 * - A `Cookie` header the request already carries (a node's sticky cookie chosen for this attempt)
 *   wins, name by name, over the jar's. When such an upgrade succeeds, the jar adopts those pairs:
 *   the link now lives on that backend, and the next bare reconnect should go back there.
 * - `Set-Cookie` is stored from every response: the 101 of an upgrade and any other status.
 * - A 503 drops the jar's cookies this request sent (unless the response set them again): a proxy
 *   whose sticky cookie names a dead server answers 503 for as long as the cookie is sent (HAProxy
 *   without `option redispatch`), so the next attempt must go without it to reach a live backend.
 *   The jar cannot tell which cookie is the sticky one, so all of them go; a gridlink cloud's origin
 *   holds nothing else worth keeping.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { parseCookieHeader } from '../../protocol/cookie-header.js';
import type { CookieJar } from './cookie-jar.js';

export interface CookieExchange {
  /** The `Cookie` header to send (the request's own pairs first), or undefined for none. */
  readonly header: string | undefined;
  /** The upgrade succeeded (101). */
  upgraded(headers: IncomingHttpHeaders): void;
  /** Any other response, errors included. */
  answered(statusCode: number, headers: IncomingHttpHeaders): void;
}

export function setCookieLines(headers: IncomingHttpHeaders): string[] {
  const value = headers['set-cookie'];
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/** The cookie jar's origin key for a URL: ws:// and wss:// share http:// and https://'s. */
export function cookieOrigin(url: string | URL): string {
  const parsed = new URL(url);
  if (parsed.protocol === 'ws:') parsed.protocol = 'http:';
  else if (parsed.protocol === 'wss:') parsed.protocol = 'https:';
  return parsed.origin;
}

/** Starts one request's exchange; `explicit` is the `Cookie` header the request set itself. */
export function cookieExchange(jar: CookieJar, origin: string, explicit: string | undefined): CookieExchange {
  const chosen = explicit === undefined ? [] : parseCookieHeader(explicit);
  const overridden = new Set(chosen.map(([name]) => name));
  // The jar's pairs that go on the wire: its own, and any the request chose with the same value.
  const chosenValue = new Map(chosen);
  const sent = jar.names(origin).filter((name) => !overridden.has(name) || chosenValue.get(name) === jar.value(origin, name));
  const stored = jar.header(origin, overridden);
  const header = [explicit, stored].filter((v) => v !== undefined && v !== '').join('; ');
  return {
    header: header === '' ? undefined : header,
    upgraded(headers) {
      const set = setCookieLines(headers);
      // What the proxy set wins; otherwise the pair that routed this upgrade is the one to keep.
      const named = new Set(set.map((line) => line.slice(0, Math.max(0, line.indexOf('='))).trim()));
      for (const [name, value] of chosen) if (!named.has(name)) jar.adopt(origin, name, value);
      jar.store(origin, set);
    },
    answered(statusCode, headers) {
      // Set-Cookie of this very response (if any) is stored after, so a fresh cookie survives.
      if (statusCode === 503) jar.drop(origin, sent);
      jar.store(origin, setCookieLines(headers));
    },
  };
}
