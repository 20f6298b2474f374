import { describe, expect, it } from 'vitest';
import { Cooldown } from '../../src/core/cooldown.js';

function clock() {
  let t = 10_000;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

describe('Cooldown', () => {
  it('a node that never failed is not cooling', () => {
    const c = new Cooldown({ baseMs: 100, maxMs: 1000 }, clock().now);
    expect(c.isCooling('x')).toBe(false);
    expect(c.until('x')).toBe(0);
    expect(c.failures('x')).toBe(0);
  });

  it('the ceiling doubles per consecutive failure and is capped at maxMs', () => {
    const { now } = clock();
    const c = new Cooldown({ baseMs: 100, maxMs: 1000 }, now, () => 1); // random = 1: the ceiling itself
    const lengths: number[] = [];
    for (let i = 0; i < 7; i++) {
      c.fail('x');
      lengths.push(c.until('x') - now());
    }
    expect(lengths).toEqual([100, 200, 400, 800, 1000, 1000, 1000]);
    expect(c.failures('x')).toBe(7);
  });

  it('jitter stays within [ceiling/2, ceiling]', () => {
    const { now } = clock();
    for (const r of [0, 0.001, 0.25, 0.5, 0.999, 1]) {
      const c = new Cooldown({ baseMs: 100, maxMs: 1000 }, now, () => r);
      for (let i = 0, ceiling = 100; i < 6; i++, ceiling = Math.min(1000, ceiling * 2)) {
        c.fail('x');
        const length = c.until('x') - now();
        expect(length).toBeGreaterThanOrEqual(ceiling / 2);
        expect(length).toBeLessThanOrEqual(ceiling);
      }
    }
  });

  it('never collapses to zero: with random 0 a failed node still sits out half the ceiling', () => {
    const { now, advance } = clock();
    const c = new Cooldown({ baseMs: 100, maxMs: 1000 }, now, () => 0);
    c.fail('x');
    expect(c.isCooling('x')).toBe(true);
    advance(49);
    expect(c.isCooling('x')).toBe(true);
    advance(1);
    expect(c.isCooling('x')).toBe(false);
    expect(c.until('x')).toBe(0);
  });

  it('succeed() forgets the history', () => {
    const { now } = clock();
    const c = new Cooldown({ baseMs: 100, maxMs: 1000 }, now, () => 1);
    c.fail('x');
    c.fail('x');
    c.fail('x');
    c.succeed('x');
    expect(c.isCooling('x')).toBe(false);
    expect(c.failures('x')).toBe(0);
    c.fail('x');
    expect(c.until('x') - now()).toBe(100);
  });

  it('tracks nodes independently', () => {
    const { now } = clock();
    const c = new Cooldown({ baseMs: 100, maxMs: 1000 }, now, () => 1);
    c.fail('a');
    c.fail('a');
    c.fail('b');
    expect(c.until('a') - now()).toBe(200);
    expect(c.until('b') - now()).toBe(100);
    c.succeed('a');
    expect(c.isCooling('b')).toBe(true);
  });
});
