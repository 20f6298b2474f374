/** `gridlink` for Node.js: the shared API with `connect()` bound to the undici platform. */
import { Client } from './client/client.js';
import { cloudResolver } from './client/cloud-resolver.js';
import { cloudDiscovery } from './client/cloud-piece.js';
import { createClient } from './client/create-client.js';
import { logging, type Piece } from './client/pieces.js';
import { extras } from './client/extras-piece.js';
import { affinityPolicy, latencyPolicy, roundRobinPolicy } from './client/policy-pieces.js';
import type { CloudResolverOptions, ConnectOptions } from './client/options.js';
import type { CachedResolver } from './resolve/with-cache.js';
import { createNodePlatform, nodePlatform } from './platform/node/index.js';
import { installSuggestions } from './core/suggest.js';

export * from './index.js';
export { cloudDiscovery } from './client/cloud-piece.js';
export { affinityPolicy, latencyPolicy, roundRobinPolicy } from './client/policy-pieces.js';
export { logging, pageLifecycle } from './client/pieces.js';
export { extras } from './client/extras-piece.js';
export type { Piece } from './client/pieces.js';

// A misspelt option gets its "did you mean …?" (validate.ts).
installSuggestions();

/** Node has every option by name: the cloud's DNS, discovery, every policy, the logger. */
const NODE_PIECES: readonly Piece[] = [cloudDiscovery, latencyPolicy, affinityPolicy, roundRobinPolicy, logging, extras];

/** Joins a session on the cloud. Returns at once; await `client.ready` to know it is joined. */
export function connect(options: ConnectOptions): Client {
  // A platform per client: its own cookie jar (a proxy's sticky cookie) and its own TLS trust.
  const tls = typeof options === 'object' && options !== null ? options.tls : undefined;
  return createClient(createNodePlatform(tls === undefined ? {} : { tls }), options, NODE_PIECES);
}

/**
 * The cloud's DNS as a cached resolver (TTLs honoured) that several clients can share through
 * their `resolver` option. `connect({ cloud })` builds its own; this is for sharing and inspection.
 */
export function createCloudResolver(options: CloudResolverOptions): CachedResolver {
  return cloudResolver(nodePlatform, options);
}
