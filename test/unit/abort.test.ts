import { describe, expect, it } from 'vitest';
import { abortError, linkedController, onAbort } from '../../src/core/abort.js';
import { ClosedError } from '../../src/core/errors.js';

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
