/**
 * The browser platform: the page's own WebSocket and fetch. Browsers cannot set handshake headers
 * (cookies are sent by the browser itself) nor choose the address they dial, so `headers` and
 * `address` are ignored here by design, and there is no `dns`: a page resolves a cloud by
 * DNS-over-HTTPS or a discovery document (resolvers of their own), or gets a static list.
 *
 * The page's lifecycle is the other thing only a browser has. A hidden tab's timers are throttled
 * (to once a second, later once a minute) and a laptop sleeps: when the page becomes visible again,
 * or comes back from the back/forward cache, the link may be long dead without any timer having
 * noticed, so the session checks it at once (`wake`). `online`/`offline` come from the window's
 * events and `navigator.onLine`; while offline the client waits instead of burning its retries.
 */
import type { HttpGetOptions, HttpResponseLike, LifecycleHandlers, OpenWebSocketOptions, Platform, WebSocketLike } from '../types.js';
import { monotonicNow } from '../../core/timers.js';

function watchLifecycle(handlers: LifecycleHandlers): () => void {
  // A worker has no document (nor visibility); it still has online/offline on its global scope.
  const doc = typeof document === 'undefined' ? undefined : document;
  const visible = (): void => {
    if (doc?.visibilityState === 'visible') handlers.wake();
  };
  const shown = (event: Event): void => {
    if ((event as PageTransitionEvent).persisted) handlers.wake(); // restored from the back/forward cache
  };
  const online = (): void => handlers.online();
  const offline = (): void => handlers.offline();
  doc?.addEventListener('visibilitychange', visible);
  addEventListener('pageshow', shown);
  addEventListener('online', online);
  addEventListener('offline', offline);
  return () => {
    doc?.removeEventListener('visibilitychange', visible);
    removeEventListener('pageshow', shown);
    removeEventListener('online', online);
    removeEventListener('offline', offline);
  };
}

export const browserPlatform: Platform = {
  name: 'browser',
  openWebSocket(url: string, options: OpenWebSocketOptions): WebSocketLike {
    return new WebSocket(url, options.protocols) as unknown as WebSocketLike;
  },
  fetch(url: string, options: HttpGetOptions): Promise<HttpResponseLike> {
    // Default credentials ('same-origin'): a cross-origin node's `*` CORS must not get cookies.
    return fetch(url, { signal: options.signal });
  },
  now: monotonicNow,
  watchLifecycle,
  isOffline: () => navigator.onLine === false,
};
