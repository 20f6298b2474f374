/**
 * Requests on the requester's and the handler's side (session/requests.ts, session/extras.ts),
 * with a fake wire and fake timers: one reply per request, every way a request fails with its own
 * code, a handler's error passed on only when it says what it is, and messages `to` a member that
 * left reported once — never silently dropped.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { GridlinkError } from '../../src/core/errors.js';
import type { MsgFrame } from '../../src/protocol/frames.js';
import { Extras, type ExtrasHost } from '../../src/session/extras.js';
import { Outbox } from '../../src/session/outbox.js';
import { Requests } from '../../src/session/requests.js';
import type { SharedChange } from '../../src/session/shared.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** A requester wired to a list of what it sent. */
function wire() {
  const sent: Array<{ data: string | Uint8Array; extra: Partial<MsgFrame> }> = [];
  let seq = 0;
  const requests = new Requests((data, extra) => {
    sent.push({ data, extra });
    return ++seq;
  });
  return { requests, sent };
}

const reply = (from: string, r: number, d: string, e?: string): MsgFrame => ({ t: 'msg', from, seq: 1, to: 'me', r, d, ...(e === undefined ? {} : { e }) });
const code = (p: Promise<unknown>) => p.then(() => 'resolved', (e: GridlinkError & { remoteCode?: string }) => `${e.code}${e.remoteCode === undefined ? '' : `/${e.remoteCode}`}: ${e.message}`);

describe('Requests: the requester', () => {
  it('resolves with the one reply from its target; a second copy, a stranger\'s reply, or one after the timeout is ignored', async () => {
    const { requests, sent } = wire();
    const p = requests.request('hi', 'bob', 1000, undefined);
    expect(sent).toEqual([{ data: 'hi', extra: { to: 'bob', q: 1 } }]);
    requests.receive(reply('mallory', 1, 'fake'), 'fake');
    requests.receive(reply('bob', 1, 'hello'), 'hello');
    requests.receive(reply('bob', 1, 'again'), 'again');
    await expect(p).resolves.toBe('hello');
    const late = requests.request('x', 'bob', 1000, undefined);
    vi.advanceTimersByTime(1000);
    expect(await code(late)).toBe('GRIDLINK_REQUEST_TIMEOUT: no reply from bob within 1000 ms');
    requests.receive(reply('bob', 2, 'too late'), 'too late'); // nothing to settle: no throw
  });

  it('each way it fails has its own code: no handler, the handler failed (with its code), left, refused, aborted, closed', async () => {
    const { requests } = wire();
    const noHandler = requests.request('a', 'bob', 5000, undefined);
    const failed = requests.request('b', 'bob', 5000, undefined);
    const left = requests.request('c', 'cy', 5000, undefined);
    const refused = requests.request('d', 'dee', 5000, undefined);
    const aborter = new AbortController();
    const aborted = requests.request('e', 'bob', 5000, aborter.signal);
    const closed = requests.request('f', 'bob', 5000, undefined);
    requests.receive(reply('bob', 1, '', 'GRIDLINK_NO_HANDLER'), '');
    requests.receive(reply('bob', 2, 'no seats', 'APP_FULL'), 'no seats');
    requests.left('cy');
    expect(requests.refused(4, 'GRIDLINK_MEMBER_LEFT')).toBe(true);
    expect(requests.refused(99, 'GRIDLINK_MEMBER_LEFT')).toBe(false);
    const oldTarget = requests.request('h', 'old', 5000, undefined);
    requests.refused(7, 'GRIDLINK_NO_HANDLER');
    expect(await code(oldTarget)).toMatch(/^GRIDLINK_NO_HANDLER: request to old refused/);
    aborter.abort();
    requests.fail(() => ({ code: 'GRIDLINK_CLOSED', message: 'the client was closed' }) as GridlinkError);
    expect(await code(noHandler)).toBe('GRIDLINK_NO_HANDLER: bob has no request handler');
    expect(await code(failed)).toBe('GRIDLINK_REQUEST_FAILED/APP_FULL: no seats');
    expect(await code(left)).toBe('GRIDLINK_MEMBER_LEFT: cy left before replying');
    expect(await code(refused)).toMatch(/^GRIDLINK_MEMBER_LEFT: request to dee refused/);
    expect(await code(aborted)).toMatch(/^GRIDLINK_ABORTED/);
    expect(await code(closed)).toBe('GRIDLINK_CLOSED: the client was closed');
    // After the client closed, a request fails at once.
    expect(await code(requests.request('g', 'bob', 5000, undefined))).toBe('GRIDLINK_CLOSED: the client was closed');
  });
});

describe('Requests: the handler', () => {
  const request = (q: number, d: string): MsgFrame => ({ t: 'msg', from: 'ann', seq: q, to: 'me', q, d });

  it('runs once per delivered request and replies with what it returns; no handler: GRIDLINK_NO_HANDLER', async () => {
    const { requests, sent } = wire();
    requests.receive(request(1, 'a'), 'a');
    expect(sent).toEqual([{ data: '', extra: { to: 'ann', r: 1, e: 'GRIDLINK_NO_HANDLER' } }]);
    const calls: string[] = [];
    requests.handle(async (data, { from }) => {
      calls.push(`${from}:${String(data)}`);
      return data === 'bytes' ? new Uint8Array([1]) : data === 'nothing' ? undefined : `re:${String(data)}`;
    });
    requests.receive(request(2, 'b'), 'b');
    requests.receive(request(3, 'bytes'), 'bytes');
    requests.receive(request(4, 'nothing'), 'nothing');
    await vi.runAllTimersAsync();
    expect(calls).toEqual(['ann:b', 'ann:bytes', 'ann:nothing']);
    expect(sent.slice(1)).toEqual([
      { data: 're:b', extra: { to: 'ann', r: 2 } },
      { data: new Uint8Array([1]), extra: { to: 'ann', r: 3 } },
      { data: '', extra: { to: 'ann', r: 4 } },
    ]);
  });

  it('a thrown error passes its code and message only when it has a string code; never a stack', async () => {
    const { requests, sent } = wire();
    requests.handle((data) => {
      if (data === 'coded') throw Object.assign(new Error('full'), { code: 'APP_FULL' });
      if (data === 'object') throw { code: 'X_BAD', message: 'plain object' };
      if (data === 'wrong') return 42;
      throw new Error('secret stack details');
    });
    for (const [q, d] of [[1, 'coded'], [2, 'object'], [3, 'plain'], [4, 'wrong']] as const) requests.receive(request(q, d), d);
    await vi.runAllTimersAsync();
    expect(sent).toEqual([
      { data: 'full', extra: { to: 'ann', r: 1, e: 'APP_FULL' } },
      { data: 'plain object', extra: { to: 'ann', r: 2, e: 'X_BAD' } },
      { data: 'the request handler failed', extra: { to: 'ann', r: 3, e: 'GRIDLINK_REQUEST_FAILED' } },
      { data: 'the request handler replied with something other than a string or Uint8Array', extra: { to: 'ann', r: 4, e: 'GRIDLINK_REQUEST_FAILED' } },
    ]);
    expect(JSON.stringify(sent)).not.toContain('secret');
  });
});

describe('Extras: messages to a member that left', () => {
  function extras() {
    const outbox = new Outbox(1 << 20);
    const errors: string[] = [];
    const shared: SharedChange[] = [];
    const members = new Map<string, unknown>([['bob', {}], ['cy', {}]]);
    const host: ExtrasHost = {
      session: { send: (data, _volatile, extra = {}) => (outbox.push((seq) => JSON.stringify({ seq, data, ...extra }), extra.to), true) },
      outbox,
      members,
      receiver: { receive: () => undefined },
      helper: { onShared: (c) => shared.push(c), onError: (e) => errors.push(`${e.code}: ${e.message}`) },
    };
    const x = new Extras(host);
    x.shared.adopt({ maxSharedKeys: 10, maxSharedBytes: 100 } as never);
    return { x, outbox, errors, members };
  }

  it('left with `had`: only the unconfirmed messages to it past `had` are reported, each once; a request to it fails', async () => {
    const { x, errors } = extras();
    x.sendTo('one', false, { to: 'bob' }); // seq 1
    x.sendTo('two', false, { to: 'cy' }); // seq 2
    x.sendTo('three', false, { to: 'bob' }); // seq 3
    const asked = x.requests.request('q', 'bob', 5000, undefined).catch((e: GridlinkError) => e.code); // seq 4
    x.left('bob', 1);
    x.left('bob', 1);
    expect(errors).toEqual(['GRIDLINK_MEMBER_LEFT: a message to bob (seq 3) was not delivered: GRIDLINK_MEMBER_LEFT']);
    expect(await asked).toBe('GRIDLINK_MEMBER_LEFT');
    // A refusal of a message already reported is not reported again.
    expect(x.frame({ t: 'refused', seq: 3, code: 'GRIDLINK_MEMBER_LEFT' })).toBe(true);
    expect(errors).toHaveLength(1);
  });

  it('send to an unknown member throws at once; a refused shared write is an error event', () => {
    const { x, errors } = extras();
    expect(() => x.sendTo('x', false, { to: 'nobody' })).toThrow(expect.objectContaining({ code: 'GRIDLINK_NO_SUCH_MEMBER' }));
    x.setShared('k', { big: true });
    x.frame({ t: 'refused', seq: 1, code: 'GRIDLINK_SHARED_TOO_LARGE' });
    expect(errors).toEqual(['GRIDLINK_SHARED_TOO_LARGE: a shared write (seq 1) was not delivered: GRIDLINK_SHARED_TOO_LARGE']);
    expect(() => x.setShared('k', new Map() as never)).toThrow(expect.objectContaining({ code: 'GRIDLINK_INVALID_ARGUMENT' }));
  });
});
