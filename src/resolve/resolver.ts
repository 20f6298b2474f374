/**
 * Resolvers turn what the caller configured (a static list, a cloud name) into the cloud's nodes,
 * best first. Contract: `resolve()` may be called before every connection round; it is the
 * resolver's job to cache (honouring TTLs) and to keep a last good answer when its source fails.
 * It rejects with a retriable `GRIDLINK_NO_NODES` when it has nothing at all.
 */
import type { NodeInfo } from '../protocol/frames.js';

export interface Resolver {
  resolve(signal: AbortSignal): Promise<readonly NodeInfo[]>;
}

/** A fixed list: the simplest cloud, and the fallback when everything else is down. */
export function staticResolver(nodes: readonly NodeInfo[]): Resolver {
  const answer = Object.freeze([...nodes]);
  return { resolve: () => Promise.resolve(answer) };
}
