/**
 * The `cloudDiscovery` piece: the cloud's DNS (over DNS-over-HTTPS, or the platform's own in Node)
 * and discovery documents as sources of nodes, each cached for its answer's lifetime and kept as
 * last-known-good when its source fails. Options `cloud`, `doh`, `dns` and `discovery` need it.
 */
import { OptionsError } from '../core/errors.js';
import type { DnsLookup } from '../platform/types.js';
import { discoverySource } from '../resolve/discovery.js';
import { dnsResolver } from '../resolve/dns.js';
import { hostOf } from '../resolve/node-list.js';
import type { AnswerSource, Resolver } from '../resolve/resolver.js';
import { withCache } from '../resolve/with-cache.js';
import { withLastKnownGood } from '../resolve/with-last-known-good.js';
import { cloudOptionFields } from './cloud-options.js';
import { cloudLookup } from './cloud-resolver.js';
import type { CloudContext, Piece } from './pieces.js';

function sources(context: CloudContext, lookup: DnsLookup | undefined): Resolver[] {
  const { platform, options, nodes, warn } = context;
  // The cloud's own answers are cached for their lifetime and kept when their source fails.
  const cached = (source: AnswerSource): Resolver => withLastKnownGood(withCache(source, platform.now), (error) => context.onNodes({ nodes: nodes.all(), source: 'stale', error }));
  const out: Resolver[] = [];
  if (lookup !== undefined && options.cloud !== undefined) {
    out.push(cached(dnsResolver(lookup, { cloud: options.cloud, scheme: options.scheme, port: options.port, maxNodes: options.maxNodes, onProblem: warn })));
  }
  if (options.discovery.length > 0) {
    const get = platform.fetch;
    if (get === undefined) throw new OptionsError('GRIDLINK_INVALID_OPTION', `discovery needs HTTP, which the ${platform.name} platform lacks`);
    const documents = discoverySource({ urls: options.discovery, get, timeoutMs: options.connectTimeoutMs, maxNodes: options.maxNodes, onProblem: warn });
    out.push(
      cached({
        async lookup(signal) {
          const answer = await documents.lookup(signal);
          for (const node of answer.nodes) context.vouch(hostOf(node.url));
          return answer;
        },
      }),
    );
  }
  return out;
}

export const cloudDiscovery: Piece = {
  piece: 'cloud',
  options: cloudOptionFields,
  lookup: (platform, options) => cloudLookup(platform, { dns: options.dns, doh: options.doh, timeoutMs: options.connectTimeoutMs }),
  sources,
};
