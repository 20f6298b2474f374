/**
 * `gridlink` for browsers (bundlers): the core (browser-core.ts) plus every opt-in piece as an
 * export. A page passes the pieces it imports in `use`; a bundler drops the others.
 */
import { cloudResolver } from './client/cloud-resolver.js';
import type { CloudResolverOptions } from './client/options.js';
import type { CachedResolver } from './resolve/with-cache.js';
import { browserCorePlatform } from './platform/browser/index.js';

export * from './browser-core.js';
export { cloudDiscovery } from './client/cloud-piece.js';
export { affinityPolicy, latencyPolicy, roundRobinPolicy } from './client/policy-pieces.js';
export { logging, pageLifecycle } from './client/pieces.js';
export { extras } from './client/extras-piece.js';
export type { Piece } from './client/pieces.js';

/**
 * The cloud's DNS, asked over DNS-over-HTTPS (`doh` is required in a browser), as a cached
 * resolver several clients of one page can share through their `resolver` option.
 */
export function createCloudResolver(options: CloudResolverOptions): CachedResolver {
  return cloudResolver(browserCorePlatform, options);
}
