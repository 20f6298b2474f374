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
      // Read each node's cooldown once: the clock moves, and a node must land in exactly one group.
      const ranked = policy.rank(nodes, context).map((node) => ({ node, until: cooldown.until(node.url) }));
      const ready = ranked.filter((r) => r.until === 0);
      const cooling = ranked.filter((r) => r.until !== 0).sort((a, b) => a.until - b.until);
      return [...ready, ...cooling].map((r) => r.node);
    },
  };
}
