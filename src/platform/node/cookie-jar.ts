/**
 * A small cookie jar, one per client: what a reverse proxy in front of the cloud set (its sticky
 * `SRVNAME=S1` cookie), sent back on every request to the same origin, as a browser would. Node's
 * WebSocket and fetch keep no cookies, and without them a proxy with `cookie SRVNAME insert` would
 * balance every reconnect afresh.
 *
 * Scope: cookies are kept per origin (scheme, host and port), exactly, never shared with other ports
 * or sub-domains; `Domain`, `Path`, `Secure` and `SameSite` are not interpreted: a gridlink cloud
 * behind a proxy is one origin, and the jar never leaves the client that owns it. `Max-Age` and
 * `Expires` are honoured (a past date or `Max-Age=0` deletes). Bounded: a hostile server cannot
 * make it grow without end.
 */
import { parseCookie } from 'undici';

const MAX_ORIGINS = 64;
const MAX_COOKIES_PER_ORIGIN = 32;
const MAX_PAIR_LENGTH = 4096;

interface Stored {
  readonly value: string;
  /** Epoch ms after which the cookie is gone; Infinity for a session cookie. */
  readonly expires: number;
}

export class CookieJar {
  /** Made by the first cookie: most clients never meet a proxy's (memory per idle client). */
  #origins: Map<string, Map<string, Stored>> | undefined;

  constructor(private readonly clock: () => number = Date.now) {}

  /** Takes the `Set-Cookie` lines of one response from `origin`; malformed lines are ignored. */
  store(origin: string, setCookies: readonly string[]): void {
    for (const line of setCookies) {
      if (line.length > MAX_PAIR_LENGTH) continue;
      const cookie = parseCookie(line);
      if (cookie === null || cookie.name.length === 0) continue;
      const expires =
        cookie.maxAge !== undefined
          ? this.clock() + cookie.maxAge * 1000
          : cookie.expires !== undefined
            ? new Date(cookie.expires).getTime()
            : Number.POSITIVE_INFINITY;
      if (!(expires > this.clock())) this.#cookies(origin, false)?.delete(cookie.name);
      else this.#set(origin, cookie.name, { value: cookie.value, expires });
    }
  }

  /** Remembers a pair this client chose itself (e.g. a node's sticky cookie that got it upgraded). */
  adopt(origin: string, name: string, value: string): void {
    if (name.length + value.length < MAX_PAIR_LENGTH) this.#set(origin, name, { value, expires: Number.POSITIVE_INFINITY });
  }

  /** Names of the live cookies kept for `origin`. */
  names(origin: string): string[] {
    const cookies = this.#cookies(origin, false);
    if (cookies === undefined) return [];
    const now = this.clock();
    for (const [name, stored] of cookies) if (stored.expires <= now) cookies.delete(name);
    return [...cookies.keys()];
  }

  value(origin: string, name: string): string | undefined {
    return this.#cookies(origin, false)?.get(name)?.value;
  }

  /** `name=value; …` for `origin`, leaving out `except` (names the request sets itself). */
  header(origin: string, except: ReadonlySet<string>): string | undefined {
    const cookies = this.#cookies(origin, false);
    if (cookies === undefined) return undefined;
    const pairs = this.names(origin)
      .filter((name) => !except.has(name))
      .map((name) => `${name}=${(cookies.get(name) as Stored).value}`);
    return pairs.length === 0 ? undefined : pairs.join('; ');
  }

  drop(origin: string, names: Iterable<string>): void {
    const cookies = this.#cookies(origin, false);
    if (cookies === undefined) return;
    for (const name of names) cookies.delete(name);
    if (cookies.size === 0) this.#origins?.delete(origin);
  }

  #set(origin: string, name: string, stored: Stored): void {
    const cookies = this.#cookies(origin, true) as Map<string, Stored>;
    cookies.delete(name);
    cookies.set(name, stored);
    if (cookies.size > MAX_COOKIES_PER_ORIGIN) cookies.delete(cookies.keys().next().value as string);
  }

  #cookies(origin: string, create: boolean): Map<string, Stored> | undefined {
    let cookies = this.#origins?.get(origin);
    if (cookies !== undefined || !create) return cookies;
    cookies = new Map();
    const origins = (this.#origins ??= new Map());
    origins.set(origin, cookies);
    if (origins.size > MAX_ORIGINS) origins.delete(origins.keys().next().value as string);
    return cookies;
  }
}
