/**
 * A cloud's DNS as a stand-alone, cached `Resolver`, for callers who want to share one answer
 * between clients (`connect({ resolver, allowHosts: [cloud] })`: the second client connects
 * without asking DNS while the first answer is fresh) or to look at the cloud themselves. Also
 * where the DNS a cloud is asked over is chosen: DNS-over-HTTPS when `doh` is given, else the
 * platform's own (Node's resolver; browsers have none).
 */
import { OptionsError, type GridlinkError } from '../core/errors.js';
import type { DnsLookup, Platform } from '../platform/types.js';
import { dnsResolver } from '../resolve/dns.js';
import { dohLookup } from '../resolve/doh.js';
import { withCache, type CachedResolver } from '../resolve/with-cache.js';
import { normalizeCloudOptions, type CloudResolverOptions } from './cloud-options.js';

function refuse(message: string, cause?: unknown): never {
  throw new OptionsError('GRIDLINK_INVALID_OPTION', message, cause === undefined ? {} : { cause });
}

/** The DNS to ask for a cloud: DoH endpoints, or the platform's servers. Throws `OptionsError` when there is none. */
export function cloudLookup(platform: Platform, options: { readonly dns: readonly string[]; readonly doh: readonly string[]; readonly timeoutMs: number }): DnsLookup {
  if (options.doh.length > 0) {
    if (platform.fetch === undefined) refuse(`doh needs HTTP, which the ${platform.name} platform lacks`);
    return dohLookup({ endpoints: options.doh, get: platform.fetch, timeoutMs: options.timeoutMs, now: platform.now });
  }
  if (platform.dns === undefined) {
    refuse(`cloud needs DNS, which the ${platform.name} platform cannot query: give doh (DNS-over-HTTPS endpoints), or use discovery, nodes or a resolver`);
  }
  try {
    return platform.dns(options.dns);
  } catch (cause) {
    return refuse(`dns was refused by the platform: ${(cause as Error).message}`, cause);
  }
}

export function cloudResolver(platform: Platform, input: CloudResolverOptions, onProblem?: (error: GridlinkError) => void): CachedResolver {
  const options = normalizeCloudOptions(input);
  const lookup = cloudLookup(platform, options);
  return withCache(dnsResolver(lookup, { ...options, ...(onProblem === undefined ? {} : { onProblem }) }), platform.now);
}
