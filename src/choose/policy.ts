/**
 * Policies order the candidate nodes for one connection round; the connector tries them in that
 * order (staggered). Contract: `rank()` is synchronous, returns a subset of `nodes` (no new ones),
 * and is called once per round.
 *
 * - `assigned` (default): the cloud's order, as DNS or the static list gave it — the cloud decides.
 * - `affinity`: rendezvous hash of the session id, so all members of a session go straight to the
 *   node the cloud's nodes would place it on.
 * - `round-robin`: rotate the start, to spread load when the cloud gives no order.
 * - a function: your own ranking.
 */
import { rendezvousRank } from './rendezvous.js';
import type { NodeInfo } from '../protocol/frames.js';

export interface PolicyContext {
  readonly session: string;
  /** Ids of nodes that failed this client during the current migration. */
  readonly failed: ReadonlySet<string>;
}

export type PolicyFunction = (nodes: readonly NodeInfo[], context: PolicyContext) => readonly NodeInfo[];
export type PolicyName = 'assigned' | 'affinity' | 'round-robin';

export interface Policy {
  readonly name: string;
  rank(nodes: readonly NodeInfo[], context: PolicyContext): NodeInfo[];
}

export const assignedPolicy: Policy = {
  name: 'assigned',
  rank: (nodes) => [...nodes],
};

export const affinityPolicy: Policy = {
  name: 'affinity',
  rank: (nodes, context) => rendezvousRank(context.session, nodes, (n) => n.id),
};

export function roundRobinPolicy(): Policy {
  let next = 0;
  return {
    name: 'round-robin',
    rank(nodes) {
      if (nodes.length === 0) return [];
      const start = next++ % nodes.length;
      return [...nodes.slice(start), ...nodes.slice(0, start)];
    },
  };
}

/** Wraps a user function: whatever it returns is filtered to known nodes, so it cannot add hosts. */
export function customPolicy(fn: PolicyFunction): Policy {
  return {
    name: 'custom',
    rank(nodes, context) {
      const known = new Map(nodes.map((n) => [n.url, n]));
      const out: NodeInfo[] = [];
      for (const node of fn(nodes, context)) {
        const match = known.get(node.url);
        if (match !== undefined && !out.includes(match)) out.push(match);
      }
      return out;
    },
  };
}

export function createPolicy(policy: PolicyName | PolicyFunction): Policy {
  if (typeof policy === 'function') return customPolicy(policy);
  if (policy === 'affinity') return affinityPolicy;
  if (policy === 'round-robin') return roundRobinPolicy();
  return assignedPolicy;
}
