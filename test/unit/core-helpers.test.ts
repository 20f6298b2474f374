import { afterEach, describe, expect, it, vi } from 'vitest';
import { abortError, linkedController, onAbort } from '../../src/core/abort.js';
import { base64ToBytes, bytesToBase64 } from '../../src/core/base64.js';
import { randomId } from '../../src/core/ids.js';
import { monotonicNow, setUnrefInterval, setUnrefTimeout } from '../../src/core/timers.js';
import { ClosedError } from '../../src/core/errors.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('abort helpers', () => {
  it('abortError keeps a ClosedError reason and wraps any other reason as GRIDLINK_ABORTED', () => {
    const closed = new ClosedError('GRIDLINK_CLOSED', 'closed');
    expect(abortError(AbortSignal.abort(closed), 'connect')).toBe(closed);
    const other = new Error('user');
    const e = abortError(AbortSignal.abort(other), 'connect');
    expect(e).toBeInstanceOf(ClosedError);
    expect(e.code).toBe('GRIDLINK_ABORTED');
    expect(e.cause).toBe(other);
    expect(e.message).toContain('connect');
  });

  it('onAbort fires once, at once for an aborted signal, and unsubscribes', () => {
    let n = 0;
    onAbort(undefined, () => n++)();
    expect(n).toBe(0);
    onAbort(AbortSignal.abort(), () => n++);
    expect(n).toBe(1);

    const c = new AbortController();
    const off = onAbort(c.signal, () => n++);
    c.abort();
    c.abort();
    expect(n).toBe(2);
    off();

    const c2 = new AbortController();
    onAbort(c2.signal, () => n++)();
    c2.abort();
    expect(n).toBe(2);
  });

  it('linkedController follows its parent until disposed', () => {
    const parent = new AbortController();
    const { controller } = linkedController(parent.signal);
    parent.abort('why');
    expect(controller.signal.aborted).toBe(true);
    expect(controller.signal.reason).toBe('why');

    const p2 = new AbortController();
    const linked = linkedController(p2.signal);
    linked.dispose();
    p2.abort();
    expect(linked.controller.signal.aborted).toBe(false);

    expect(linkedController(undefined).controller.signal.aborted).toBe(false);
  });
});

describe('base64', () => {
  it('round-trips every byte value and large buffers', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(base64ToBytes(bytesToBase64(all))).toEqual(all);
    expect(bytesToBase64(all)).toBe(Buffer.from(all).toString('base64'));
    const big = Uint8Array.from({ length: 100_000 }, (_, i) => (i * 31) & 0xff);
    expect(base64ToBytes(bytesToBase64(big))).toEqual(big);
    expect(bytesToBase64(new Uint8Array())).toBe('');
  });

  it('throws on text that is not base64', () => {
    expect(() => base64ToBytes('not base64!')).toThrow();
  });
});

describe('ids and timers', () => {
  it('randomId is hex of the requested size and does not repeat', () => {
    expect(randomId()).toMatch(/^[0-9a-f]{32}$/);
    expect(randomId(4)).toMatch(/^[0-9a-f]{8}$/);
    expect(new Set(Array.from({ length: 100 }, () => randomId())).size).toBe(100);
  });

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
