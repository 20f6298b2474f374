import { afterEach, describe, expect, it, vi } from 'vitest';
import { monotonicNow, setPatientTimeout, setUnrefInterval, setUnrefTimeout, type TimerHandle } from '../../src/core/timers.js';

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

  it('a patient timeout fires on time when the process was free, and waits again when it fired late', () => {
    vi.useFakeTimers();
    let clock = 0; // the process's own clock: a stall moves it without running timers
    const now = () => clock;
    let fired = 0;
    let latest: TimerHandle | undefined;
    latest = setPatientTimeout(() => fired++, 100, now, (handle) => (latest = handle));
    clock += 100;
    vi.advanceTimersByTime(100);
    expect(fired).toBe(1);

    latest = setPatientTimeout(() => fired++, 100, now, (handle) => (latest = handle));
    clock += 900; // the process was busy: the timer runs 800 ms late
    vi.advanceTimersByTime(100);
    expect(fired).toBe(1);
    clock += 100; // then it had 100 ms to look at its sockets
    vi.advanceTimersByTime(100);
    expect(fired).toBe(2);

    latest = setPatientTimeout(() => fired++, 100, now, (handle) => (latest = handle));
    clock += 500;
    vi.advanceTimersByTime(100);
    clearTimeout(latest); // the re-armed handle is the one to clear
    clock += 100;
    vi.advanceTimersByTime(1000);
    expect(fired).toBe(2);
  });
});
