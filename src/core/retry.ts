/**
 * The one place p-retry is called. A "round" tries every candidate node once (staggered); only
 * between full rounds do we back off, exponentially and jittered, so a dead cloud is not hammered
 * and clients of one dead node do not retry in lockstep.
 *
 * p-retry gives up at once on a TypeError it does not recognise as a network error, so whether to
 * retry is decided by our errors' `retriable` flag, never by class.
 */
import pRetry from 'p-retry';
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

export function retryRounds<T>(round: (n: number) => Promise<T>, options: RetryRoundsOptions): Promise<T> {
  return pRetry(round, {
    retries: Number.POSITIVE_INFINITY,
    minTimeout: options.minDelayMs,
    maxTimeout: options.maxDelayMs,
    factor: options.factor,
    randomize: true,
    maxRetryTime: options.maxElapsedMs,
    signal: options.signal,
    unref: true,
    onFailedAttempt: ({ error, attemptNumber }) => options.onFailedRound?.(error, attemptNumber),
    shouldRetry: ({ error }) => isGridlinkError(error) && error.retriable && !options.signal.aborted,
  });
}
