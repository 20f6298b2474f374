/**
 * The page's lifecycle, which only a browser has. A hidden tab's timers are throttled (to once a
 * second, later once a minute) and a laptop sleeps: when the page becomes visible again, or comes
 * back from the back/forward cache, the link may be long dead without any timer having noticed, so
 * the session checks it at once (`wake`). `online`/`offline` come from the window's events and
 * `navigator.onLine`; while offline the client waits instead of burning its retries. Opt-in in the
 * browser core (the `pageLifecycle` piece), always on in the full IIFE.
 */
import type { LifecycleHandlers } from '../types.js';

export function watchLifecycle(handlers: LifecycleHandlers): () => void {
  // Passed to a client outside a page (Node), the piece has nothing to watch.
  if (typeof addEventListener !== 'function') return () => {};
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

export function isOffline(): boolean {
  return typeof navigator !== 'undefined' && navigator.onLine === false;
}
