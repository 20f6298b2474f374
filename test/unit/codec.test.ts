import { describe, expect, it } from 'vitest';
import { decodeClientFrame, decodeNodeFrame, encodeFrame, MAX_ID_LENGTH, MAX_LIST_LENGTH } from '../../src/protocol/codec.js';
import { MESSAGE_ENVELOPE_BYTES, maxMessageFrameBytes, type ClientFrame, type NodeFrame } from '../../src/protocol/frames.js';
import { GridlinkError, LinkError, type ErrorCode } from '../../src/core/errors.js';
import { thrown } from '../helpers/thrown.js';

const limits = { maxFrameBytes: 64 * 1024 };
const node = { id: 'n1', url: 'wss://n1.cloud.example.com/gridlink' };


function expectRefused(fn: () => unknown, code: ErrorCode = 'GRIDLINK_PROTOCOL'): void {
  const error = thrown(fn);
  expect(error).toBeInstanceOf(LinkError);
  expect((error as LinkError).code).toBe(code);
}

const nodeFrames: NodeFrame[] = [
  {
    t: 'welcome',
    v: 1,
    node,
    session: 's1',
    client: 'c1',
    resume: 'tok',
    nodes: [node, { id: 'n2', url: 'ws://127.0.0.1:4000/' }],
    heartbeat: { intervalMs: 1000, timeoutMs: 3000 },
    members: ['c2', 'c3'],
    base: { c2: 4, c3: 0 },
  },
  { t: 'redirect', node, reason: 'placement' },
  { t: 'acked', upTo: 0 },
  { t: 'acked', upTo: 42 },
  { t: 'resend', from: 1 },
  { t: 'joined', client: 'c2' },
  { t: 'left', client: 'c2', reason: 'bye' },
  { t: 'left', client: 'c2', reason: 'timeout' },
  { t: 'drain', deadlineMs: 5000 },
  { t: 'error', code: 'GRIDLINK_REJECTED', message: 'no' },
  { t: 'msg', from: 'c2', seq: 1, d: 'hello' },
  { t: 'msg', from: 'c2', d: 'volatile' },
  { t: 'msg', from: 'c2', seq: 7, d: 'AAEC', b: 1 },
  { t: 'ping' },
  { t: 'ping', id: 3 },
  { t: 'pong', id: 3 },
];

const clientFrames: ClientFrame[] = [
  { t: 'hello', v: 1, session: 's1', client: 'c1', recv: {}, members: [] },
  {
    t: 'hello',
    v: 1,
    session: 's1',
    client: 'c1',
    resume: 'tok',
    recv: { c2: 9 },
    members: ['c2'],
    failed: ['n1'],
    via: 'n1',
  },
  { t: 'bye' },
  { t: 'ack', recv: { c2: 3, c3: 0 } },
  { t: 'msg', seq: 1, d: 'hello' },
  { t: 'msg', d: 'volatile' },
  { t: 'msg', seq: 2, d: 'AAEC', b: 1 },
  { t: 'ping' },
  { t: 'ping', id: 0 },
  { t: 'pong', id: 0 },
];

describe('codec round trip', () => {
  it.each(nodeFrames.map((f) => [`${f.t} ${JSON.stringify(f).length}`, f] as const))('node frame %s', (_, frame) => {
    expect({ ...decodeNodeFrame(encodeFrame(frame), limits) }).toEqual(frame);
  });

  it.each(clientFrames.map((f) => [`${f.t} ${JSON.stringify(f).length}`, f] as const))('client frame %s', (_, frame) => {
    expect(JSON.parse(JSON.stringify(decodeClientFrame(encodeFrame(frame), limits)))).toEqual(frame);
  });

  it('decoded watermarks have no prototype to pollute', () => {
    const frame = decodeClientFrame('{"t":"ack","recv":{"__proto__":5}}', limits);
    expect(frame.t).toBe('ack');
    expect(({} as Record<string, unknown>).constructor).toBe(Object);
    expect(Object.entries((frame as { recv: object }).recv)).toEqual([['__proto__', 5]]);
  });
});

describe('codec refuses hostile input', () => {
  const both = [
    ['node', (raw: string | Uint8Array, lim = limits) => decodeNodeFrame(raw, lim)],
    ['client', (raw: string | Uint8Array, lim = limits) => decodeClientFrame(raw, lim)],
  ] as const;

  describe.each(both)('%s decoder', (_, decode) => {
    it.each([
      ['not JSON', 'nope{'],
      ['empty', ''],
      ['array', '[{"t":"ping"}]'],
      ['null', 'null'],
      ['number', '42'],
      ['string', '"ping"'],
      ['missing t', '{"id":1}'],
      ['t not a string', '{"t":1}'],
      ['unknown t', '{"t":"shutdown"}'],
      ['pong without id', '{"t":"pong"}'],
      ['negative ping id', '{"t":"ping","id":-1}'],
      ['float ping id', '{"t":"ping","id":1.5}'],
      ['string ping id', '{"t":"ping","id":"1"}'],
      ['huge pong id', `{"t":"pong","id":${2 ** 53}}`],
      ['1e300 pong id', '{"t":"pong","id":1e300}'],
      ['msg without d', '{"t":"msg","seq":1,"from":"a"}'],
      ['msg d not a string', '{"t":"msg","seq":1,"from":"a","d":{}}'],
      ['msg seq 0', '{"t":"msg","seq":0,"from":"a","d":""}'],
      ['msg seq negative', '{"t":"msg","seq":-3,"from":"a","d":""}'],
      ['msg seq float', '{"t":"msg","seq":2.5,"from":"a","d":""}'],
      ['msg seq string', '{"t":"msg","seq":"2","from":"a","d":""}'],
      ['msg seq beyond safe integers', `{"t":"msg","seq":${2 ** 53 + 2},"from":"a","d":""}`],
      ['msg b not 1', '{"t":"msg","seq":1,"from":"a","d":"","b":true}'],
      ['msg from too long', `{"t":"msg","seq":1,"from":"${'a'.repeat(MAX_ID_LENGTH + 1)}","d":""}`],
      ['msg from not a string', '{"t":"msg","seq":1,"from":7,"d":""}'],
    ])('%s', (_, raw) => {
      expectRefused(() => decode(raw));
    });

    it('binary WebSocket data', () => {
      expectRefused(() => decode(new TextEncoder().encode('{"t":"ping"}')));
    });

    it('a frame over maxFrameBytes', () => {
      const raw = JSON.stringify({ t: 'ping', pad: 'x'.repeat(limits.maxFrameBytes) });
      expectRefused(() => decode(raw), 'GRIDLINK_FRAME_TOO_LARGE');
    });

    it('multi-byte UTF-8 whose UTF-16 length is under the limit but byte length is over', () => {
      const small = { maxFrameBytes: 1024 };
      const raw = JSON.stringify({ t: 'ping', pad: '€'.repeat(400) }); // ~420 UTF-16 units, ~1220 bytes
      expect(raw.length).toBeLessThan(small.maxFrameBytes);
      expect(new TextEncoder().encode(raw).byteLength).toBeGreaterThan(small.maxFrameBytes);
      expectRefused(() => decode(raw, small), 'GRIDLINK_FRAME_TOO_LARGE');
    });

    it('accepts a frame of exactly maxFrameBytes bytes', () => {
      const small = { maxFrameBytes: 1024 };
      const base = JSON.stringify({ t: 'ping', pad: '' });
      const room = 1024 - base.length;
      const raw = JSON.stringify({ t: 'ping', pad: 'x'.repeat(room % 2) + 'é'.repeat(Math.floor(room / 2)) });
      expect(new TextEncoder().encode(raw).byteLength).toBe(1024);
      expect(decode(raw, small).t).toBe('ping');
      expectRefused(() => decode(raw, { maxFrameBytes: 1023 }), 'GRIDLINK_FRAME_TOO_LARGE');
    });
  });

  describe('node frames', () => {
    const decode = (raw: string) => decodeNodeFrame(raw, limits);
    const welcome = nodeFrames[0] as Extract<NodeFrame, { t: 'welcome' }>;
    const withWelcome = (patch: Record<string, unknown>) => JSON.stringify({ ...welcome, ...patch });

    it.each([
      ['msg without from (a node always names the sender)', '{"t":"msg","seq":1,"d":"x"}'],
      ['left with an unknown reason', '{"t":"left","client":"c","reason":"kicked"}'],
      ['joined with an empty id', '{"t":"joined","client":""}'],
      ['resend from 0', '{"t":"resend","from":0}'],
      ['hello is not a node frame', JSON.stringify(clientFrames[0])],
      ['ack is not a node frame', '{"t":"ack","recv":{}}'],
      ['acked negative', '{"t":"acked","upTo":-1}'],
      ['drain without deadline', '{"t":"drain"}'],
      ['error with a long code', `{"t":"error","code":"${'X'.repeat(65)}","message":""}`],
      ['redirect to http', JSON.stringify({ t: 'redirect', node: { id: 'n', url: 'http://n.example.com/' }, reason: '' })],
      ['redirect to javascript:', JSON.stringify({ t: 'redirect', node: { id: 'n', url: 'javascript:alert(1)' }, reason: '' })],
      ['redirect node not an object', JSON.stringify({ t: 'redirect', node: 'ws://n/', reason: '' })],
      ['redirect node without id', JSON.stringify({ t: 'redirect', node: { url: 'ws://n/' }, reason: '' })],
      ['welcome v 0', withWelcome({ v: 0 })],
      ['welcome session too long', withWelcome({ session: 's'.repeat(MAX_ID_LENGTH + 1) })],
      ['welcome nodes not an array', withWelcome({ nodes: {} })],
      ['welcome node url not ws(s)', withWelcome({ nodes: [{ id: 'n', url: 'ftp://n/' }] })],
      ['welcome heartbeat missing', withWelcome({ heartbeat: undefined })],
      ['welcome heartbeat interval 0', withWelcome({ heartbeat: { intervalMs: 0, timeoutMs: 3000 } })],
      ['welcome heartbeat timeout NaN-ish', withWelcome({ heartbeat: { intervalMs: 1000, timeoutMs: 'NaN' } })],
      ['welcome members with a number', withWelcome({ members: ['a', 2] })],
      ['welcome members with an empty id', withWelcome({ members: [''] })],
      ['welcome too many members', withWelcome({ members: Array.from({ length: MAX_LIST_LENGTH + 1 }, (_, i) => `m${i}`) })],
      ['welcome too many nodes', withWelcome({ nodes: Array.from({ length: MAX_LIST_LENGTH + 1 }, () => node) })],
      ['welcome base an array', withWelcome({ base: [1] })],
      ['welcome base negative seq', withWelcome({ base: { a: -1 } })],
      ['welcome base float seq', withWelcome({ base: { a: 1.5 } })],
      ['welcome base key too long', withWelcome({ base: { ['k'.repeat(MAX_ID_LENGTH + 1)]: 1 } })],
      ['welcome base too many entries', withWelcome({ base: Object.fromEntries(Array.from({ length: MAX_LIST_LENGTH + 1 }, (_, i) => [`m${i}`, 1])) })],
      ['welcome resume not a string', withWelcome({ resume: 5 })],
    ])('%s', (_, raw) => {
      expectRefused(() => decodeNodeFrame(raw, { maxFrameBytes: 1024 * 1024 }));
    });

    it('NaN cannot even be expressed: a NaN seq serialises to null and is refused', () => {
      expectRefused(() => decode(JSON.stringify({ t: 'msg', from: 'a', seq: Number.NaN, d: '' })));
    });
  });

  describe('client frames', () => {
    const hello = clientFrames[1] as Extract<ClientFrame, { t: 'hello' }>;
    const withHello = (patch: Record<string, unknown>) => JSON.stringify({ ...hello, ...patch });

    it.each([
      ['hello v missing', withHello({ v: undefined })],
      ['hello client empty', withHello({ client: '' })],
      ['hello client too long', withHello({ client: 'c'.repeat(MAX_ID_LENGTH + 1) })],
      ['hello recv missing', withHello({ recv: undefined })],
      ['hello recv null', withHello({ recv: null })],
      ['hello members not an array', withHello({ members: 'c2' })],
      ['hello too many members', withHello({ members: Array.from({ length: MAX_LIST_LENGTH + 1 }, (_, i) => `m${i}`) })],
      ['hello failed with a non-id', withHello({ failed: [null] })],
      ['hello via empty', withHello({ via: '' })],
      ['hello resume too long', withHello({ resume: 'r'.repeat(1025) })],
      ['ack recv with a string seq', '{"t":"ack","recv":{"a":"1"}}'],
      ['ack recv with a huge seq', `{"t":"ack","recv":{"a":${2 ** 60}}}`],
      ['welcome is not a client frame', JSON.stringify(nodeFrames[0])],
      ['resend is not a client frame', '{"t":"resend","from":1}'],
    ])('%s', (_, raw) => {
      expectRefused(() => decodeClientFrame(raw, { maxFrameBytes: 1024 * 1024 }));
    });

    it("strips a client msg's from: a client cannot speak for another member", () => {
      const frame = decodeClientFrame('{"t":"msg","seq":1,"from":"someone-else","d":"x"}', limits);
      expect(frame).toEqual({ t: 'msg', seq: 1, d: 'x' });
      expect('from' in frame).toBe(false);
    });
  });
});

describe('codec never throws anything but a GridlinkError', () => {
  // A tiny deterministic generator (no fast-check): random JSON values and random strings.
  let state = 0x12345678;
  const rand = (): number => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const pick = <T,>(items: readonly T[]): T => items[Math.floor(rand() * items.length)] as T;
  const types = ['msg', 'ping', 'pong', 'acked', 'resend', 'joined', 'left', 'welcome', 'redirect', 'drain', 'error', 'hello', 'bye', 'ack', 'x'];
  const keys = ['t', 'd', 'seq', 'from', 'b', 'id', 'upTo', 'client', 'reason', 'v', 'node', 'nodes', 'url', 'session', 'resume', 'heartbeat', 'members', 'base', 'recv', 'failed', 'via', 'intervalMs', 'timeoutMs', 'code', 'message', 'deadlineMs', '__proto__', 'constructor'];
  const value = (depth: number): unknown => {
    const r = rand();
    if (depth > 3 || r < 0.3) return pick([0, 1, -1, 1.5, 2 ** 53, -0, 1e308, '', 'x', 'ws://n/', 'http://n/', true, false, null, 'a'.repeat(200)]);
    if (r < 0.5) return Array.from({ length: Math.floor(rand() * 4) }, () => value(depth + 1));
    const obj: Record<string, unknown> = {};
    for (let i = Math.floor(rand() * 6); i > 0; i--) obj[pick(keys)] = value(depth + 1);
    if (depth === 0 && rand() < 0.8) obj.t = pick(types);
    return obj;
  };
  const randomString = (): string =>
    String.fromCharCode(...Array.from({ length: Math.floor(rand() * 40) }, () => Math.floor(rand() * 0xffff)));

  it('for 3000 random inputs', () => {
    const small = { maxFrameBytes: 2048 };
    for (let i = 0; i < 3000; i++) {
      const raw = i % 3 === 0 ? randomString() : JSON.stringify(value(0));
      for (const decode of [decodeNodeFrame, decodeClientFrame]) {
        try {
          decode(raw, small);
        } catch (error) {
          if (!(error instanceof GridlinkError)) throw new Error(`non-GridlinkError for ${JSON.stringify(raw)}: ${String(error)}`);
          expect(['GRIDLINK_PROTOCOL', 'GRIDLINK_FRAME_TOO_LARGE']).toContain(error.code);
        }
      }
    }
  });
});

describe('hello.token', () => {
  const hello = (extra: Record<string, unknown>): string => JSON.stringify({ t: 'hello', v: 1, session: 's', client: 'c', recv: {}, members: [], ...extra });

  it('is decoded when present, absent otherwise', () => {
    expect(decodeClientFrame(hello({ token: 'abc' }), limits)).toMatchObject({ token: 'abc' });
    expect(decodeClientFrame(hello({}), limits)).not.toHaveProperty('token');
  });

  it('is refused empty, too long or not a string, without quoting it', () => {
    for (const token of ['', `SECRET${'x'.repeat(4091)}`, 42]) {
      const error = thrown(() => decodeClientFrame(hello({ token }), limits)) as Error;
      expect(error).toMatchObject({ code: 'GRIDLINK_PROTOCOL' });
      expect(error.message).not.toContain('SECRET');
    }
  });
});

describe('message size: what a client may send, what the node relays', () => {
  const limits = { maxFrameBytes: 64 * 1024 };
  const limit = maxMessageFrameBytes(limits.maxFrameBytes);
  /** A client msg frame of exactly `bytes` UTF-8 bytes, made of `unit` (1- or 3-byte characters). */
  const frameOf = (bytes: number, unit = 'x'): string => {
    const shell = JSON.stringify({ t: 'msg', seq: 1, d: '' });
    const size = new TextEncoder().encode(unit).byteLength;
    return JSON.stringify({ t: 'msg', seq: 1, d: unit.repeat(Math.floor((bytes - shell.length) / size)) });
  };

  it('takes a msg frame of exactly maxFrameBytes - MESSAGE_ENVELOPE_BYTES and refuses one byte more', () => {
    expect(limit).toBe(limits.maxFrameBytes - MESSAGE_ENVELOPE_BYTES);
    expect(decodeClientFrame(frameOf(limit), limits)).toMatchObject({ t: 'msg', seq: 1 });
    expect(() => decodeClientFrame(frameOf(limit + 1), limits)).toThrow(expect.objectContaining({ code: 'GRIDLINK_FRAME_TOO_LARGE' }));
  });

  it('counts UTF-8 bytes, not characters', () => {
    const wide = frameOf(limit + 3, '€');
    expect(wide.length).toBeLessThan(limit);
    expect(() => decodeClientFrame(wide, limits)).toThrow(expect.objectContaining({ code: 'GRIDLINK_FRAME_TOO_LARGE' }));
  });

  it('a relayed frame of the largest message, with the longest encoded from, fits maxFrameBytes', () => {
    // Control characters (6-byte escapes) are not ids; the widest id is 3 UTF-8 bytes per unit.
    for (const unit of ['€', '"']) {
      const relayed = { ...(JSON.parse(frameOf(limit)) as object), from: unit.repeat(MAX_ID_LENGTH) };
      const text = JSON.stringify(relayed);
      expect(new TextEncoder().encode(text).byteLength).toBeLessThanOrEqual(limits.maxFrameBytes);
      expect(decodeNodeFrame(text, limits)).toMatchObject({ t: 'msg', from: unit.repeat(MAX_ID_LENGTH) });
    }
  });

  it('the welcome carries the node frame limit (optional, at least twice the envelope)', () => {
    const welcome = nodeFrames[0] as Extract<NodeFrame, { t: 'welcome' }>;
    expect(decodeNodeFrame(JSON.stringify({ ...welcome, maxFrameBytes: 65_536 }), limits)).toMatchObject({ maxFrameBytes: 65_536 });
    expect(decodeNodeFrame(JSON.stringify(welcome), limits)).not.toHaveProperty('maxFrameBytes');
    expect(() => decodeNodeFrame(JSON.stringify({ ...welcome, maxFrameBytes: 100 }), limits)).toThrow(expect.objectContaining({ code: 'GRIDLINK_PROTOCOL' }));
  });
});
