/**
 * Cross-cutting: an answer is reused until its TTL runs out. The connector asks before every
 * round, so a migration re-resolves exactly when the last answer has gone stale, and otherwise
 * costs nothing. A failure is not cached (the next round asks again).
 */
import type { AnswerSource, ResolvedNode, Resolver } from './resolver.js';

export interface CachedResolver extends Resolver {
  /** Forget the cached answer (the next `resolve()` asks the source). */
  clear(): void;
}

export function withCache(source: AnswerSource, now: () => number): CachedResolver {
  let cached: { nodes: readonly ResolvedNode[]; expires: number } | undefined;
  return {
    async resolve(signal) {
      if (cached !== undefined && now() < cached.expires) return cached.nodes;
      const answer = await source.lookup(signal);
      cached = { nodes: answer.nodes, expires: now() + answer.ttlMs };
      return answer.nodes;
    },
    clear() {
      cached = undefined;
    },
  };
}
