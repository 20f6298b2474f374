import { afterEach, describe, expect, it, vi } from 'vitest';
import { monotonicNow, patientTimeout, setUnrefInterval, setUnrefTimeout } from '../../src/core/timers.js';

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
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate'] });
    // A timer that fires in time acts in an immediate after it (the events waiting are read first).
    const advance = (ms: number) => {
      vi.advanceTimersByTime(ms);
      vi.advanceTimersByTime(1); // fake immediates run one tick on
    };
    let clock = 0; // the process's own clock: a stall moves it without running timers
    const now = () => clock;
    let fired = 0;
    patientTimeout(() => fired++, 100, now);
    clock += 100;
    advance(100);
    expect(fired).toBe(1);

    patientTimeout(() => fired++, 100, now);
    clock += 900; // the process was busy: the timer runs 800 ms late
    advance(100);
    expect(fired).toBe(1);
    clock += 100; // then it had 100 ms to look at its sockets
    advance(100);
    expect(fired).toBe(2);

    const timer = patientTimeout(() => fired++, 100, now);
    clock += 500;
    advance(100); // late: re-armed
    timer.cancel(); // cancels the re-armed step too
    clock += 100;
    advance(1000);
    expect(fired).toBe(2);
  });

  it('a patient timeout that fires in time reads the events already waiting before it acts', async () => {
    // Real timers and a real socket: an answer waiting in the kernel when the timer fires wins.
    const { createServer, connect } = await import('node:net');
    const accepted: Array<import('node:net').Socket> = [];
    const server = createServer((socket) => accepted.push(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const socket = connect((server.address() as { port: number }).port, '127.0.0.1');
    await new Promise<void>((resolve) => socket.on('connect', () => resolve()));
    while (accepted.length === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    let answered = false;
    let gaveUp = false;
    const timer = patientTimeout(() => (gaveUp = true), 100, monotonicNow);
    socket.on('data', () => {
      answered = true;
      timer.cancel();
    });
    accepted[0]!.write('answer'); // in the kernel now; read at the next poll phase
    // Busy past the due time, but less than one more timeout late (so no re-arm): both are waiting.
    const until = monotonicNow() + 150;
    while (monotonicNow() < until);
    await new Promise((resolve) => setTimeout(resolve, 50));
    socket.destroy();
    accepted[0]!.destroy();
    server.close();
    expect(answered).toBe(true);
    expect(gaveUp).toBe(false);
  });
});
