/** `gridlink` for browsers: the shared API with `connect()` bound to the page's WebSocket and fetch. */
import { Client } from './client/client.js';
import { cloudResolver } from './client/cloud-resolver.js';
import { createClient } from './client/create-client.js';
import type { CloudResolverOptions, ConnectOptions } from './client/options.js';
import type { CachedResolver } from './resolve/with-cache.js';
import { browserPlatform } from './platform/browser/index.js';

export * from './index.js';

/** Joins a session on the cloud. Returns at once; await `client.ready` to know it is joined. */
export function connect(options: ConnectOptions): Client {
  return createClient(browserPlatform, options);
}

/**
 * The cloud's DNS, asked over DNS-over-HTTPS (`doh` is required in a browser), as a cached
 * resolver several clients of one page can share through their `resolver` option.
 */
export function createCloudResolver(options: CloudResolverOptions): CachedResolver {
  return cloudResolver(browserPlatform, options);
}
