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

/*
 * The layout, as one anchored pattern per direction. The payload is JSON's string grammar (no raw
 * control characters, only JSON's escapes) written as "normal* (escape normal*)*": every repetition
 * must consume an escape, so a near miss fails in linear time instead of backtracking.
 */
const CHARS = String.raw`[^"\\\x00-\x1f]*`;
const STRING = String.raw`"${CHARS}(?:\\(?:["\\/bfnrt]|u[0-9A-Fa-f]{4})${CHARS})*"`;
const TAIL = String.raw`(?:,"seq":([1-9][0-9]{0,15}))?,"d":(${STRING})(,"b":1)?\}$`;
/** A client's msg: groups seq, d (quoted), b. */
const CLIENT_MSG = new RegExp(String.raw`^\{"t":"msg"${TAIL}`);
/** A node's msg: groups from (unquoted, no escapes: an id with any is left to the strict decoder), seq, d, b. */
const NODE_MSG = new RegExp(String.raw`^\{"t":"msg","from":"(${CHARS})"${TAIL}`);

const HEAD = '{"t":"msg"';

/**
 * The text of a `msg` frame, fields in the order `scanMsg` reads. `dJson`, when given, is `d`'s JSON
 * string literal (from `scanMsg`), written as is instead of encoding `d` again.
 */
export function encodeMsg(frame: MsgFrame, dJson?: string): string {
  // `to`, requests and shared writes are not in the layout scanMsg reads: the strict decoder reads them.
  if (frame.to !== undefined || frame.k !== undefined) return JSON.stringify(frame);
  let text = HEAD;
  if (frame.from !== undefined) text += `,"from":${JSON.stringify(frame.from)}`;
  if (frame.seq !== undefined) text += `,"seq":${frame.seq}`;
  text += `,"d":${dJson ?? JSON.stringify(frame.d)}`;
  return frame.b === 1 ? `${text},"b":1}` : `${text}}`;
}

/**
 * Reads `text` if it is a `msg` frame in `encodeMsg`'s layout with `from` present (`withFrom`: as a
 * node sends it) or absent (as a client sends it), seq in 1..`maxSeq`. Undefined: not judged here,
 * ask the strict decoder — which also does what this leaves to its caller: the size limit, and
 * checking `from` as an id.
 */
export function scanMsg(text: string, withFrom: boolean, maxSeq: number): ScannedMsg | undefined {
  if (!text.startsWith(HEAD)) return undefined;
  const m = (withFrom ? NODE_MSG : CLIENT_MSG).exec(text);
  if (m === null) return undefined;
  const at = withFrom ? 2 : 1; // the groups after `from`
  const from = withFrom ? m[1] : undefined;
  const seqText = m[at];
  const dJson = m[at + 1] as string;
  const b = m[at + 2];
  // Up to 16 digits: exact below 2^53, and anything above rounds to at least 2^53 > maxSeq.
  const seq = seqText === undefined ? undefined : Number(seqText);
  if (seq !== undefined && seq > maxSeq) return undefined;
  const escaped = dJson.includes('\\');
  // Canonical base64 needs no escape; one written anyway (`\/`) is rare enough for the strict decoder.
  if (b !== undefined && escaped) return undefined;
  const d = escaped ? (JSON.parse(dJson) as string) : dJson.slice(1, -1);
  if (b !== undefined && !isCanonicalBase64(d)) return undefined;
  const frame: MsgFrame = { t: 'msg', d };
  if (seq !== undefined) frame.seq = seq;
  if (from !== undefined) frame.from = from;
  if (b !== undefined) frame.b = 1;
  return { frame, dJson };
}

// Canonical padded base64 (RFC 4648 §4), as btoa writes it: the alphabet, a length that is a
// multiple of 4, padding only at the end, and zero bits in what the padding leaves unused (the last
// character before `==` is one of AQgw, before `=` one of AEIM…). One backtracking step per
// character at most: linear.
const BASE64 = /^[A-Za-z0-9+/]*(?:[AQgw]==|[AEIMQUYcgkosw048]=)?$/;

/** Whether `text` is canonical base64 (what every member's decoder takes). Linear, no allocation. */
export function isCanonicalBase64(text: string): boolean {
  return text.length % 4 === 0 && BASE64.test(text);
}
