/** `gridlink` for Node.js: the shared API with `connect()` bound to the undici platform. */
import { Client } from './client/client.js';
import { createClient } from './client/create-client.js';
import type { ConnectOptions } from './client/options.js';
import { nodePlatform } from './platform/node/index.js';

export * from './index.js';

/** Joins a session on the cloud. Returns at once; await `client.ready` to know it is joined. */
export function connect(options: ConnectOptions): Client {
  return createClient(nodePlatform, options);
}
