/** The one backoff rule (core/backoff.ts) and the three behaviours built on it. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Backoff, backoffCeiling, backoffDelay } from '../../src/core/backoff.js';
import { retryRule, roundDelay } from '../../src/core/retry.js';

describe('the backoff rule', () => {
  it('grows by factor from base and stops at the cap', () => {
    const rule = { baseMs: 100, maxMs: 1000 };
    expect([0, 1, 2, 3, 4, 5, 50, 5000].map((n) => backoffCeiling(rule, n))).toEqual([100, 200, 400, 800, 1000, 1000, 1000, 1000]);
    expect([0, 1, 2].map((n) => backoffCeiling({ ...rule, factor: 3 }, n))).toEqual([100, 300, 900]);
  });

  it('a zero base stays zero however many attempts (no NaN)', () => {
    expect(backoffCeiling({ baseMs: 0, maxMs: 1000 }, 5000)).toBe(0);
  });

  it('full jitter: anywhere in [0, ceiling), by the random source', () => {
    const rule = { baseMs: 100, maxMs: 1000 };
    expect(backoffDelay(rule, 2, () => 0)).toBe(0);
    expect(backoffDelay(rule, 2, () => 0.5)).toBe(200);
    expect(backoffDelay(rule, 2, () => 0.999)).toBeLessThan(400);
  });
});

describe('Backoff (peer redial)', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** When `fn` fires after runOnce, in ms, for each of `runs` failures in a row. */
  function delays(backoff: Backoff, runs: number): number[] {
    const out: number[] = [];
    for (let i = 0; i < runs; i++) {
      const start = Date.now();
      let fired = -1;
      backoff.runOnce(() => {
        fired = Date.now() - start;
      });
      vi.runAllTimers();
      out.push(fired);
    }
    return out;
  }

  it('waits a jittered delay that grows to the cap, and reset() starts over', () => {
    const backoff = new Backoff(50, 2000, () => 0.5);
    expect(delays(backoff, 8)).toEqual([25, 50, 100, 200, 400, 800, 1000, 1000]);
    backoff.reset();
    expect(delays(backoff, 2)).toEqual([25, 50]);
  });

  it('a new runOnce replaces the pending one; stop() cancels it', () => {
    const backoff = new Backoff(100, 1000, () => 0.99);
    const calls: string[] = [];
    backoff.runOnce(() => calls.push('first'));
    backoff.runOnce(() => calls.push('second'));
    vi.runAllTimers();
    expect(calls).toEqual(['second']);
    backoff.runOnce(() => calls.push('third'));
    backoff.stop();
    vi.runAllTimers();
    expect(calls).toEqual(['second']);
  });
});

describe('retry rounds', () => {
  it('minDelayMs is the base, maxDelayMs the cap, and the jitter adds up to one more ceiling (×1–2)', () => {
    const rule = retryRule({ minDelayMs: 100, maxDelayMs: 5000, factor: 2, maxElapsedMs: 60_000 });
    expect(rule).toEqual({ baseMs: 100, maxMs: 5000, factor: 2 });
    expect([1, 2, 3].map((round) => roundDelay(rule, round, () => 0))).toEqual([100, 200, 400]);
    expect([1, 2, 3].map((round) => roundDelay(rule, round, () => 0.5))).toEqual([150, 300, 600]);
    expect(roundDelay(rule, 7, () => 0)).toBe(5000);
    expect(roundDelay(rule, 1, () => 0.999)).toBeLessThanOrEqual(200);
  });
});
