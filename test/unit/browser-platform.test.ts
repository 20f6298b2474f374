/**
 * The browser platform's lifecycle hooks, with the page's globals stood in by EventTargets: which
 * events wake the session, which say online/offline, and that unsubscribing removes every listener.
 * (The same hooks run in real Chromium in test/browser/lifecycle.test.ts.)
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { browserPlatform } from '../../src/platform/browser/index.js';

function fakePage() {
  const window = new EventTarget();
  const document = Object.assign(new EventTarget(), { visibilityState: 'visible' as 'visible' | 'hidden' });
  const navigator = { onLine: true };
  vi.stubGlobal('addEventListener', window.addEventListener.bind(window));
  vi.stubGlobal('removeEventListener', window.removeEventListener.bind(window));
  vi.stubGlobal('document', document);
  vi.stubGlobal('navigator', navigator);
  return { window, document, navigator };
}

afterEach(() => vi.unstubAllGlobals());

describe('browser platform: lifecycle', () => {
  it('visible again or restored from the back/forward cache: wake; online/offline as the window says', () => {
    const page = fakePage();
    const calls: string[] = [];
    const unwatch = browserPlatform.watchLifecycle?.({ wake: () => calls.push('wake'), online: () => calls.push('online'), offline: () => calls.push('offline') });
    page.document.visibilityState = 'hidden';
    page.document.dispatchEvent(new Event('visibilitychange'));
    page.document.visibilityState = 'visible';
    page.document.dispatchEvent(new Event('visibilitychange'));
    page.window.dispatchEvent(Object.assign(new Event('pageshow'), { persisted: false }));
    page.window.dispatchEvent(Object.assign(new Event('pageshow'), { persisted: true }));
    page.window.dispatchEvent(new Event('offline'));
    page.window.dispatchEvent(new Event('online'));
    expect(calls).toEqual(['wake', 'wake', 'offline', 'online']);

    unwatch?.();
    page.document.dispatchEvent(new Event('visibilitychange'));
    page.window.dispatchEvent(new Event('online'));
    expect(calls).toHaveLength(4);
  });

  it('isOffline follows navigator.onLine', () => {
    const page = fakePage();
    expect(browserPlatform.isOffline?.()).toBe(false);
    page.navigator.onLine = false;
    expect(browserPlatform.isOffline?.()).toBe(true);
  });

  it('works without a document (a worker): online/offline only', () => {
    const page = fakePage();
    vi.stubGlobal('document', undefined);
    const calls: string[] = [];
    const unwatch = browserPlatform.watchLifecycle?.({ wake: () => calls.push('wake'), online: () => calls.push('online'), offline: () => calls.push('offline') });
    page.window.dispatchEvent(new Event('online'));
    unwatch?.();
    expect(calls).toEqual(['online']);
  });
});
