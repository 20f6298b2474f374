/**
 * The `latency` policy: the seeds' "redirected to the closest server". Each round it measures the
 * round trip to the first few candidates (in the order it was given, the cloud's) in parallel, and
 * puts the closest first. Measurements are kept for `cacheMs`, so back-to-back rounds (a migration)
 * do not measure again; a node that could not be measured within `timeoutMs` goes last, and nodes
 * that already failed this client in this migration are not measured at all.
 *
 * Cost: a round waits for its measurements, at most `timeoutMs`, whenever the cache is cold. Use it
 * when nodes are far apart (regions) and the cloud does not rank by distance itself.
 */
import { linkedController } from '../core/abort.js';
import { setUnrefTimeout } from '../core/timers.js';
import type { NodeInfo } from '../protocol/frames.js';
import { nodeKey } from '../resolve/node-list.js';
import type { Policy, PolicyContext } from './policy.js';

export interface LatencySettings {
  /** Round trip to `node` in ms; rejects when it cannot be measured. Must stop when `signal` aborts. */
  readonly measure: (node: NodeInfo & { readonly address?: string }, signal: AbortSignal) => Promise<number>;
  readonly now: () => number;
  /** How many of the first candidates are measured per round. Default 3. */
  readonly probes?: number;
  /** A measurement taking longer counts as unmeasurable. Default 500. */
  readonly timeoutMs?: number;
  /** How long a measurement (or a failure to measure) is reused. Default 10000. */
  readonly cacheMs?: number;
}

interface Measurement {
  readonly rtt: number; // Infinity: could not be measured
  readonly at: number;
}

const keyOf = (node: NodeInfo & { readonly address?: string }): string => `${nodeKey(node)} ${node.address ?? ''}`;

export function latencyPolicy(settings: LatencySettings): Policy {
  const probes = settings.probes ?? 3;
  const timeoutMs = settings.timeoutMs ?? 500;
  const cacheMs = settings.cacheMs ?? 10_000;
  const cache = new Map<string, Measurement>();

  const fresh = (node: NodeInfo): Measurement | undefined => {
    const m = cache.get(keyOf(node));
    return m !== undefined && settings.now() - m.at < cacheMs ? m : undefined;
  };

  async function measureOne(node: NodeInfo, signal: AbortSignal | undefined): Promise<void> {
    const { controller, dispose } = linkedController(signal);
    const timer = setUnrefTimeout(() => controller.abort(), timeoutMs);
    let rtt = Number.POSITIVE_INFINITY;
    try {
      const measured = await settings.measure(node, controller.signal);
      if (!controller.signal.aborted && Number.isFinite(measured) && measured >= 0) rtt = measured;
    } catch {
      // unmeasurable: recorded as Infinity below
    } finally {
      clearTimeout(timer);
      dispose();
    }
    // A round that was abandoned learned nothing about the node.
    if (signal?.aborted !== true) cache.set(keyOf(node), { rtt, at: settings.now() });
  }

  return {
    name: 'latency',
    async rank<N extends NodeInfo>(nodes: readonly N[], context: PolicyContext): Promise<N[]> {
      for (const [key, m] of cache) if (settings.now() - m.at >= cacheMs) cache.delete(key);
      const due = nodes.slice(0, probes).filter((n) => !context.failed.has(n.id) && fresh(n) === undefined);
      await Promise.all(due.map((n) => measureOne(n, context.signal)));
      // Read each node's measurement once: the clock moves, and a node must land in exactly one group.
      const snapshot = new Map(nodes.map((n) => [n, fresh(n)?.rtt]));
      const rtt = (n: N): number | undefined => snapshot.get(n);
      const measured = nodes.filter((n) => Number.isFinite(rtt(n))).sort((a, b) => (rtt(a) as number) - (rtt(b) as number));
      const unknown = nodes.filter((n) => rtt(n) === undefined);
      const unmeasurable = nodes.filter((n) => rtt(n) === Number.POSITIVE_INFINITY);
      return [...measured, ...unknown, ...unmeasurable];
    },
  };
}
