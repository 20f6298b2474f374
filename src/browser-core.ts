/**
 * The browser core: the shared API with `connect()` bound to the page's WebSocket and fetch, for
 * `nodes` or a `resolver` with the `assigned` policy (or a policy function). The entry of
 * `dist/gridlink.core.iife.js`; `gridlink` for bundlers (browser.ts) adds the opt-in pieces as
 * exports a bundler keeps only when a page imports them.
 */
import { Client } from './client/client.js';
import { createClient } from './client/create-client.js';
import type { ConnectOptions } from './client/options.js';
import { browserCorePlatform } from './platform/browser/index.js';

export * from './index.js';

/** Joins a session on the cloud. Returns at once; await `client.ready` to know it is joined. */
export function connect(options: ConnectOptions): Client {
  return createClient(browserCorePlatform, options);
}
