/**
 * A cloud's DNS as a stand-alone, cached `Resolver`, for callers who want to share one answer
 * between clients (`connect({ resolver, allowHosts: [cloud] })`: the second client connects
 * without asking DNS while the first answer is fresh) or to look at the cloud themselves.
 */
import { OptionsError, type GridlinkError } from '../core/errors.js';
import type { Platform } from '../platform/types.js';
import { dnsResolver } from '../resolve/dns.js';
import { withCache, type CachedResolver } from '../resolve/with-cache.js';
import { normalizeCloudOptions, type CloudResolverOptions } from './options.js';

export function cloudResolver(platform: Platform, input: CloudResolverOptions, onProblem?: (error: GridlinkError) => void): CachedResolver {
  const options = normalizeCloudOptions(input);
  if (platform.dns === undefined) throw new OptionsError('GRIDLINK_INVALID_OPTION', `cloud needs DNS, which the ${platform.name} platform cannot query`);
  const lookup = platform.dns(options.dns);
  return withCache(dnsResolver(lookup, { ...options, ...(onProblem === undefined ? {} : { onProblem }) }), platform.now);
}
