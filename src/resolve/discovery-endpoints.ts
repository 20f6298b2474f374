/**
 * A list of HTTP endpoints that serve the same thing (the cloud's DoH servers, the discovery
 * document on each node). Tried in order, starting with the one that answered last — so a dead
 * first endpoint costs one timeout once, not on every lookup — each attempt bounded by a timeout,
 * until one gives a usable answer. Failures are classified here, once, into gridlink codes.
 */
import { abortError, linkedController } from '../core/abort.js';
import { ConnectError, isGridlinkError, type GridlinkError } from '../core/errors.js';
import { setUnrefTimeout } from '../core/timers.js';
import type { HttpResponseLike, Platform } from '../platform/types.js';

export type HttpGet = NonNullable<Platform['fetch']>;

/** Turns a response into a value, or throws a `GridlinkError` (then the next endpoint is asked). */
export type ReadResponse<T> = (response: HttpResponseLike, url: string) => Promise<T>;

export class Endpoints {
  #preferred = 0;

  constructor(
    private readonly urls: readonly string[],
    private readonly get: HttpGet,
    private readonly timeoutMs: number,
  ) {}

  /** Asks the endpoints in turn (`address(base)` builds each request's URL); the first good answer wins. */
  async ask<T>(address: (base: string) => string, read: ReadResponse<T>, signal: AbortSignal): Promise<T> {
    let first: GridlinkError | undefined;
    for (let i = 0; i < this.urls.length; i++) {
      const index = (this.#preferred + i) % this.urls.length;
      try {
        const value = await this.#one(address(this.urls[index] as string), read, signal);
        this.#preferred = index;
        return value;
      } catch (error) {
        if (signal.aborted) throw abortError(signal, 'asking for the cloud\'s nodes');
        first ??= error as GridlinkError;
      }
    }
    throw first ?? new ConnectError('GRIDLINK_NO_NODES', 'no endpoint to ask', { retriable: true });
  }

  async #one<T>(url: string, read: ReadResponse<T>, signal: AbortSignal): Promise<T> {
    const { controller, dispose } = linkedController(signal);
    let timedOut = false;
    const timer = setUnrefTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.timeoutMs);
    try {
      const response = await this.get(url, { signal: controller.signal });
      if (response.status !== 200) {
        await response.arrayBuffer().catch(() => undefined); // free the connection
        throw new ConnectError('GRIDLINK_CONNECT_FAILED', `${url} answered HTTP ${response.status}`, { retriable: true });
      }
      return await read(response, url);
    } catch (error) {
      if (timedOut) throw new ConnectError('GRIDLINK_TIMEOUT', `no answer from ${url} within ${this.timeoutMs} ms`, { cause: error, retriable: true });
      if (isGridlinkError(error)) throw error;
      // fetch rejects with a TypeError for every network failure (refused, reset, CORS, DNS).
      throw new ConnectError('GRIDLINK_CONNECT_FAILED', `could not reach ${url}`, { cause: error, retriable: true });
    } finally {
      clearTimeout(timer);
      dispose();
    }
  }
}
