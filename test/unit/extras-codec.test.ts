/**
 * The wire of `to`, requests and shared state: what a node refuses from a client (codec-ext.ts
 * `clientMsgRules`), what the `extras` piece decodes from a node, and a receiver that counts a stub
 * (a message for another member) in the sender's order without delivering it.
 */
import { describe, expect, it } from 'vitest';
import { decodeClientFrame, decodeNodeFrame, encodeFrame, extendNodeDecoding, isProtocolId } from '../../src/protocol/codec.js';
import { nodeExtrasDecoder } from '../../src/protocol/codec-ext.js';
import type { MsgFrame } from '../../src/protocol/frames.js';
import { Receiver } from '../../src/session/receiver.js';

const limits = { maxFrameBytes: 65_536, maxMetaBytes: 1024 };
const client = (frame: object) => decodeClientFrame(JSON.stringify(frame), limits);

describe('a client\'s msg frame with to, q, r, e, k', () => {
  it('accepts the shapes the SDK sends, and round-trips them through encodeFrame', () => {
    const frames: MsgFrame[] = [
      { t: 'msg', seq: 1, to: 'bob', d: 'x' },
      { t: 'msg', to: 'bob', d: 'x' },
      { t: 'msg', seq: 2, to: 'bob', q: 1, d: 'x' },
      { t: 'msg', seq: 3, to: 'bob', r: 1, e: 'APP_X', d: 'no' },
      { t: 'msg', seq: 4, k: 'owner', d: '{"a":[1,2]}' },
      { t: 'msg', seq: 5, k: 'owner', d: '' },
    ];
    for (const frame of frames) expect(decodeClientFrame(encodeFrame(frame), limits)).toEqual(frame);
  });

  it.each([
    [{ t: 'msg', seq: 1, d: 'x', to: '' }, 'to'],
    [{ t: 'msg', seq: 1, d: 'x', to: 'a\u0000b' }, 'to'],
    [{ t: 'msg', d: 'x', to: 'b', q: 1 }, 'q'],
    [{ t: 'msg', seq: 1, d: 'x', q: 1 }, 'q'],
    [{ t: 'msg', seq: 1, d: 'x', to: 'b', q: 0 }, 'q'],
    [{ t: 'msg', seq: 1, d: 'x', to: 'b', q: 1.5 }, 'q'],
    [{ t: 'msg', seq: 1, d: 'x', to: 'b', q: 1, r: 2 }, 'q'],
    [{ t: 'msg', seq: 1, d: 'x', to: 'b', e: 'X' }, 'e'],
    [{ t: 'msg', seq: 1, d: 'x', to: 'b', r: 1, e: '' }, 'e'],
    [{ t: 'msg', seq: 1, d: 'x', to: 'b', r: 1, e: 'x'.repeat(65) }, 'e'],
    [{ t: 'msg', seq: 1, d: '{', k: 'k' }, 'd'],
    [{ t: 'msg', d: '1', k: 'k' }, 'k'],
    [{ t: 'msg', seq: 1, d: '1', k: 'k', to: 'b' }, 'k'],
    [{ t: 'msg', seq: 1, d: 'MQ==', b: 1, k: 'k' }, 'k'],
    [{ t: 'msg', seq: 1, d: '1', k: 'x'.repeat(129) }, 'k'],
  ])('refuses %j (field %s) as a protocol error', (frame, field) => {
    expect(() => client(frame)).toThrow(expect.objectContaining({ code: 'GRIDLINK_PROTOCOL', message: expect.stringContaining(`'${field}'`) }));
  });

  it('a hello\'s shared copy: key -> [version, value?], bounded', () => {
    const hello = { t: 'hello', v: 1, session: 's', client: 'c', recv: {}, members: [] };
    expect(client({ ...hello, shared: { a: [1, { x: 1 }], b: [2] } })).toMatchObject({ shared: { a: [1, { x: 1 }], b: [2] } });
    for (const shared of [[], { a: [] }, { a: [-1] }, { a: [1, 2, 3] }, { '': [1] }, { a: 'x' }]) {
      expect(() => client({ ...hello, shared })).toThrow(expect.objectContaining({ code: 'GRIDLINK_PROTOCOL' }));
    }
    const many = Object.fromEntries(Array.from({ length: 4097 }, (_, i) => [`k${i}`, [1]]));
    expect(() => client({ ...hello, shared: many })).toThrow(expect.objectContaining({ code: 'GRIDLINK_PROTOCOL' }));
  });
});

describe('what the extras piece decodes from a node', () => {
  it('shared, refused, welcome.shared with its bounds, left.had, and a reply\'s r and e', () => {
    extendNodeDecoding(nodeExtrasDecoder(isProtocolId));
    const node = (frame: object) => decodeNodeFrame(JSON.stringify(frame), limits);
    expect(node({ t: 'shared', k: 'a', v: 3, val: [1], from: 'ann', seq: 2 })).toEqual({ t: 'shared', k: 'a', v: 3, val: [1], from: 'ann', seq: 2 });
    expect(node({ t: 'shared', k: 'a' })).toEqual({ t: 'shared', k: 'a' });
    expect(node({ t: 'refused', seq: 4, code: 'GRIDLINK_MEMBER_LEFT' })).toEqual({ t: 'refused', seq: 4, code: 'GRIDLINK_MEMBER_LEFT' });
    expect(node({ t: 'left', client: 'bob', reason: 'bye', had: 3 })).toEqual({ t: 'left', client: 'bob', reason: 'bye', had: 3 });
    expect(node({ t: 'msg', from: 'bob', seq: 1, to: 'me', r: 2, e: 'X', d: 'm' })).toEqual({ t: 'msg', from: 'bob', seq: 1, to: 'me', r: 2, e: 'X', d: 'm' });
    const welcome = { t: 'welcome', v: 1, node: { id: 'n', url: 'ws://n/' }, session: 's', client: 'c', resume: 'r', nodes: [], heartbeat: { intervalMs: 1, timeoutMs: 1 }, members: [], base: {} };
    expect(node({ ...welcome, shared: { a: [1, 2] }, maxSharedKeys: 10, maxSharedBytes: 100 })).toMatchObject({ shared: { a: [1, 2] }, maxSharedKeys: 10, maxSharedBytes: 100 });
    expect(() => node({ t: 'shared', k: '' })).toThrow(expect.objectContaining({ code: 'GRIDLINK_PROTOCOL' }));
    expect(() => node({ t: 'refused', seq: 0, code: 'X' })).toThrow(expect.objectContaining({ code: 'GRIDLINK_PROTOCOL' }));
  });
});

describe('a receiver and stubs', () => {
  it('a stub for another member is not delivered but fills its place in the order; a request reaches onMessage with its frame', () => {
    const delivered: Array<[string, number | undefined, number | undefined]> = [];
    const receiver = new Receiver({ self: 'me', maxHeldMessages: 100, ackDelayMs: 10 }, {
      onMessage: (data, meta, frame) => delivered.push([String(data), meta.seq, frame.q]),
      onError: () => {},
      currentLink: () => undefined,
    });
    receiver.receive({ t: 'msg', from: 'ann', seq: 1, d: 'one' });
    receiver.receive({ t: 'msg', from: 'ann', seq: 3, to: 'me', q: 9, d: 'ask' }); // held: seq 2 missing
    expect(delivered).toEqual([['one', 1, undefined]]);
    receiver.receive({ t: 'msg', from: 'ann', seq: 2, to: 'bob', d: '' }); // the stub fills the hole
    expect(delivered).toEqual([['one', 1, undefined], ['ask', 3, 9]]);
    expect(receiver.watermarks()).toEqual({ ann: 3 });
    receiver.receive({ t: 'msg', from: 'ann', seq: 2, to: 'bob', d: '' }); // a replayed stub: a duplicate
    expect(delivered).toHaveLength(2);
    receiver.stop();
  });
});
