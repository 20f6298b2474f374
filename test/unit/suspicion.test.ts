/**
 * Suspicion of a silent node: the silence is watched by the link's Liveness (`start(suspectMs)`,
 * `onSilent`/`onHeard`), the question by `askCloud`. Together they must ask once per silence,
 * never from a stalled loop, and act only on a `dead` verdict that is still wanted.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Liveness } from '../../src/core/liveness.js';
import { askCloud, suspectAfter, type Verdict } from '../../src/link/suspicion.js';

interface Fake {
  asked: number;
  aborted: number;
  deaths: number[];
  answer(v: Verdict): void;
  /** What the link does: a frame arrived. */
  received(): void;
  stop(): void;
  state(): 'listening' | 'asking' | 'trusting' | 'stopped';
}

/**
 * The link's wiring of the two, with a fake cloud whose answers the test gives. The clock is the
 * fake Date.now() plus `lag` (see `lagging`); the heartbeat timeout is far away unless given.
 */
function machine(options: { ask?: (signal: AbortSignal) => Promise<Verdict>; timeoutMs?: number; lag?: () => number } = {}): Fake {
  let pending: ((v: Verdict) => void) | undefined;
  let question: AbortController | undefined;
  let stopped = false;
  let verdict: Verdict | undefined;
  const now = (): number => Date.now() + (options.lag?.() ?? 0);
  const start = now();
  const fake: Fake = {
    asked: 0,
    aborted: 0,
    deaths: [],
    answer: (v) => pending?.(v),
    received: () => liveness.received(),
    stop: () => {
      stopped = true;
      liveness.stop();
      question?.abort();
    },
    state: () => (stopped ? 'stopped' : question === undefined || question.signal.aborted ? 'listening' : verdict === undefined ? 'asking' : 'trusting'),
  };
  const ask =
    options.ask ??
    ((signal: AbortSignal): Promise<Verdict> => {
      signal.addEventListener('abort', () => fake.aborted++, { once: true });
      return new Promise<Verdict>((resolve) => (pending = resolve)).then((v) => ((verdict = v), v));
    });
  const liveness = new Liveness(
    {
      sendPing: () => {},
      onDead: () => expect.fail('the heartbeat timeout is not under test here'),
      onSilent: () => {
        fake.asked++;
        verdict = undefined;
        question = askCloud(ask, () => {
          fake.deaths.push(now() - start);
          fake.stop();
        });
      },
      onHeard: () => question?.abort(),
    },
    { timeoutMs: options.timeoutMs ?? 60_000 },
    now,
  );
  liveness.start(1300);
  return fake;
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

describe('suspicion (Liveness.onSilent + askCloud)', () => {
  it('asks nothing while frames keep coming, however long', () => {
    const m = machine();
    for (let i = 0; i < 30; i++) {
      vi.advanceTimersByTime(1000);
      m.received();
    }
    expect(m.asked).toBe(0);
    expect(m.state()).toBe('listening');
    m.stop();
  });

  it('asks once after suspectMs of silence, and a dead verdict ends the link', async () => {
    const m = machine();
    vi.advanceTimersByTime(1299);
    expect(m.asked).toBe(0);
    vi.advanceTimersByTime(1);
    expect(m.asked).toBe(1);
    expect(m.state()).toBe('asking');
    vi.advanceTimersByTime(200);
    m.answer('dead');
    await settle();
    expect(m.deaths).toEqual([1500]);
    expect(m.state()).toBe('stopped');
  });

  it('an alive verdict moves nothing and asks no second question until a frame arrives', async () => {
    const m = machine();
    vi.advanceTimersByTime(1300);
    m.answer('alive');
    await settle();
    expect(m.state()).toBe('trusting');
    vi.advanceTimersByTime(10_000);
    expect(m.asked).toBe(1);
    expect(m.deaths).toEqual([]);
    m.received();
    expect(m.state()).toBe('listening');
    vi.advanceTimersByTime(1299);
    expect(m.asked).toBe(1);
    vi.advanceTimersByTime(1);
    expect(m.asked).toBe(2);
    m.stop();
  });

  it('unknown and a failed question fall back to the timeout rule (no death)', async () => {
    const m = machine();
    vi.advanceTimersByTime(1300);
    m.answer('unknown');
    await settle();
    expect(m.state()).toBe('trusting');
    expect(m.deaths).toEqual([]);

    const failing = machine({ ask: () => Promise.reject(new Error('offline')) });
    vi.advanceTimersByTime(1300);
    await settle();
    expect(failing.asked).toBe(1);
    expect(failing.deaths).toEqual([]);
    m.stop();
    failing.stop();
  });

  it('a frame during the question aborts it, and its late dead verdict is ignored', async () => {
    const m = machine();
    vi.advanceTimersByTime(1300);
    m.received();
    expect(m.aborted).toBe(1);
    m.answer('dead');
    await settle();
    expect(m.deaths).toEqual([]);
    expect(m.state()).toBe('listening');
    m.stop();
  });

  it('stop() aborts the question in flight and nothing acts after', async () => {
    const m = machine();
    vi.advanceTimersByTime(1300);
    m.stop();
    expect(m.aborted).toBe(1);
    m.answer('dead');
    await settle();
    expect(m.deaths).toEqual([]);
    expect(m.state()).toBe('stopped');
  });

  it('the heartbeat timeout still ends a link whose node stays silent after an alive verdict', async () => {
    let dead = 0;
    const liveness = new Liveness({ sendPing: () => {}, onDead: () => void dead++, onSilent: () => {}, onHeard: () => {} }, { timeoutMs: 3000 }, () => Date.now());
    liveness.start(1300);
    vi.advanceTimersByTime(2999);
    expect(dead).toBe(0);
    vi.advanceTimersByTime(1);
    expect(dead).toBe(1);
  });

  // A stalled loop: the wall clock runs on while no timer runs and no frame is read. Fake timers
  // cannot block, so the machine's clock is Date.now() + `lag`: raising `lag` just before a timer
  // is due makes that timer run `lag` late, as after a busy loop or in a throttled tab.
  function lagging(): { m: Fake; lag(ms: number): void } {
    let lag = 0;
    const m = machine({ lag: () => lag });
    return { m, lag: (ms) => void (lag += ms) };
  }

  it('a stalled loop (1.2 s busy) does not ask: the late timer rechecks, and frames read after the stall count', () => {
    const { m, lag } = lagging();
    vi.advanceTimersByTime(1000);
    m.received(); // the last frame read before the stall; the timer is due 1300 ms later
    vi.advanceTimersByTime(1299);
    lag(1200); // busy for 1.2 s: the timer runs 1.2 s late, the node's pings wait unread
    vi.advanceTimersByTime(1);
    expect(m.asked).toBe(0);
    m.received(); // read right after the timers phase
    for (let i = 0; i < 5; i++) {
      vi.advanceTimersByTime(1000);
      m.received();
    }
    expect(m.asked).toBe(0);
    m.stop();
  });

  it('a throttled tab (every timer about 1 s late) never asks while frames arrive', () => {
    const { m, lag } = lagging();
    for (let i = 0; i < 60; i++) {
      lag(900);
      m.received();
      vi.advanceTimersByTime(1000);
    }
    expect(m.asked).toBe(0);
    m.stop();
  });

  it('after a stall, a host that really is silent is asked about once a timer runs on time', () => {
    const { m, lag } = lagging();
    vi.advanceTimersByTime(1299);
    lag(2000);
    vi.advanceTimersByTime(1);
    expect(m.asked).toBe(0); // late: recheck first
    vi.advanceTimersByTime(100);
    expect(m.asked).toBe(1);
    m.stop();
  });
});
