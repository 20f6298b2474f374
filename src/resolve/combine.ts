/**
 * Several sources of nodes for one client (the cloud's DNS, the caller's resolver, a static list)
 * asked together each round, in that order of preference. A source that fails is reported and
 * left out; the round fails only when every source failed and there is no static list to fall back
 * on (then with the first source's error, which is what the caller configured first).
 */
import { ConnectError, isGridlinkError, type GridlinkError } from '../core/errors.js';
import type { NodeInfo } from '../protocol/frames.js';
import { staticResolver, type ResolvedNode, type Resolver } from './resolver.js';

export function combineResolvers(sources: readonly Resolver[], fixed: readonly NodeInfo[], warn: (error: GridlinkError) => void): Resolver {
  if (sources.length === 0) return staticResolver(fixed);
  if (sources.length === 1 && fixed.length === 0) return sources[0] as Resolver;
  return {
    async resolve(signal) {
      const settled = await Promise.allSettled(sources.map((source) => source.resolve(signal)));
      const nodes: ResolvedNode[] = [];
      const errors: unknown[] = [];
      for (const result of settled) {
        if (result.status === 'fulfilled') nodes.push(...result.value);
        else errors.push(result.reason);
      }
      if (signal.aborted && errors.length > 0) throw errors[0];
      if (nodes.length === 0 && fixed.length === 0 && errors.length > 0) throw errors[0];
      for (const error of errors) warn(isGridlinkError(error) ? error : new ConnectError('GRIDLINK_NO_NODES', 'resolver failed', { cause: error, retriable: true }));
      return [...nodes, ...fixed];
    },
  };
}
