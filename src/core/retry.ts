/**
 * The one place p-retry is called. A "round" tries every candidate node once (staggered); only
 * between full rounds do we back off, exponentially and jittered, so a dead cloud is not hammered
 * and clients of one dead node do not retry in lockstep.
 *
 * The delays follow the backoff rule of backoff.ts, computed by p-retry (the engine: attempts,
 * abort, the elapsed-time limit): before round n+1 it waits the rule's uncapped ceiling plus a full
 * jitter of it, i.e. ×1–2 (p-retry's `randomize`), capped at maxDelayMs. `minDelayMs` is therefore
 * a true minimum, as the README documents.
 *
 * p-retry gives up at once on a TypeError it does not recognise as a network error, so whether to
 * retry is decided by our errors' `retriable` flag, never by class.
 */
import pRetry from 'p-retry';
import type { BackoffRule } from './backoff.js';
import { isGridlinkError } from './errors.js';

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

/** The rule in p-retry's terms; `randomize` is its jitter (×1–2 of the ceiling). */
export function pRetryBackoff(rule: Required<BackoffRule>): { minTimeout: number; maxTimeout: number; factor: number; randomize: true } {
  return { minTimeout: rule.baseMs, maxTimeout: rule.maxMs, factor: rule.factor, randomize: true };
}

export function retryRounds<T>(round: (n: number) => Promise<T>, options: RetryRoundsOptions): Promise<T> {
  return pRetry(round, {
    retries: Number.POSITIVE_INFINITY,
    ...pRetryBackoff(retryRule(options)),
    maxRetryTime: options.maxElapsedMs,
    signal: options.signal,
    unref: true,
    onFailedAttempt: ({ error, attemptNumber }) => options.onFailedRound?.(error, attemptNumber),
    shouldRetry: ({ error }) => isGridlinkError(error) && error.retriable && !options.signal.aborted,
  });
}
