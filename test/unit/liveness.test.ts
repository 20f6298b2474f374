import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Liveness, type LivenessHost } from '../../src/core/liveness.js';

// The ten-line fake host: the clock is Date.now(), which vi.useFakeTimers() controls.
function fakeHost(): LivenessHost & { pings: number[]; deaths: number[] } {
  const start = Date.now();
  const host = {
    pings: [] as number[],
    deaths: [] as number[],
    sendPing: () => void host.pings.push(Date.now() - start),
    onDead: (silentMs: number) => void host.deaths.push(silentMs),
    now: () => Date.now(),
  };
  return host;
}

const settings = { intervalMs: 1000, timeoutMs: 3000 };

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('Liveness pings', () => {
  it('pings once per interval while nothing else is sent', () => {
    const host = fakeHost();
    const hb = new Liveness(host, settings, () => Date.now());
    hb.start();
    // Keep the link alive so only the ping behaviour is observed.
    for (let i = 0; i < 5; i++) {
      vi.advanceTimersByTime(1000);
      hb.received();
    }
    expect(host.pings).toEqual([1000, 2000, 3000, 4000, 5000]);
    hb.stop();
  });

  it('sends no ping while outbound traffic keeps flowing', () => {
    const host = fakeHost();
    const hb = new Liveness(host, settings, () => Date.now());
    hb.start();
    for (let i = 0; i < 20; i++) {
      vi.advanceTimersByTime(500);
      hb.sent();
      hb.received();
    }
    expect(host.pings).toEqual([]);
    hb.stop();
  });

  it('resumes pinging within two intervals once outbound traffic stops', () => {
    const host = fakeHost();
    const hb = new Liveness(host, settings, () => Date.now());
    hb.start();
    vi.advanceTimersByTime(950);
    hb.sent(); // just before the first tick: the tick at 1000 must not ping
    vi.advanceTimersByTime(50);
    expect(host.pings).toEqual([]);
    hb.received();
    vi.advanceTimersByTime(1000);
    // The next ping is due one interval after the last thing sent (950 + 1000).
    expect(host.pings).toEqual([1950]);
    hb.stop();
  });

  it('pings one interval after the last send, not on a fixed beat (with the default clock)', () => {
    const host = fakeHost();
    const hb = new Liveness(host, settings);
    hb.start();
    vi.advanceTimersByTime(900);
    hb.sent();
    hb.received();
    vi.advanceTimersByTime(900); // t = 1800: the last send was at 900
    expect(host.pings).toEqual([]);
    vi.advanceTimersByTime(100);
    expect(host.pings).toEqual([1900]);
    hb.stop();
  });
});

describe('Liveness death', () => {
  it('declares the link dead exactly when nothing arrived for timeoutMs', () => {
    const host = fakeHost();
    const hb = new Liveness(host, settings, () => Date.now());
    hb.start();
    vi.advanceTimersByTime(2999);
    expect(host.deaths).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(host.deaths).toEqual([3000]);
  });

  it('an inbound frame at 2.9 s pushes death to 5.9 s, not earlier', () => {
    const host = fakeHost();
    const hb = new Liveness(host, settings, () => Date.now());
    hb.start();
    vi.advanceTimersByTime(2900);
    hb.received();
    vi.advanceTimersByTime(2999); // t = 5899
    expect(host.deaths).toEqual([]);
    expect(hb.silentFor()).toBe(2999);
    vi.advanceTimersByTime(1); // t = 5900
    expect(host.deaths).toEqual([3000]);
  });

  it('outbound traffic alone does not keep the link alive', () => {
    const host = fakeHost();
    const hb = new Liveness(host, settings, () => Date.now());
    hb.start();
    for (let i = 0; i < 6; i++) {
      vi.advanceTimersByTime(500);
      hb.sent();
    }
    expect(host.deaths).toEqual([3000]);
  });

  it('a timer that fires late does not kill a link that heard a frame recently', () => {
    const host = fakeHost();
    const hb = new Liveness(host, settings, () => Date.now());
    hb.start();
    vi.advanceTimersByTime(2500);
    // The event loop was blocked for 10 s: the wall clock jumps past several intervals, the
    // timers have not run yet, and the queued frame is processed first.
    vi.setSystemTime(Date.now() + 10_000);
    hb.received();
    vi.advanceTimersByTime(500); // the overdue deadline timer fires now
    expect(host.deaths).toEqual([]);
    expect(hb.silentFor()).toBe(500);
    // ...and death is still judged from that last frame.
    vi.advanceTimersByTime(2499);
    expect(host.deaths).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(host.deaths).toEqual([3000]);
  });

  it('a late timer with no inbound frame reports the real silence', () => {
    const host = fakeHost();
    const hb = new Liveness(host, settings, () => Date.now());
    hb.start();
    vi.advanceTimersByTime(1000);
    vi.setSystemTime(Date.now() + 10_000);
    vi.advanceTimersByTime(2000);
    expect(host.deaths).toEqual([13_000]);
  });

  it('judges death from the last inbound frame and reports it once (with the default clock)', () => {
    const host = fakeHost();
    const hb = new Liveness(host, settings);
    hb.start();
    vi.advanceTimersByTime(2500);
    hb.received(); // dead no earlier than t = 5500
    vi.advanceTimersByTime(2999);
    expect(host.deaths).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(host.deaths).toEqual([3000]);
    vi.advanceTimersByTime(10_000);
    expect(host.deaths).toEqual([3000]);
  });

  it('without an interval never pings and only watches for silence', () => {
    const host = fakeHost();
    const hb = new Liveness(host, { timeoutMs: 500 });
    hb.start();
    vi.advanceTimersByTime(600);
    expect(host.pings).toEqual([]);
    expect(host.deaths).toEqual([500]);
  });

  it('calls onDead once and stops pinging after death', () => {
    const host = fakeHost();
    const hb = new Liveness(host, settings, () => Date.now());
    hb.start();
    vi.advanceTimersByTime(3000);
    const pingsAtDeath = host.pings.length;
    vi.advanceTimersByTime(60_000);
    expect(host.deaths).toHaveLength(1);
    expect(host.pings).toHaveLength(pingsAtDeath);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('Liveness stop', () => {
  it('stop() cancels pings and the deadline', () => {
    const host = fakeHost();
    const hb = new Liveness(host, settings, () => Date.now());
    hb.start();
    vi.advanceTimersByTime(1500);
    hb.stop();
    const pings = host.pings.length;
    vi.advanceTimersByTime(60_000);
    expect(host.pings).toHaveLength(pings);
    expect(host.deaths).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('start() twice does not double the timers', () => {
    const host = fakeHost();
    const hb = new Liveness(host, settings, () => Date.now());
    hb.start();
    hb.start();
    vi.advanceTimersByTime(3000);
    expect(host.deaths).toHaveLength(1);
    expect(host.pings.length).toBeLessThanOrEqual(3);
  });
});

describe('Liveness when timers are throttled (hidden browser tab)', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('a frame arriving after an idle interval is answered with a ping at once, without any timer', () => {
    const host = fakeHost();
    const hb = new Liveness(host, settings, () => Date.now());
    hb.start();
    // The tab's timers do not run: only the clock moves, and a frame arrives.
    vi.setSystemTime(Date.now() + 5_000);
    hb.received();
    expect(host.pings).toEqual([5000]);
    // Not again for the next frame within the interval.
    vi.setSystemTime(Date.now() + 200);
    hb.received();
    expect(host.pings).toEqual([5000]);
    hb.stop();
  });
});

describe('Liveness state guard', () => {
  it('a stopped liveness cannot be started again: no timers, no pings, no death', () => {
    const host = fakeHost();
    const hb = new Liveness(host, settings, () => Date.now());
    hb.start();
    hb.stop();
    hb.start();
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(60_000);
    expect(host.pings).toEqual([]);
    expect(host.deaths).toEqual([]);
  });

  it('stopped before it started, it never starts', () => {
    const host = fakeHost();
    const hb = new Liveness(host, settings, () => Date.now());
    hb.stop();
    hb.start();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('after death, start() does not revive it', () => {
    const host = fakeHost();
    const hb = new Liveness(host, settings, () => Date.now());
    hb.start();
    vi.advanceTimersByTime(3000);
    hb.start();
    vi.advanceTimersByTime(60_000);
    expect(host.deaths).toEqual([3000]);
    expect(vi.getTimerCount()).toBe(0);
  });
});
