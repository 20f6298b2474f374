/**
 * Cross-cutting: nodes that recently failed sit out a cooldown. They are moved behind the others
 * (soonest-back first) rather than removed, so a cloud whose every node is cooling still gets tried.
 */
import type { Cooldown } from '../core/cooldown.js';
import type { Policy } from './policy.js';

export function withCooldown(policy: Policy, cooldown: Cooldown): Policy {
  return {
    name: policy.name,
    rank(nodes, context) {
      const ranked = policy.rank(nodes, context);
      const ready = ranked.filter((n) => !cooldown.isCooling(n.url));
      const cooling = ranked.filter((n) => cooldown.isCooling(n.url)).sort((a, b) => cooldown.until(a.url) - cooldown.until(b.url));
      return [...ready, ...cooling];
    },
  };
}
