import { afterEach, describe, expect, it, vi } from 'vitest';
import { monotonicNow, setUnrefInterval, setUnrefTimeout } from '../../src/core/timers.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('timers', () => {
  it('unref timers still fire, and do not hold the process open', () => {
    vi.useFakeTimers();
    let fired = 0;
    const t = setUnrefTimeout(() => fired++, 10);
    const i = setUnrefInterval(() => fired++, 10);
    vi.advanceTimersByTime(30);
    expect(fired).toBe(4);
    clearInterval(i);
    vi.useRealTimers();
    const real = setUnrefTimeout(() => {}, 1000);
    expect(real.hasRef()).toBe(false);
    clearTimeout(real);
    clearTimeout(t);
  });

  it('monotonicNow does not go backwards', () => {
    const a = monotonicNow();
    const b = monotonicNow();
    expect(b).toBeGreaterThanOrEqual(a);
  });
});
