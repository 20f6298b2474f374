import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Suspicion, suspectAfter, type SuspicionHost, type Verdict } from '../../src/link/suspicion.js';

// A fake host: each question waits for the test to answer it; the clock is the fake Date.now().
function fakeHost(): SuspicionHost & { asked: number; aborted: number; deaths: number[]; answer(v: Verdict): void } {
  let pending: ((v: Verdict) => void) | undefined;
  const host = {
    asked: 0,
    aborted: 0,
    deaths: [] as number[],
    ask: (signal: AbortSignal) => {
      host.asked++;
      signal.addEventListener('abort', () => host.aborted++, { once: true });
      return new Promise<Verdict>((resolve) => (pending = resolve));
    },
    onConfirmedDead: (silentMs: number) => void host.deaths.push(silentMs),
    answer: (v: Verdict) => pending?.(v),
  };
  return host;
}

function machine(host: SuspicionHost, suspectMs = 1300): { s: Suspicion; moves: string[] } {
  const moves: string[] = [];
  const s = new Suspicion(host, { suspectMs }, () => Date.now(), (from, to) => moves.push(`${from}>${to}`));
  return { s, moves };
}

/** Lets promise callbacks (the verdict) run. */
const settle = async (): Promise<void> => {
  await vi.advanceTimersByTimeAsync(0);
};

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('suspectAfter', () => {
  it('is a little more than the longest idle gap, and only when clearly below the timeout', () => {
    expect(suspectAfter({ intervalMs: 1000, timeoutMs: 3000 })).toBe(1300);
    expect(suspectAfter({ intervalMs: 1000, timeoutMs: 3000 }, { intervalMs: 1500, timeoutMs: 10_000 })).toBe(1950);
    expect(suspectAfter({ intervalMs: 1000, timeoutMs: 1500 })).toBeUndefined();
  });
});

describe('Suspicion', () => {
  it('asks nothing while frames keep coming, however long', () => {
    const host = fakeHost();
    const { s } = machine(host);
    s.start();
    for (let i = 0; i < 30; i++) {
      vi.advanceTimersByTime(1000);
      s.received();
    }
    expect(host.asked).toBe(0);
    expect(s.state).toBe('watching');
    s.stop();
  });

  it('asks once after suspectMs of silence, and a dead verdict ends the link', async () => {
    const host = fakeHost();
    const { s, moves } = machine(host);
    s.start();
    vi.advanceTimersByTime(1299);
    expect(host.asked).toBe(0);
    vi.advanceTimersByTime(1);
    expect(host.asked).toBe(1);
    vi.advanceTimersByTime(200);
    host.answer('dead');
    await settle();
    expect(host.deaths).toEqual([1500]);
    expect(moves).toEqual(['idle>watching', 'watching>asking', 'asking>stopped']);
  });

  it('an alive verdict moves nothing and asks no second question until a frame arrives', async () => {
    const host = fakeHost();
    const { s, moves } = machine(host);
    s.start();
    vi.advanceTimersByTime(1300);
    host.answer('alive');
    await settle();
    vi.advanceTimersByTime(10_000);
    expect(host.asked).toBe(1);
    expect(host.deaths).toEqual([]);
    s.received();
    vi.advanceTimersByTime(1300);
    expect(host.asked).toBe(2);
    expect(moves).toEqual(['idle>watching', 'watching>asking', 'asking>trusting', 'trusting>watching', 'watching>asking']);
    s.stop();
  });

  it('unknown and a failed question fall back to the timeout rule (no death)', async () => {
    const host = fakeHost();
    const { s } = machine(host);
    s.start();
    vi.advanceTimersByTime(1300);
    host.answer('unknown');
    await settle();
    expect(s.state).toBe('trusting');

    const failing: SuspicionHost = { ask: () => Promise.reject(new Error('offline')), onConfirmedDead: () => expect.fail('must not die') };
    const { s: s2 } = machine(failing);
    s2.start();
    vi.advanceTimersByTime(1300);
    await settle();
    expect(s2.state).toBe('trusting');
    s.stop();
    s2.stop();
  });

  it('a frame during the question aborts it, and its late dead verdict is ignored', async () => {
    const host = fakeHost();
    const { s } = machine(host);
    s.start();
    vi.advanceTimersByTime(1300);
    s.received();
    expect(host.aborted).toBe(1);
    host.answer('dead');
    await settle();
    expect(host.deaths).toEqual([]);
    expect(s.state).toBe('watching');
    s.stop();
  });

  it('stop() aborts the question in flight and nothing acts after', async () => {
    const host = fakeHost();
    const { s } = machine(host);
    s.start();
    vi.advanceTimersByTime(1300);
    s.stop();
    expect(host.aborted).toBe(1);
    host.answer('dead');
    await settle();
    expect(host.deaths).toEqual([]);
    expect(s.state).toBe('stopped');
  });

  // A stalled loop: the wall clock runs on while no timer runs and no frame is read. Fake timers
  // cannot block, so the machine's clock is Date.now() + `lag`: raising `lag` just before a timer
  // is due makes that timer run `lag` late, as after a busy loop or in a throttled tab.
  function lagging(host: SuspicionHost): { s: Suspicion; lag(ms: number): void } {
    let lag = 0;
    const s = new Suspicion(host, { suspectMs: 1300 }, () => Date.now() + lag);
    return { s, lag: (ms) => void (lag += ms) };
  }

  it('a stalled loop (1.2 s busy) does not ask: the late timer rechecks, and frames read after the stall count', () => {
    const host = fakeHost();
    const { s, lag } = lagging(host);
    s.start();
    vi.advanceTimersByTime(1000);
    s.received(); // the last frame read before the stall; the timer is due 1300 ms later
    vi.advanceTimersByTime(1299);
    lag(1200); // busy for 1.2 s: the timer runs 1.2 s late, the node's pings wait unread
    vi.advanceTimersByTime(1);
    expect(host.asked).toBe(0);
    s.received(); // read right after the timers phase
    for (let i = 0; i < 5; i++) {
      vi.advanceTimersByTime(1000);
      s.received();
    }
    expect(host.asked).toBe(0);
    s.stop();
  });

  it('a throttled tab (every timer about 1 s late) never asks while frames arrive', () => {
    const host = fakeHost();
    const { s, lag } = lagging(host);
    s.start();
    for (let i = 0; i < 60; i++) {
      lag(900);
      s.received();
      vi.advanceTimersByTime(1000);
    }
    expect(host.asked).toBe(0);
    s.stop();
  });

  it('after a stall, a host that really is silent is asked about once a timer runs on time', () => {
    const host = fakeHost();
    const { s, lag } = lagging(host);
    s.start();
    vi.advanceTimersByTime(1299);
    lag(2000);
    vi.advanceTimersByTime(1);
    expect(host.asked).toBe(0); // late: recheck first
    vi.advanceTimersByTime(100);
    expect(host.asked).toBe(1);
    s.stop();
  });
});
