/** `gridlink` for browsers: the shared API with `connect()` bound to the page's WebSocket. */
import { Client } from './client/client.js';
import { createClient } from './client/create-client.js';
import type { ConnectOptions } from './client/options.js';
import { browserPlatform } from './platform/browser/index.js';

export * from './index.js';

/** Joins a session on the cloud. Returns at once; await `client.ready` to know it is joined. */
export function connect(options: ConnectOptions): Client {
  return createClient(browserPlatform, options);
}
