/**
 * Rounds of connection attempts. A "round" tries every candidate node once (staggered); only
 * between full rounds do we back off, exponentially and jittered, so a dead cloud is not hammered
 * and clients of one dead node do not retry in lockstep.
 *
 * The delays follow the backoff rule of backoff.ts: before round n+1 the loop waits the rule's
 * uncapped ceiling plus a full jitter of it, i.e. ×1–2 (what p-retry calls `randomize`, whose
 * semantics this loop keeps: it replaced p-retry so that browsers do not carry 1.4 KB for it),
 * capped at maxDelayMs. `minDelayMs` is therefore a true minimum, as the README documents.
 *
 * Whether to retry is decided by our errors' `retriable` flag, never by class: anything else
 * thrown (a bug, a plain Error) ends the rounds at once.
 */
import type { BackoffRule } from './backoff.js';
import { isGridlinkError } from './errors.js';
import { monotonicNow, setUnrefTimeout } from './timers.js';

export interface RetrySettings {
  readonly minDelayMs: number;
  readonly maxDelayMs: number;
  readonly factor: number;
  /** Give up (state `failed`) when no round succeeded for this long; Infinity = never. */
  readonly maxElapsedMs: number;
}

export interface RetryRoundsOptions extends RetrySettings {
  readonly signal: AbortSignal;
  readonly onFailedRound?: (error: unknown, round: number) => void;
}

/** The rounds' backoff as the shared rule: minDelayMs is its base, maxDelayMs its cap. */
export function retryRule(settings: RetrySettings): Required<BackoffRule> {
  return { baseMs: settings.minDelayMs, maxMs: settings.maxDelayMs, factor: settings.factor };
}

/** The wait before round `round + 1`: ×1–2 of the ceiling (p-retry's rounding), at most the cap. */
export function roundDelay(rule: Required<BackoffRule>, round: number, random: () => number = Math.random): number {
  return Math.min(rule.maxMs, Math.round((random() + 1) * rule.baseMs * rule.factor ** (round - 1)));
}

/** Resolves after `ms` (unref'd: the caller's own hold keeps a process alive), or rejects with the abort reason. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const stop = (): void => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setUnrefTimeout(() => {
      signal.removeEventListener('abort', stop);
      resolve();
    }, ms);
    signal.addEventListener('abort', stop, { once: true });
  });
}

export async function retryRounds<T>(round: (n: number) => Promise<T>, options: RetryRoundsOptions): Promise<T> {
  const { signal } = options;
  const rule = retryRule(options);
  const started = monotonicNow();
  for (let n = 1; ; n++) {
    signal.throwIfAborted();
    try {
      const result = await round(n);
      signal.throwIfAborted();
      return result;
    } catch (error) {
      options.onFailedRound?.(error, n);
      const left = options.maxElapsedMs - (monotonicNow() - started);
      if (left <= 0 || !isGridlinkError(error) || !error.retriable || signal.aborted) throw error;
      await pause(Math.min(roundDelay(rule, n), left), signal);
    }
  }
}
