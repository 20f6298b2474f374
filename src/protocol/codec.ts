/**
 * Strict decoding of frames. Everything that arrives from the wire is hostile until this module
 * has checked its shape, its sizes and its ranges; the rest of the code trusts the types it returns.
 * A bad frame is a `GRIDLINK_PROTOCOL` (or `GRIDLINK_FRAME_TOO_LARGE`) error for that link only.
 */
import { LinkError } from '../core/errors.js';
import {
  MESSAGE_ENVELOPE_BYTES,
  maxMessageFrameBytes,
  type ClientFrame,
  type HeartbeatSettings,
  type JsonValue,
  type MsgFrame,
  type NodeFrame,
  type NodeInfo,
  type Watermarks,
} from './frames.js';
import { encodeMsg, isCanonicalBase64, scanMsg, type ScannedMsg } from './msg-text.js';
import { clientMsgRules, sharedMap } from './codec-ext.js';
import { exceedsBytes, parseObject } from './frame-text.js';

export { exceedsBytes } from './frame-text.js';

export { isCanonicalBase64 } from './msg-text.js';

export interface CodecLimits {
  /** Largest frame accepted, in bytes of UTF-8 text. */
  readonly maxFrameBytes: number;
  /** Largest member `meta` accepted (bytes of its JSON text); unchecked when absent (a client reading its node). */
  readonly maxMetaBytes?: number;
}

export const MAX_ID_LENGTH = 128;
/** Longest `name=value` sticky cookie a node may name (HAProxy's are a few bytes). */
export const MAX_COOKIE_LENGTH = 256;
// RFC 6265: the name is an HTTP token; the value is cookie-octets (no controls, space, '"', ',', ';', '\\').
const COOKIE_PAIR = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+=[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]+$/;

/** A single cookie pair such as `SRVNAME=S1`: what a proxy needs to route to one node. */
export function isCookiePair(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_COOKIE_LENGTH && COOKIE_PAIR.test(value);
}
export const MAX_LIST_LENGTH = 4096;
/** Longest `hello.token`: room for a signed JWT with claims, not for a payload smuggled in. */
export const MAX_TOKEN_LENGTH = 4096;
/** Highest position (seq, watermark, upTo) a node may name. */
const MAX_SEQ = Number.MAX_SAFE_INTEGER;
/**
 * Highest position a client may name: one below the node's, because a node answers a client's
 * position with the next one (`resend.from` is a watermark + 1) and must never build a frame its
 * own decoder — and so every member — would refuse.
 */
const MAX_CLIENT_SEQ = MAX_SEQ - 1;

/**
 * Lone UTF-16 surrogates (they collapse to U+FFFD in UTF-8, so `x\uD800` and `x\uDBFF` would be one
 * id to a resume token's MAC) and control characters (NUL is the MAC's field separator, and ids
 * end up in logs). With the `u` flag a paired surrogate is one code point and does not match.
 */
const BAD_ID_CHAR = /[\p{Cs}\u0000-\u001f\u007f]/u;

/** An id as the protocol accepts it: 1..MAX_ID_LENGTH UTF-16 units, well-formed, no controls. */
export function isProtocolId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_ID_LENGTH && !BAD_ID_CHAR.test(value);
}

export function encodeFrame(frame: ClientFrame | NodeFrame): string {
  return frame.t === 'msg' ? encodeMsg(frame) : JSON.stringify(frame);
}

/** A safe integer in min..max. */
function isCount(v: unknown, min: number, max: number): v is number {
  return Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export class Reader {
  // `#private` fields: their names do not survive into the minified browser bundle.
  readonly #obj: Record<string, unknown>;
  readonly #type: string;
  /** MAX_SEQ for what a node sends, MAX_CLIENT_SEQ for what a client sends. */
  readonly #maxSeq: number;
  /** Where this object sits in the frame (`nodes[1].`), so a message names the full field. */
  readonly #path: string;

  constructor(obj: Record<string, unknown>, type: string, maxSeq: number, path = '') {
    this.#obj = obj;
    this.#type = type;
    this.#maxSeq = maxSeq;
    this.#path = path;
  }

  // Every refusal is one sentence: which frame, which field, what it must be.
  #fail(field: string, want: string, code: 'GRIDLINK_PROTOCOL' | 'GRIDLINK_META_TOO_LARGE' = 'GRIDLINK_PROTOCOL'): never {
    throw new LinkError(code, `invalid '${this.#type}' frame: '${this.#path}${field}' must be ${want}`);
  }

  id(field: string): string {
    const v = this.#obj[field];
    if (!isProtocolId(v)) this.#fail(field, `an id of 1..${MAX_ID_LENGTH} chars without control characters`);
    return v;
  }

  optId(field: string): string | undefined {
    return this.#obj[field] === undefined ? undefined : this.id(field);
  }

  text(field: string, max = 4096): string {
    const v = this.#obj[field];
    if (typeof v !== 'string' || v.length > max) this.#fail(field, `a string of at most ${max} chars`);
    return v;
  }

  count(field: string, min = 0): number {
    const v = this.#obj[field];
    if (!isCount(v, min, this.#maxSeq)) this.#fail(field, `an integer in ${min}..${this.#maxSeq}`);
    return v;
  }

  optCount(field: string, min = 0): number | undefined {
    return this.#obj[field] === undefined ? undefined : this.count(field, min);
  }

  ids(field: string): string[] {
    const v = this.#obj[field];
    if (!Array.isArray(v) || v.length > MAX_LIST_LENGTH || !v.every(isProtocolId)) this.#fail(field, `an array of at most ${MAX_LIST_LENGTH} ids`);
    return v as string[];
  }

  optIds(field: string): string[] | undefined {
    return this.#obj[field] === undefined ? undefined : this.ids(field);
  }

  /** Client id -> a value `ok` accepts (a watermark, a member's meta), at most MAX_LIST_LENGTH of them. */
  #byId<T>(field: string, what: string, ok: (value: unknown) => value is T): Record<string, T> {
    const v = this.#obj[field];
    const want = `an object of at most ${MAX_LIST_LENGTH} client id -> ${what}`;
    if (!isObject(v)) this.#fail(field, want);
    const out = Object.create(null) as Record<string, T>;
    let n = 0;
    for (const [key, item] of Object.entries(v)) {
      if (++n > MAX_LIST_LENGTH || !isProtocolId(key) || !ok(item)) this.#fail(field, want);
      out[key] = item;
    }
    return out;
  }

  watermarks(field: string): Watermarks {
    return this.#byId(field, 'seq', (seq): seq is number => isCount(seq, 0, this.#maxSeq));
  }

  /** Member id -> meta, as a welcome lists them. */
  metas(field: string): Record<string, JsonValue> {
    return this.#byId(field, 'meta', (meta): meta is JsonValue => true);
  }

  /** Any JSON value (JSON.parse made it one), at most `max` bytes of JSON text when a bound is given. */
  meta(field: string, max: number | undefined): JsonValue {
    const v = this.#obj[field];
    if (v === undefined) this.#fail(field, 'a JSON value');
    if (max !== undefined && exceedsBytes(JSON.stringify(v), max)) this.#fail(field, `at most maxMetaBytes (${max} bytes of JSON)`, 'GRIDLINK_META_TOO_LARGE');
    return v as JsonValue;
  }

  /** The reader of the object at `field`, its errors named `field.…`. */
  #at(field: string, value: unknown): Reader {
    if (!isObject(value)) this.#fail(field, 'an object');
    return new Reader(value, this.#type, this.#maxSeq, `${this.#path}${field}.`);
  }

  node(field: string): NodeInfo {
    return this.#node(field, this.#obj[field]);
  }

  nodes(field: string): NodeInfo[] {
    const v = this.#obj[field];
    if (!Array.isArray(v) || v.length > MAX_LIST_LENGTH) this.#fail(field, `an array of at most ${MAX_LIST_LENGTH} nodes`);
    return v.map((item, i) => this.#node(`${field}[${i}]`, item));
  }

  #node(name: string, value: unknown): NodeInfo {
    const r: Reader = this.#at(name, value);
    const url = r.text('url', 2048);
    if (!/^wss?:\/\//i.test(url)) r.#fail('url', 'a ws:// or wss:// URL');
    const cookie = r.#obj.cookie;
    if (cookie === undefined) return { id: r.id('id'), url };
    if (!isCookiePair(cookie)) r.#fail('cookie', `one name=value cookie pair of at most ${MAX_COOKIE_LENGTH} chars`);
    return { id: r.id('id'), url, cookie };
  }

  heartbeat(field: string): HeartbeatSettings {
    const r = this.#at(field, this.#obj[field]);
    return { intervalMs: r.count('intervalMs', 1), timeoutMs: r.count('timeoutMs', 1) };
  }

  msg(fromRequired: boolean): MsgFrame {
    const d = this.#obj.d;
    if (typeof d !== 'string') this.#fail('d', 'a string');
    const frame: MsgFrame = { t: 'msg', d };
    const seq = this.optCount('seq', 1);
    if (seq !== undefined) frame.seq = seq;
    const from = fromRequired ? this.id('from') : this.optId('from');
    if (from !== undefined) frame.from = from;
    const b = this.#obj.b;
    if (b !== undefined) {
      if (b !== 1) this.#fail('b', 'absent or 1');
      // Checked here, not only by the receiver: a node must not relay what every member would refuse.
      if (!isCanonicalBase64(frame.d)) this.#fail('d', 'canonical padded base64 when b is 1');
      frame.b = 1;
    }
    const to = this.optId('to');
    if (to !== undefined) frame.to = to;
    return frame;
  }
}

/**
 * What only the `extras` piece's clients are sent (`shared`, `refused`, fields of `msg`, `welcome`
 * and `left`) is read by the decoder it installs (codec-ext.ts): given the frame as read so far, or
 * none for a type unknown here; it returns the frame, or throws. The browser core does not carry it.
 */
let nodeExtras: ((obj: Record<string, unknown>, r: Reader, frame?: NodeFrame) => NodeFrame) | undefined;
export function extendNodeDecoding(decode: NonNullable<typeof nodeExtras>): void {
  nodeExtras = decode;
}

/** The last `from` that passed `isProtocolId`: a stream of messages names the same few senders. */
let checkedFrom: string | undefined;

/** Decodes a frame a node sent to a client. Throws `LinkError` on anything malformed. */
export function decodeNodeFrame(raw: string | Uint8Array, limits: CodecLimits): NodeFrame {
  // Relayed messages, as nodes write them, skip JSON.parse; anything else is read strictly below.
  if (typeof raw === 'string' && !exceedsBytes(raw, limits.maxFrameBytes)) {
    const fast = scanMsg(raw, true, MAX_SEQ)?.frame;
    const from = fast?.from;
    if (from !== undefined && (from === checkedFrom || isProtocolId(from))) {
      checkedFrom = from;
      return fast as MsgFrame;
    }
  }
  const obj = parseObject(raw, limits);
  const r = new Reader(obj, String(obj.t).slice(0, 32), MAX_SEQ);
  const frame = nodeFrame(obj, r);
  return nodeExtras === undefined ? (frame as NodeFrame) : nodeExtras(obj, r, frame);
}

/** The frames every client reads; undefined: a type only an installed decoder may know. */
function nodeFrame(obj: Record<string, unknown>, r: Reader): NodeFrame | undefined {
  switch (obj.t) {
    case 'msg': {
      return r.msg(true);
    }
    case 'pub': {
      const { d, b } = r.msg(false);
      return b === 1 ? { t: 'pub', id: r.id('id'), d, b } : { t: 'pub', id: r.id('id'), d };
    }
    case 'ping': {
      const id = r.optCount('id');
      return id === undefined ? { t: 'ping' } : { t: 'ping', id };
    }
    case 'pong':
      return { t: 'pong', id: r.count('id') };
    case 'acked':
      return { t: 'acked', upTo: r.count('upTo') };
    case 'gap':
      return { t: 'gap', from: r.id('from'), upTo: r.count('upTo', 1) };
    case 'resend':
      return { t: 'resend', from: r.count('from', 1) };
    case 'joined': {
      const frame: NodeFrame = { t: 'joined', client: r.id('client') };
      const base = r.optCount('base');
      if (base !== undefined) frame.base = base;
      if (obj.meta !== undefined) frame.meta = r.meta('meta', undefined);
      return frame;
    }
    case 'meta':
      return { t: 'meta', client: r.id('client'), meta: r.meta('meta', undefined) };
    case 'left': {
      const reason = obj.reason === 'bye' ? 'bye' : obj.reason === 'timeout' ? 'timeout' : undefined;
      if (reason === undefined) throw new LinkError('GRIDLINK_PROTOCOL', "invalid 'left' frame: 'reason' must be 'bye' or 'timeout'");
      return { t: 'left', client: r.id('client'), reason };
    }
    case 'welcome': {
      const frame: NodeFrame = {
        t: 'welcome',
        v: r.count('v', 1),
        node: r.node('node'),
        session: r.id('session'),
        client: r.id('client'),
        resume: r.text('resume', 1024),
        nodes: r.nodes('nodes'),
        heartbeat: r.heartbeat('heartbeat'),
        members: r.ids('members'),
        base: r.watermarks('base'),
      };
      const want = r.optCount('want', 1);
      if (want !== undefined) frame.want = want;
      const maxFrameBytes = r.optCount('maxFrameBytes', MESSAGE_ENVELOPE_BYTES * 2);
      if (maxFrameBytes !== undefined) frame.maxFrameBytes = maxFrameBytes;
      if (obj.meta !== undefined) frame.meta = r.metas('meta');
      const maxMetaBytes = r.optCount('maxMetaBytes', 2);
      if (maxMetaBytes !== undefined) frame.maxMetaBytes = maxMetaBytes;
      return frame;
    }
    case 'redirect':
      return { t: 'redirect', node: r.node('node'), reason: r.text('reason', 256) };
    case 'drain': {
      const frame: NodeFrame = { t: 'drain', deadlineMs: r.count('deadlineMs') };
      if (obj.to !== undefined) frame.to = r.node('to');
      return frame;
    }
    case 'error':
      return { t: 'error', code: r.text('code', 64), message: r.text('message', 1024) };
    default:
      if (nodeExtras !== undefined) return undefined;
      throw new LinkError('GRIDLINK_PROTOCOL', `unknown frame type '${String(obj.t).slice(0, 32)}'`);
  }
}

/**
 * A client's `msg` frame laid out as `encodeFrame` writes it, read without JSON.parse, its payload
 * kept as the JSON text it arrived in (for the node to relay as is). Undefined: not judged here;
 * `decodeClientFrame` decides (it accepts everything this does, as the same frame).
 */
export function scanClientMsg(raw: string, limits: CodecLimits): ScannedMsg | undefined {
  return exceedsBytes(raw, maxMessageFrameBytes(limits.maxFrameBytes)) ? undefined : scanMsg(raw, false, MAX_CLIENT_SEQ);
}

/** Decodes a frame a client sent to a node. Throws `LinkError` on anything malformed. */
export function decodeClientFrame(raw: string | Uint8Array, limits: CodecLimits): ClientFrame {
  const obj = parseObject(raw, limits);
  const r = new Reader(obj, String(obj.t).slice(0, 32), MAX_CLIENT_SEQ);
  switch (obj.t) {
    case 'msg': {
      // What the node relays adds `from`: a client's message keeps room for it (frames.ts).
      const limit = maxMessageFrameBytes(limits.maxFrameBytes);
      if (typeof raw === 'string' && exceedsBytes(raw, limit)) {
        throw new LinkError('GRIDLINK_FRAME_TOO_LARGE', `msg frame exceeds maxFrameBytes - ${MESSAGE_ENVELOPE_BYTES} (${limit})`);
      }
      const frame = r.msg(false);
      delete frame.from; // a client never speaks for another member
      clientMsgRules(obj, frame, r);
      return frame;
    }
    case 'ack':
      return { t: 'ack', recv: r.watermarks('recv') };
    case 'gap':
      return { t: 'gap', upTo: r.count('upTo', 1) };
    case 'ping': {
      const id = r.optCount('id');
      return id === undefined ? { t: 'ping' } : { t: 'ping', id };
    }
    case 'pong':
      return { t: 'pong', id: r.count('id') };
    case 'bye':
      return { t: 'bye' };
    case 'got':
      return { t: 'got', id: r.id('id') };
    case 'meta':
      return { t: 'meta', meta: r.meta('meta', limits.maxMetaBytes) };
    case 'hello': {
      const frame: ClientFrame = {
        t: 'hello',
        v: r.count('v', 1),
        session: r.id('session'),
        client: r.id('client'),
        recv: r.watermarks('recv'),
        members: r.ids('members'),
      };
      const resume = obj.resume === undefined ? undefined : r.text('resume', 1024);
      if (resume !== undefined) frame.resume = resume;
      if (obj.token !== undefined) {
        // Checked without echoing it: the value is a credential and error messages get logged.
        const token = r.text('token', MAX_TOKEN_LENGTH);
        if (token.length === 0) throw new LinkError('GRIDLINK_PROTOCOL', "invalid 'hello' frame: 'token' must not be empty");
        frame.token = token;
      }
      const failed = r.optIds('failed');
      if (failed !== undefined) frame.failed = failed;
      const via = r.optId('via');
      if (via !== undefined) frame.via = via;
      const sent = r.optCount('sent');
      if (sent !== undefined) frame.sent = sent;
      if (obj.meta !== undefined) frame.meta = r.meta('meta', limits.maxMetaBytes);
      if (obj.shared !== undefined) frame.shared = sharedMap(obj.shared, 'hello', isProtocolId);
      if (obj.pub !== undefined && obj.pub !== 1) throw new LinkError('GRIDLINK_PROTOCOL', "invalid 'hello' frame: 'pub' must be absent or 1");
      if (obj.pub === 1) frame.pub = 1;
      return frame;
    }
    default:
      throw new LinkError('GRIDLINK_PROTOCOL', `unknown frame type '${String(obj.t).slice(0, 32)}'`);
  }
}
