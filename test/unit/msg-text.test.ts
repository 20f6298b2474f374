/**
 * The `msg` fast path (src/protocol/msg-text.ts) against the strict decoder, on valid, mutated and
 * hand-picked hostile text: whatever the fast path accepts, the strict path accepts as the same
 * frame, and what a node relays from it reads, to every member, exactly as what it would relay from
 * the strict path's frame. The fast path may decline anything (the strict path then decides); it
 * must never accept something different.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeClientFrame, decodeNodeFrame, encodeFrame, scanClientMsg } from '../../src/protocol/codec.js';
import type { MsgFrame } from '../../src/protocol/frames.js';
import { encodeMsg, scanMsg } from '../../src/protocol/msg-text.js';

const limits = { maxFrameBytes: 64 * 1024 };
/** Room for a 76-byte client frame: the size limit is checked on both paths, at its edge. */
const tight = { maxFrameBytes: 1100 };
const MAX_CLIENT_SEQ = Number.MAX_SAFE_INTEGER - 1;

type Outcome = { ok: true; value: unknown } | { ok: false };
function attempt(f: () => unknown): Outcome {
  try {
    return { ok: true, value: f() };
  } catch {
    return { ok: false };
  }
}

/** The node's decoder on its strict path: JSON allows leading whitespace, the fast path never does. */
function strictNode(text: string): Outcome {
  return attempt(() => decodeNodeFrame(` ${text}`, { maxFrameBytes: limits.maxFrameBytes + 1 }));
}

/** What a member receives when a node relays `frame` from `from`, as the session host writes it. */
function relayed(frame: MsgFrame, from: string, dJson?: string): string {
  const out: MsgFrame = { t: 'msg', from, d: frame.d };
  if (frame.seq !== undefined) out.seq = frame.seq;
  if (frame.b === 1) out.b = 1;
  return encodeMsg(out, dJson);
}

/** Everything the fast path promises about one client text. */
function agreesOnClientText(text: string, codecLimits = limits): void {
  const fast = scanClientMsg(text, codecLimits);
  const strict = attempt(() => decodeClientFrame(text, codecLimits));
  if (fast === undefined) return;
  expect(strict).toEqual({ ok: true, value: fast.frame });
  expect(JSON.parse(fast.dJson)).toBe(fast.frame.d);
  // Relayed from the fast path (payload passed on as it arrived) or the strict one (re-encoded):
  // every member decodes the same frame, on either of its own paths.
  const viaFast = relayed(fast.frame, 'alice', fast.dJson);
  const viaStrict = relayed(strict.ok ? (strict.value as MsgFrame) : fast.frame, 'alice');
  const member = decodeNodeFrame(viaStrict, limits);
  expect(decodeNodeFrame(viaFast, limits)).toEqual(member);
  expect(strictNode(viaFast)).toEqual({ ok: true, value: member });
  expect(JSON.parse(viaFast)).toEqual(JSON.parse(viaStrict));
  // It still fits every member's frame limit.
  expect(new TextEncoder().encode(viaFast).byteLength).toBeLessThanOrEqual(codecLimits.maxFrameBytes);
}

/** The same for a node's text as a client reads it: the fast path answers what the strict one would. */
function agreesOnNodeText(text: string): void {
  const fast = attempt(() => decodeNodeFrame(text, limits));
  const strict = strictNode(text);
  expect(fast).toEqual(strict);
}

const payload = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }), // any code point, controls, quotes and backslashes included
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ maxLength: 10 }).map((s) => `\ud800${s}\udfff`), // lone surrogates
  fc.constantFrom('', '"', '\\', '\\"', '\u2028', '</script>', '{"t":"msg"}', ',"from":"eve"'),
);
const base64 = fc.uint8Array({ maxLength: 20 }).map((bytes) => Buffer.from(bytes).toString('base64'));
const seq = fc.oneof(fc.integer({ min: 1, max: 1000 }), fc.constantFrom(MAX_CLIENT_SEQ, MAX_CLIENT_SEQ + 1, 2 ** 53, 999_999_999_999_999));
const clientMsg: fc.Arbitrary<MsgFrame> = fc.oneof(
  fc.record({ t: fc.constant('msg' as const), seq, d: payload }, { requiredKeys: ['t', 'd'] }),
  fc.record({ t: fc.constant('msg' as const), seq, d: base64, b: fc.constant(1 as const) }, { requiredKeys: ['t', 'd', 'b'] }),
);

/** Characters that matter to the grammar, and some that do not. */
const editChar = fc.oneof(fc.constantFrom('"', '\\', '{', '}', ':', ',', ' ', '0', '1', '9', 'u', 'b', 'd', 't', 'n', 'A', '=', '/', '\u0000', '\n'), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }));
const edit = fc.record({ at: fc.nat(), kind: fc.constantFrom('insert', 'delete', 'replace'), char: editChar });
function mutate(text: string, edits: readonly { at: number; kind: string; char: string }[]): string {
  let out = text;
  for (const { at, kind, char } of edits) {
    const i = at % (out.length + 1);
    if (kind === 'insert') out = out.slice(0, i) + char + out.slice(i);
    else if (kind === 'delete') out = out.slice(0, i) + out.slice(i + 1);
    else out = out.slice(0, i) + char + out.slice(i + 1);
  }
  return out;
}

describe('msg fast path: what a client sends', () => {
  it('reads every msg frame a client writes, as the strict decoder does', () => {
    fc.assert(
      fc.property(clientMsg, (frame) => {
        const text = encodeFrame(frame);
        agreesOnClientText(text);
        agreesOnClientText(text, tight);
        if (frame.seq === undefined || frame.seq <= MAX_CLIENT_SEQ) {
          // What a client may send and fits is read by the fast path, not left to the slow one.
          if (new TextEncoder().encode(text).byteLength <= limits.maxFrameBytes - 1024) expect(scanClientMsg(text, limits)?.frame).toEqual(frame);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('agrees with the strict decoder on mutated frames', () => {
    fc.assert(
      fc.property(clientMsg, fc.array(edit, { minLength: 1, maxLength: 4 }), (frame, edits) => {
        agreesOnClientText(mutate(encodeFrame(frame), edits));
      }),
      { numRuns: 10_000 },
    );
  });

  it('agrees with the strict decoder on arbitrary text and JSON', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.json(), fc.string().map((s) => `{"t":"msg",${s}`)), (text) => agreesOnClientText(text)),
      { numRuns: 3000 },
    );
  });

  it('never passes on a forged sender, a second type, a duplicate key or malformed JSON', () => {
    const hostile = [
      '{"t":"msg","d":"x","from":"eve"}',
      '{"t":"msg","from":"eve","d":"x"}',
      '{"t":"msg","t":"gap","d":"x","upTo":1}',
      '{"t":"msg","d":"x","d":"y"}',
      '{"t":"msg","seq":1,"seq":2,"d":"x"}',
      '{"t":"msg","d":"x","b":1,"b":1}',
      '{"t":"msg","d":"x","extra":{"t":"acked"}}',
      '{"t":"msg","d":"x"}{"t":"msg","d":"y"}',
      '{"t":"msg","d":"x"} ',
      '{"t":"msg","d":"x\\"}',
      '{"t":"msg","d":"x\\',
      '{"t":"msg","d":"\\u00"}',
      '{"t":"msg","d":"\\x41"}',
      '{"t":"msg","d":"a\u0000b"}',
      '{"t":"msg","d":"a\nb"}',
      '{"t":"msg","d":x}',
      '{"t":"msg","d":1}',
      '{"t":"msg","seq":0,"d":"x"}',
      '{"t":"msg","seq":01,"d":"x"}',
      '{"t":"msg","seq":-1,"d":"x"}',
      '{"t":"msg","seq":1.5,"d":"x"}',
      '{"t":"msg","seq":1e3,"d":"x"}',
      `{"t":"msg","seq":${MAX_CLIENT_SEQ + 1},"d":"x"}`,
      '{"t":"msg","seq":99999999999999999,"d":"x"}',
      '{"t":"msg","d":"QR==","b":1}',
      '{"t":"msg","d":"Q===","b":1}',
      '{"t":"msg","d":"QQ\\u003d\\u003d","b":1}',
      '{"t":"msg","d":"x","b":2}',
      '{"t":"msg","d":"x","b":true}',
    ];
    for (const text of hostile) {
      const fast = scanClientMsg(text, limits);
      if (fast !== undefined) expect(fast.frame).not.toHaveProperty('from');
      agreesOnClientText(text);
    }
    // None of these is in the layout the fast path reads.
    expect(hostile.filter((text) => scanClientMsg(text, limits) !== undefined)).toEqual([]);
    // Escapes and odd but valid strings are read, and passed on as they came.
    for (const text of ['{"t":"msg","d":"a\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u0041\\ud800"}', '{"t":"msg","seq":7,"d":"\\u2028"}', `{"t":"msg","seq":${MAX_CLIENT_SEQ},"d":""}`]) {
      expect(scanClientMsg(text, limits)).toBeDefined();
      agreesOnClientText(text);
    }
  });

  it('fails a long near miss without backtracking (a hang here would be the regression)', () => {
    for (const body of ['x'.repeat(50_000), '\\"'.repeat(20_000), 'x\\n'.repeat(15_000)]) {
      for (const end of ['', '"', '","b":2}', '"}x']) {
        expect(scanClientMsg(`{"t":"msg","d":"${body}${end}`, limits)).toBeUndefined();
        expect(scanMsg(`{"t":"msg","from":"${body}${end}`, true, Number.MAX_SAFE_INTEGER)).toBeUndefined();
      }
    }
  }, 10_000);

  it('leaves a frame over the message limit to the strict decoder, which refuses it as too large', () => {
    const text = encodeFrame({ t: 'msg', seq: 1, d: 'é'.repeat(40) });
    expect(scanClientMsg(text, tight)).toBeUndefined();
    expect(() => decodeClientFrame(text, tight)).toThrow(expect.objectContaining({ code: 'GRIDLINK_FRAME_TOO_LARGE' }));
  });
});

describe('msg fast path: what a node relays', () => {
  const from = fc.oneof(fc.constantFrom('alice', 'b', 'x'.repeat(128), 'é\ud83d\ude00'), fc.string({ minLength: 1, maxLength: 130 }));

  it('a client reads what a node writes as its strict decoder does', () => {
    fc.assert(
      fc.property(clientMsg, from, (frame, sender) => {
        const text = relayed(frame, sender);
        agreesOnNodeText(text);
        const strict = strictNode(text);
        if (strict.ok) expect(scanMsg(text, true, Number.MAX_SAFE_INTEGER)?.frame ?? strict.value).toEqual(strict.value);
      }),
      { numRuns: 3000 },
    );
  });

  it('agrees with the strict decoder on mutated relays and forged senders', () => {
    fc.assert(
      fc.property(clientMsg, from, fc.array(edit, { minLength: 1, maxLength: 4 }), (frame, sender, edits) => {
        agreesOnNodeText(mutate(relayed(frame, sender), edits));
      }),
      { numRuns: 10_000 },
    );
    for (const text of ['{"t":"msg","from":"","d":"x"}', '{"t":"msg","from":"a\\u0000","d":"x"}', '{"t":"msg","from":"a\u0001","d":"x"}', `{"t":"msg","from":"${'x'.repeat(129)}","d":"x"}`, '{"t":"msg","from":"\ud800","d":"x"}', '{"t":"msg","from":"a","seq":9007199254740992,"d":"x"}']) {
      agreesOnNodeText(text);
      expect(() => decodeNodeFrame(text, limits)).toThrow();
    }
    // A duplicate key is left to JSON.parse (the last one counts), exactly as before the fast path.
    expect(scanMsg('{"t":"msg","from":"a","from":"b","d":"x"}', true, Number.MAX_SAFE_INTEGER)).toBeUndefined();
    agreesOnNodeText('{"t":"msg","from":"a","from":"b","d":"x"}');
  });
});
