/**
 * Cross-cutting: nodes that recently failed sit out a cooldown. They are moved behind the others
 * (soonest-back first) rather than removed, so a cloud whose every node is cooling still gets tried.
 * Synchronous over a synchronous policy, asynchronous over one that measures.
 */
import type { Cooldown } from '../core/cooldown.js';
import type { NodeInfo } from '../protocol/frames.js';
import { nodeKey } from '../resolve/node-list.js';
import { isPromise, type Policy, type SyncPolicy } from './policy.js';

export function withCooldown(policy: SyncPolicy, cooldown: Cooldown): SyncPolicy;
export function withCooldown(policy: Policy, cooldown: Cooldown): Policy;
export function withCooldown(policy: Policy, cooldown: Cooldown): Policy {
  const order = <N extends NodeInfo>(nodes: N[], failed: ReadonlySet<string>): N[] => {
    // Read each node's cooldown once: the clock moves, and a node must land in exactly one group.
    const ranked = nodes.map((node) => ({ node, until: cooldown.until(nodeKey(node)) }));
    // A node that failed us during this migration but is not cooling under this entry (behind a
    // proxy, the link died on the bare proxy URL, not on the node's own cookie entry) goes last
    // among the ready ones: dialling it first would only wait for it.
    const ready = ranked.filter((r) => r.until === 0 && !failed.has(r.node.id));
    const suspect = ranked.filter((r) => r.until === 0 && failed.has(r.node.id));
    const cooling = ranked.filter((r) => r.until !== 0).sort((a, b) => a.until - b.until);
    return [...ready, ...suspect, ...cooling].map((r) => r.node);
  };
  return {
    name: policy.name,
    rank(nodes, context) {
      const ranked = policy.rank(nodes, context);
      return isPromise(ranked) ? ranked.then((list) => order(list, context.failed)) : order(ranked, context.failed);
    },
  };
}
