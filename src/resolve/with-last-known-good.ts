/**
 * Cross-cutting: stale-if-error. When the source fails (the DNS servers are down — in a cloud
 * whose DNS runs on its nodes, exactly when nodes die), the last good answer is returned instead,
 * and `onStale` says so: the client keeps failing over with what it knew (plus the list the
 * connected node advertised) rather than with nothing.
 *
 * A source that is merely slow counts as failing for this round once `patienceMs` has passed: a
 * silent DNS server must not add its whole timeout to a failover. Its lookup goes on in the
 * background (one at a time, shared by the rounds that ask meanwhile) and, if it succeeds, is the
 * answer of the next round.
 */
import { ConnectError, isGridlinkError, type GridlinkError } from '../core/errors.js';
import { setUnrefTimeout, type TimerHandle } from '../core/timers.js';
import type { ResolvedNode, Resolver } from './resolver.js';

export const DEFAULT_PATIENCE_MS = 250;

type Outcome = { kind: 'answer'; nodes: readonly ResolvedNode[] } | { kind: 'error'; error: unknown } | { kind: 'slow' };

export function withLastKnownGood(
  resolver: Resolver,
  onStale: (error: GridlinkError, nodes: readonly ResolvedNode[]) => void,
  patienceMs = DEFAULT_PATIENCE_MS,
): Resolver {
  let last: readonly ResolvedNode[] | undefined;
  let pending: Promise<readonly ResolvedNode[]> | undefined;

  const ask = (signal: AbortSignal): Promise<readonly ResolvedNode[]> => {
    if (pending === undefined) {
      const lookup = resolver.resolve(signal).then((nodes) => {
        if (nodes.length > 0) last = nodes;
        return nodes;
      });
      pending = lookup;
      // Nobody may be waiting any more (a round that went ahead on the stale answer).
      lookup.then(
        () => (pending = undefined),
        () => (pending = undefined),
      );
    }
    return pending;
  };

  return {
    async resolve(signal) {
      const stale = last;
      if (stale === undefined) return ask(signal);
      let timer: TimerHandle | undefined;
      const outcome = await Promise.race<Outcome>([
        ask(signal).then(
          (nodes) => ({ kind: 'answer', nodes }),
          (error: unknown) => ({ kind: 'error', error }),
        ),
        new Promise<Outcome>((resolve) => (timer = setUnrefTimeout(() => resolve({ kind: 'slow' }), patienceMs))),
      ]);
      clearTimeout(timer);
      if (outcome.kind === 'answer') return outcome.nodes;
      if (signal.aborted) throw outcome.kind === 'error' ? outcome.error : signal.reason;
      const error =
        outcome.kind === 'slow'
          ? new ConnectError('GRIDLINK_TIMEOUT', `the resolver did not answer within ${patienceMs} ms`, { retriable: true })
          : isGridlinkError(outcome.error)
            ? outcome.error
            : new ConnectError('GRIDLINK_NO_NODES', 'resolver failed', { cause: outcome.error, retriable: true });
      onStale(error, stale);
      return stale;
    },
  };
}
