/**
 * Policies order the candidate nodes for one connection round; the connector tries them in that
 * order (staggered). Contract: `rank()` returns a subset of `nodes` (the same objects, no new
 * ones), is called once per round, and may return a promise (the `latency` policy measures); a
 * policy that can answer at once should, so a round does not wait for nothing.
 *
 * - `assigned` (default): the cloud's order, as DNS or the static list gave it — the cloud decides.
 * - `latency`: the closest of the first few candidates by measured round trip (see latency.ts).
 * - `affinity`: rendezvous hash of the session id, so all members of a session go straight to the
 *   node the cloud's nodes would place it on.
 * - `round-robin`: rotate the start, to spread load when the cloud gives no order.
 * - a function: your own ranking.
 */
import { nodeKey } from '../resolve/node-list.js';
import { rendezvousRank } from '../protocol/rendezvous.js';
import type { NodeInfo } from '../protocol/frames.js';

export interface PolicyContext {
  readonly session: string;
  /** Ids of nodes that failed this client during the current migration. */
  readonly failed: ReadonlySet<string>;
  /** Aborts when the round is no longer wanted (a policy that measures stops then). */
  readonly signal?: AbortSignal;
}

export type PolicyFunction = (nodes: readonly NodeInfo[], context: PolicyContext) => readonly NodeInfo[] | Promise<readonly NodeInfo[]>;
/** A policy function that answers at once. */
export type SyncPolicyFunction = (nodes: readonly NodeInfo[], context: PolicyContext) => readonly NodeInfo[];
export type PolicyName = 'assigned' | 'latency' | 'affinity' | 'round-robin';

export interface Policy {
  readonly name: string;
  rank<N extends NodeInfo>(nodes: readonly N[], context: PolicyContext): N[] | Promise<N[]>;
}

/** A policy that always answers at once. */
export interface SyncPolicy extends Policy {
  rank<N extends NodeInfo>(nodes: readonly N[], context: PolicyContext): N[];
}

export const assignedPolicy: SyncPolicy = {
  name: 'assigned',
  rank: (nodes) => [...nodes],
};

export const affinityPolicy: SyncPolicy = {
  name: 'affinity',
  rank: (nodes, context) => rendezvousRank(context.session, nodes, (n) => n.id),
};

export function roundRobinPolicy(): SyncPolicy {
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
export function customPolicy(fn: SyncPolicyFunction): SyncPolicy;
export function customPolicy(fn: PolicyFunction): Policy;
export function customPolicy(fn: PolicyFunction): Policy {
  return {
    name: 'custom',
    rank<N extends NodeInfo>(nodes: readonly N[], context: PolicyContext) {
      const known = new Map(nodes.map((n) => [nodeKey(n), n]));
      const pick = (answer: readonly NodeInfo[]): N[] => {
        const out: N[] = [];
        for (const node of answer) {
          const match = known.get(nodeKey(node));
          if (match !== undefined && !out.includes(match)) out.push(match);
        }
        return out;
      };
      const answer = fn(nodes, context);
      // A synchronous function keeps the round synchronous.
      return isPromise(answer) ? answer.then(pick) : pick(answer);
    },
  };
}

export function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

/** The named policies that need nothing from the platform; `latency` is built by create-client. */
export function createPolicy(policy: Exclude<PolicyName, 'latency'> | SyncPolicyFunction): SyncPolicy;
export function createPolicy(policy: Exclude<PolicyName, 'latency'> | PolicyFunction): Policy;
export function createPolicy(policy: Exclude<PolicyName, 'latency'> | PolicyFunction): Policy {
  if (typeof policy === 'function') return customPolicy(policy);
  if (policy === 'affinity') return affinityPolicy;
  if (policy === 'round-robin') return roundRobinPolicy();
  return assignedPolicy;
}
