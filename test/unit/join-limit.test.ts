/** The per-address token bucket that limits joins, on a fake clock. */
import { describe, expect, it } from 'vitest';
import { createJoinLimit } from '../../src/server/clients/join-limit.js';

describe('join limit (token bucket per address)', () => {
  it('allows a burst, then refills at the rate; addresses do not share a bucket', () => {
    let now = 0;
    const limit = createJoinLimit(2, 4, () => now);
    expect([1, 2, 3, 4, 5].map(() => limit.take('10.0.0.1'))).toEqual([true, true, true, true, false]);
    expect(limit.take('10.0.0.2')).toBe(true);
    now += 499;
    expect(limit.take('10.0.0.1')).toBe(false);
    now += 1;
    expect(limit.take('10.0.0.1')).toBe(true);
    now += 60_000;
    // Refilled to the burst, not beyond it.
    expect([1, 2, 3, 4, 5].map(() => limit.take('10.0.0.1'))).toEqual([true, true, true, true, false]);
  });

  it('Infinity turns it off', () => {
    const limit = createJoinLimit(Infinity, Infinity, () => 0);
    expect(Array.from({ length: 1000 }, () => limit.take('a')).every(Boolean)).toBe(true);
  });

  it('survives a flood of distinct addresses (the map is pruned, never unbounded)', () => {
    let now = 0;
    const limit = createJoinLimit(1, 1, () => now);
    expect(limit.take('busy')).toBe(true);
    for (let i = 0; i < 30_000; i++) limit.take(`10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`);
    now += 1;
    // Evicted or not, the answer stays sane (an evicted address gets a fresh, bounded bucket).
    expect(typeof limit.take('busy')).toBe('boolean');
  });
});

describe('resumed joins (a member back with its resume token)', () => {
  it('have their own bucket, ten times the fresh one, and do not use up fresh joins', () => {
    let now = 0;
    const limit = createJoinLimit(2, 4, () => now);
    const resumed = Array.from({ length: 41 }, () => limit.take('nat', true));
    expect(resumed.filter(Boolean)).toHaveLength(40);
    expect(resumed.at(-1)).toBe(false);
    // The newcomers behind the same address still have all their fresh joins.
    expect([1, 2, 3, 4, 5].map(() => limit.take('nat'))).toEqual([true, true, true, true, false]);
    now += 100; // 10 × 2/s = 2 resumed joins refilled in 100 ms; no fresh one yet
    expect([limit.take('nat', true), limit.take('nat', true), limit.take('nat', true)]).toEqual([true, true, false]);
    expect(limit.take('nat')).toBe(false);
  });
});
