/**
 * `msg` frames as text: how they are written, and a fast reader for the one layout we write.
 *
 * A node relays far more `msg` frames than anything else and acts on none of their payloads, so it
 * should not parse a payload into a string only to write it back out. `scanMsg` reads a frame laid
 * out exactly as `encodeMsg` writes it — no whitespace, keys in one order, each at most once — and
 * checks everything the strict decoder checks (seq range, `b` flag, canonical base64, that `d` is a
 * well-formed JSON string). It keeps `d`'s JSON text as it arrived, so the node can pass it on
 * verbatim. Anything else (another key order, whitespace, escapes where the check needs the
 * decoded value, an extra key, a duplicate one) is not judged here: it returns undefined and the
 * strict decoder (codec.ts) decides. What it accepts, the strict decoder accepts as the same frame
 * (test/unit/msg-text.test.ts checks that on random and adversarial text).
 */
import type { MsgFrame } from './frames.js';

/** A `msg` frame read by `scanMsg`: the frame, and its payload's JSON string literal as it arrived. */
export interface ScannedMsg {
  readonly frame: MsgFrame;
  /** `JSON.parse(dJson) === frame.d`; to be written out as is. */
  readonly dJson: string;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const CLOSE = 0x7d;
const ZERO = 0x30;
const NINE = 0x39;

const HEAD = '{"t":"msg"';
const FROM = ',"from":';
const SEQ = ',"seq":';
const D = ',"d":';
const B = ',"b":1}';
/** Longest seq we read by hand: 16 digits cover every safe integer. */
const MAX_SEQ_DIGITS = 16;

/**
 * The text of a `msg` frame, fields in the order `scanMsg` reads. `dJson`, when given, is `d`'s JSON
 * string literal (from `scanMsg`), written as is instead of encoding `d` again.
 */
export function encodeMsg(frame: MsgFrame, dJson?: string): string {
  let text = HEAD;
  if (frame.from !== undefined) text += FROM + JSON.stringify(frame.from);
  if (frame.seq !== undefined) text += SEQ + frame.seq;
  text += D + (dJson ?? JSON.stringify(frame.d));
  return frame.b === 1 ? text + B : `${text}}`;
}

/**
 * Reads `text` if it is a `msg` frame in `encodeMsg`'s layout with `from` present (`withFrom`: as a
 * node sends it) or absent (as a client sends it), seq in 1..`maxSeq`. Undefined: not judged here,
 * ask the strict decoder — which also does what this leaves to its caller: the size limit, and
 * checking `from` as an id.
 */
export function scanMsg(text: string, withFrom: boolean, maxSeq: number): ScannedMsg | undefined {
  if (!text.startsWith(HEAD)) return undefined;
  let i = HEAD.length;
  let from: string | undefined;
  if (withFrom) {
    if (!text.startsWith(FROM, i)) return undefined;
    const start = i + FROM.length;
    const end = stringEnd(text, start);
    // An id with escapes is rare enough to leave to the strict decoder.
    if (end < 0 || escapes(text, start, end)) return undefined;
    from = text.slice(start + 1, end - 1);
    i = end;
  }
  let seq: number | undefined;
  if (text.startsWith(SEQ, i)) {
    i += SEQ.length;
    const first = text.charCodeAt(i);
    if (first <= ZERO || first > NINE) return undefined;
    let value = 0;
    const start = i;
    for (let c = first; c >= ZERO && c <= NINE; c = text.charCodeAt(++i)) {
      if (i - start >= MAX_SEQ_DIGITS) return undefined;
      value = value * 10 + (c - ZERO);
    }
    // Below 2^53 every step above was exact.
    if (value > maxSeq) return undefined;
    seq = value;
  }
  if (!text.startsWith(D, i)) return undefined;
  const dStart = i + D.length;
  const dEnd = stringEnd(text, dStart);
  if (dEnd < 0) return undefined;
  const escaped = escapes(text, dStart, dEnd);
  let b = false;
  if (dEnd === text.length - 1 && text.charCodeAt(dEnd) === CLOSE) {
    // end of frame
  } else if (dEnd === text.length - B.length && text.endsWith(B)) {
    b = true;
  } else {
    return undefined;
  }
  const dJson = text.slice(dStart, dEnd);
  let d: string;
  if (!escaped) d = dJson.slice(1, -1);
  else if (b) return undefined; // canonical base64 has nothing to escape; let the strict decoder say what is wrong
  else d = JSON.parse(dJson) as string;
  if (b && !isCanonicalBase64(d)) return undefined;
  const frame: MsgFrame = { t: 'msg', d };
  if (seq !== undefined) frame.seq = seq;
  if (from !== undefined) frame.from = from;
  if (b) frame.b = 1;
  return { frame, dJson };
}

/**
 * Index just past the JSON string literal that starts (with its quote) at `start`, or -1 when there
 * is none: RFC 8259 strings, no raw control characters, only the escapes JSON defines.
 */
function stringEnd(text: string, start: number): number {
  if (text.charCodeAt(start) !== QUOTE) return -1;
  const length = text.length;
  for (let i = start + 1; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) return i + 1;
    if (c < 0x20) return -1;
    if (c !== BACKSLASH) continue;
    const e = text.charCodeAt(++i);
    if (e === 0x75 /* u */) {
      for (let k = 1; k <= 4; k++) if (!isHex(text.charCodeAt(i + k))) return -1;
      i += 4;
    } else if (!(e === QUOTE || e === BACKSLASH || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74)) {
      return -1; // not one of " \ / b f n r t (NaN past the end lands here too)
    }
  }
  return -1;
}

/** Whether a backslash occurs in `text` between `start` and `end`. */
function escapes(text: string, start: number, end: number): boolean {
  const at = text.indexOf('\\', start);
  return at >= 0 && at < end;
}

function isHex(c: number): boolean {
  return (c >= ZERO && c <= NINE) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
}

// Canonical padded base64 (RFC 4648 §4), as btoa writes it: the alphabet, a length that is a
// multiple of 4, padding only at the end, and zero bits in what the padding leaves unused.
const BASE64_BODY = /^[A-Za-z0-9+/]*$/;
const BASE64_LAST_OF_TWO_PADS = /[AQgw]/;
const BASE64_LAST_OF_ONE_PAD = /[AEIMQUYcgkosw048]/;

/** Whether `text` is canonical base64 (what every member's decoder takes). Linear, no allocation. */
export function isCanonicalBase64(text: string): boolean {
  if (text.length % 4 !== 0) return false;
  const pads = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const body = pads === 0 ? text : text.slice(0, -pads);
  if (!BASE64_BODY.test(body)) return false;
  if (pads === 0) return true;
  const last = body.charAt(body.length - 1);
  return (pads === 2 ? BASE64_LAST_OF_TWO_PADS : BASE64_LAST_OF_ONE_PAD).test(last);
}
