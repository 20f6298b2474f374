/**
 * What the codec refuses so that a node never relays, or builds, a frame its members would refuse:
 * binary payloads that are not canonical base64, ids that are not well-formed strings, and client
 * positions whose successor a node could not name. And the property behind it: every node frame
 * built from client frames that decoded decodes too.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { base64ToBytes, bytesToBase64 } from '../../src/core/base64.js';
import { decodeClientFrame, decodeNodeFrame, encodeFrame, isCanonicalBase64, isProtocolId, MAX_ID_LENGTH } from '../../src/protocol/codec.js';
import type { ClientFrame, HelloFrame, MsgFrame, NodeFrame } from '../../src/protocol/frames.js';

const limits = { maxFrameBytes: 64 * 1024 };
const clientMsg = (d: string): string => JSON.stringify({ t: 'msg', seq: 1, d, b: 1 });
const refusal = (fn: () => unknown): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  }
};

describe('binary msg frames carry canonical base64', () => {
  it('takes what btoa writes, for every length and byte', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const d = bytesToBase64(bytes);
        expect(isCanonicalBase64(d)).toBe(true);
        expect(decodeClientFrame(clientMsg(d), limits)).toMatchObject({ t: 'msg', d, b: 1 });
      }),
      { numRuns: 500 },
    );
  });

  it.each([
    ['a character outside the alphabet', 'ab!d'],
    ['url-safe alphabet', 'ab-_'],
    ['missing padding', 'YQ'],
    ['a length that is not a multiple of 4', 'YWJjZ'],
    ['padding in the middle', 'YQ==YQ=='],
    ['three pads', 'Y==='],
    ['whitespace', 'YW Jj'],
    ['non-zero bits under two pads', 'YR=='],
    ['non-zero bits under one pad', 'YWJ='],
  ])('refuses %s at the node (GRIDLINK_PROTOCOL), and nothing relayed from it reaches a member', (_, d) => {
    expect(isCanonicalBase64(d)).toBe(false);
    expect(refusal(() => decodeClientFrame(clientMsg(d), limits))).toBe('GRIDLINK_PROTOCOL');
    expect(refusal(() => decodeNodeFrame(JSON.stringify({ t: 'msg', seq: 1, from: 'a', d, b: 1 }), limits))).toBe('GRIDLINK_PROTOCOL');
  });

  it('anything it accepts, every member decodes', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'AQgwYWJj+/=xz09 '), maxLength: 24 }), (d) => {
        if (isCanonicalBase64(d)) expect(bytesToBase64(base64ToBytes(d))).toBe(d);
      }),
      { numRuns: 2000 },
    );
  });

  it('leaves text messages alone', () => {
    expect(decodeClientFrame(JSON.stringify({ t: 'msg', d: 'not base64!' }), limits)).toMatchObject({ d: 'not base64!' });
  });
});

describe('ids are well-formed strings without control characters', () => {
  it('takes the ids clients and demos use, and any well-formed text', () => {
    for (const id of ['alice', 'room-1', 'c1', 'node_a.example', '3f2a9c', 'Zoë', '部屋', '\u{1F600}x', 'a b', '"q"', 'x'.repeat(MAX_ID_LENGTH)]) {
      expect(isProtocolId(id)).toBe(true);
    }
  });

  it.each([
    ['a lone high surrogate', 'x\uD800'],
    ['a lone low surrogate', '\uDC00x'],
    ['reversed pair', '\uDC00\uD800'],
    ['NUL (the resume MAC separator)', 'a\u0000b'],
    ['a newline', 'a\nb'],
    ['DEL', 'a\u007f'],
    ['empty', ''],
    ['too long', 'x'.repeat(MAX_ID_LENGTH + 1)],
  ])('refuses %s wherever an id goes', (_, id) => {
    expect(isProtocolId(id)).toBe(false);
    const base = { t: 'hello', v: 1, session: 's', client: 'c', recv: {}, members: [] };
    for (const hello of [
      { ...base, session: id },
      { ...base, client: id },
      { ...base, members: [id] },
      { ...base, failed: [id] },
      { ...base, via: id },
      { ...base, recv: { [id]: 1 } },
    ]) {
      expect(refusal(() => decodeClientFrame(JSON.stringify(hello), limits))).toBe('GRIDLINK_PROTOCOL');
    }
    expect(refusal(() => decodeClientFrame(JSON.stringify({ t: 'ack', recv: { [id]: 1 } }), limits))).toBe('GRIDLINK_PROTOCOL');
    for (const frame of [
      { t: 'joined', client: id },
      { t: 'left', client: id, reason: 'bye' },
      { t: 'gap', from: id, upTo: 1 },
      { t: 'msg', from: id, d: '' },
      { t: 'redirect', node: { id, url: 'ws://a/' }, reason: 'x' },
    ]) {
      expect(refusal(() => decodeNodeFrame(JSON.stringify(frame), limits))).toBe('GRIDLINK_PROTOCOL');
    }
  });

  it('two ids that differ only in a lone surrogate can no longer both arrive', () => {
    // They used to: both encode to the same UTF-8 (U+FFFD), so one resume token fit both.
    expect(Buffer.from('x\uD800').equals(Buffer.from('x\uDBFF'))).toBe(true);
    expect(isProtocolId('x\uD800') || isProtocolId('x\uDBFF')).toBe(false);
  });
});

describe('client positions leave room for the next one', () => {
  const top = Number.MAX_SAFE_INTEGER;
  it('refuses a client position at 2^53 - 1, takes one below it; a node may name 2^53 - 1', () => {
    const hello = (recv: Record<string, number>, sent?: number) => JSON.stringify({ t: 'hello', v: 1, session: 's', client: 'c', recv, members: [], sent });
    expect(refusal(() => decodeClientFrame(hello({ honest: top }), limits))).toBe('GRIDLINK_PROTOCOL');
    expect(refusal(() => decodeClientFrame(hello({}, top), limits))).toBe('GRIDLINK_PROTOCOL');
    expect(refusal(() => decodeClientFrame(JSON.stringify({ t: 'msg', seq: top, d: '' }), limits))).toBe('GRIDLINK_PROTOCOL');
    expect(refusal(() => decodeClientFrame(JSON.stringify({ t: 'gap', upTo: top }), limits))).toBe('GRIDLINK_PROTOCOL');
    expect(decodeClientFrame(hello({ honest: top - 1 }, top - 1), limits)).toMatchObject({ recv: { honest: top - 1 }, sent: top - 1 });
    expect(decodeNodeFrame(JSON.stringify({ t: 'resend', from: top }), limits)).toEqual({ t: 'resend', from: top });
  });
});

/** Node frames built from decoded client frames, the way the node builds them (session-host.ts). */
function nodeFramesFrom(hello: HelloFrame, frames: ClientFrame[]): NodeFrame[] {
  const out: NodeFrame[] = [
    { t: 'joined', client: hello.client, ...(hello.sent === undefined ? {} : { base: hello.sent }) },
    { t: 'left', client: hello.client, reason: 'timeout' },
    { t: 'redirect', node: { id: hello.failed?.[0] ?? 'n', url: 'ws://n/' }, reason: 'not-host' },
  ];
  for (const [, have] of Object.entries(hello.recv)) out.push({ t: 'resend', from: have + 1 });
  for (const frame of frames) {
    if (frame.t === 'msg') out.push({ ...(frame as MsgFrame), from: hello.client });
    if (frame.t === 'gap') out.push({ t: 'gap', from: hello.client, upTo: frame.upTo });
    if (frame.t === 'ack') for (const upTo of Object.values(frame.recv)) out.push({ t: 'acked', upTo });
  }
  return out;
}

describe('every frame a node builds from what it accepted passes its own decoder', () => {
  const goodId = fc.string({ minLength: 1, maxLength: 12, unit: fc.constantFrom('a', 'z', '0', '-', '"', '\\', '€', '\u{1F600}') });
  const badId = fc.oneof(fc.constantFrom('', 'x\uD800', '\uDC00', 'a\u0000', '\n', 'x'.repeat(MAX_ID_LENGTH + 1)), fc.string({ maxLength: 4 }));
  const anyId = fc.oneof({ arbitrary: goodId, weight: 30 }, { arbitrary: badId, weight: 1 });
  const position = fc.oneof({ arbitrary: fc.nat(), weight: 20 }, { arbitrary: fc.constantFrom(Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER - 1, 2 ** 53), weight: 1 });
  const hello = fc.record({
    t: fc.constant('hello'),
    v: fc.constant(1),
    session: anyId,
    client: anyId,
    recv: fc.dictionary(anyId, position, { maxKeys: 4 }),
    members: fc.array(anyId, { maxLength: 4 }),
    failed: fc.array(anyId, { maxLength: 2 }),
    sent: position,
  });
  const later = fc.array(
    fc.oneof(
      fc.record({ t: fc.constant('msg'), seq: position, d: fc.oneof(fc.string(), fc.base64String()), b: fc.constantFrom(1, undefined) }, { requiredKeys: ['t', 'd'] }),
      fc.record({ t: fc.constant('gap'), upTo: position }),
      fc.record({ t: fc.constant('ack'), recv: fc.dictionary(anyId, position, { maxKeys: 3 }) }),
    ),
    { maxLength: 4 },
  );
  const decodeOrUndefined = (raw: string): ClientFrame | undefined => {
    try {
      return decodeClientFrame(raw, limits);
    } catch {
      return undefined;
    }
  };
  const seen = { accepted: 0 };

  it('for random hellos and the frames after them', () => {
    fc.assert(
      fc.property(hello, later, (h, rest) => {
        const decoded = decodeOrUndefined(JSON.stringify(h));
        if (decoded?.t !== 'hello') return;
        seen.accepted++;
        const frames = rest.map((f) => decodeOrUndefined(JSON.stringify(f))).filter((f): f is ClientFrame => f !== undefined);
        for (const built of nodeFramesFrom(decoded, frames)) expect(decodeNodeFrame(encodeFrame(built), limits)).toEqual(built);
      }),
      { numRuns: 2000 },
    );
    expect(seen.accepted).toBeGreaterThan(50);
  });
});
