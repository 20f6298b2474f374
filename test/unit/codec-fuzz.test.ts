/**
 * Property-based: whatever bytes a node or a client sends, decoding either yields a well-formed
 * frame or throws a GridlinkError with a protocol code — never anything else, never a hang.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isGridlinkError } from '../../src/core/errors.js';
import { decodeClientFrame, decodeNodeFrame, encodeFrame } from '../../src/protocol/codec.js';

const limits = { maxFrameBytes: 64 * 1024 };
const TYPES = ['hello', 'welcome', 'redirect', 'msg', 'ack', 'acked', 'resend', 'gap', 'joined', 'left', 'drain', 'ping', 'pong', 'bye', 'error', 'x'];

/** JSON objects shaped like frames, with fields of every wrong type thrown in. */
const frameLike = fc.record(
  {
    t: fc.constantFrom(...TYPES),
    v: fc.oneof(fc.integer(), fc.double(), fc.string(), fc.constant(null)),
    seq: fc.oneof(fc.integer({ min: -5, max: 2 ** 60 }), fc.double(), fc.string()),
    session: fc.oneof(fc.string({ maxLength: 200 }), fc.integer()),
    client: fc.oneof(fc.string({ maxLength: 200 }), fc.constant(null)),
    from: fc.string({ maxLength: 140 }),
    d: fc.oneof(fc.string(), fc.integer(), fc.object()),
    b: fc.oneof(fc.constant(1), fc.integer(), fc.string()),
    recv: fc.oneof(fc.dictionary(fc.string({ maxLength: 140 }), fc.oneof(fc.integer(), fc.double(), fc.string())), fc.array(fc.integer())),
    members: fc.oneof(fc.array(fc.string({ maxLength: 140 })), fc.string()),
    node: fc.oneof(fc.record({ id: fc.string(), url: fc.oneof(fc.webUrl(), fc.constantFrom('ws://a/', 'wss://b:1/')), cookie: fc.string() }), fc.string()),
    nodes: fc.array(fc.record({ id: fc.string(), url: fc.string() }), { maxLength: 5 }),
    upTo: fc.oneof(fc.integer(), fc.double()),
    heartbeat: fc.oneof(fc.record({ intervalMs: fc.integer(), timeoutMs: fc.integer() }), fc.constant(7)),
    base: fc.oneof(fc.dictionary(fc.string(), fc.integer()), fc.integer()),
  },
  { requiredKeys: ['t'] },
);

const outcomes = { decoded: 0, refused: 0 };

function decodesCleanly(decode: (raw: string) => unknown, raw: string): void {
  try {
    const frame = decode(raw) as { t: string };
    // A frame that decodes re-encodes and decodes to the same thing: nothing half-parsed slips through.
    expect(decode(encodeFrame(frame as never))).toEqual(frame);
    outcomes.decoded++;
  } catch (error) {
    outcomes.refused++;
    expect(isGridlinkError(error)).toBe(true);
    expect(['GRIDLINK_PROTOCOL', 'GRIDLINK_FRAME_TOO_LARGE']).toContain((error as { code: string }).code);
  }
}

describe('codec under arbitrary input', () => {
  it('node frames: arbitrary strings', () => {
    fc.assert(fc.property(fc.string({ maxLength: 2000 }), (raw) => decodesCleanly((r) => decodeNodeFrame(r, limits), raw)), { numRuns: 2000 });
  });

  it('node frames: frame-shaped JSON with wrong fields', () => {
    fc.assert(fc.property(frameLike, (obj) => decodesCleanly((r) => decodeNodeFrame(r, limits), JSON.stringify(obj))), { numRuns: 3000 });
  });

  it('client frames: frame-shaped JSON with wrong fields', () => {
    fc.assert(fc.property(frameLike, (obj) => decodesCleanly((r) => decodeClientFrame(r, limits), JSON.stringify(obj))), { numRuns: 3000 });
  });

  it('deep nesting and huge numbers do not escape as non-gridlink errors', () => {
    const deep = `{"t":"msg","d":${'['.repeat(5000)}${']'.repeat(5000)}}`;
    decodesCleanly((r) => decodeNodeFrame(r, limits), deep);
    decodesCleanly((r) => decodeClientFrame(r, limits), '{"t":"ack","recv":{"a":1e400}}');
    decodesCleanly((r) => decodeClientFrame(r, limits), '{"t":"hello","__proto__":{"t":"bye"}}');
  });

  it('exercised both paths (the generators are not vacuous)', () => {
    expect(outcomes.decoded).toBeGreaterThan(50);
    expect(outcomes.refused).toBeGreaterThan(50);
  });
});
