/**
 * Decoding of what `to`, requests and shared state add to frames (docs/protocol.md "Targeted
 * messages", "Requests", "Shared state"): shapes and ranges only, like the rest of codec.ts.
 */
import { LinkError } from '../core/errors.js';
import type { JsonValue, MsgFrame, SharedEntry, SharedMapWire } from './frames.js';

/** Longest request error code a frame may carry. */
const MAX_CODE_LENGTH = 64;
/** Entries a shared map on the wire may have: above any node's `maxSharedKeys` bound. */
export const MAX_SHARED_ENTRIES = 4096;

type Fail = (field: string, want: string) => never;
type Obj = Record<string, unknown>;

function count(v: unknown, max: number): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= max;
}

/** Reads `to`, `q`, `r`, `e`, `k` of a `msg` into `frame` (`id` checks a member id, `max` a seq). */
export function msgExtras(obj: Obj, frame: MsgFrame, id: (field: string) => string, max: number, fail: Fail): void {
  if (obj.to !== undefined) frame.to = id('to');
  for (const field of ['q', 'r'] as const) {
    const v = obj[field];
    if (v === undefined) continue;
    if (!count(v, max) || v < 1) fail(field, `an integer in 1..${max}`);
    if (frame.to === undefined || frame.seq === undefined) fail(field, "only on a reliable message with 'to'");
    frame[field] = v;
  }
  if (frame.q !== undefined && frame.r !== undefined) fail('q', "not with 'r'");
  if (obj.e !== undefined) {
    if (frame.r === undefined || typeof obj.e !== 'string' || obj.e.length === 0 || obj.e.length > MAX_CODE_LENGTH) fail('e', `a code of 1..${MAX_CODE_LENGTH} chars, with 'r'`);
    frame.e = obj.e;
  }
  if (obj.k === undefined) return;
  frame.k = id('k');
  if (frame.seq === undefined || frame.to !== undefined || frame.b !== undefined || frame.q !== undefined || frame.r !== undefined) fail('k', "only on a reliable text message without 'to'");
  if (frame.d !== '') {
    try {
      JSON.parse(frame.d);
    } catch {
      fail('d', "a value's JSON text (or empty) with 'k'");
    }
  }
}

/** A shared map (`hello.shared`, `welcome.shared`): key -> [version] or [version, value]. */
export function sharedMap(v: unknown, isKey: (key: string) => boolean, fail: Fail, field = 'shared'): SharedMapWire {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(field, 'an object of key -> [version, value?]');
  const out = Object.create(null) as SharedMapWire;
  let n = 0;
  for (const [key, entry] of Object.entries(v as Obj)) {
    if (++n > MAX_SHARED_ENTRIES || !isKey(key)) fail(field, `at most ${MAX_SHARED_ENTRIES} entries keyed by ids`);
    if (!Array.isArray(entry) || entry.length < 1 || entry.length > 2 || !count(entry[0], Number.MAX_SAFE_INTEGER)) fail(field, 'entries of [version, value?]');
    out[key] = (entry.length === 1 ? [entry[0]] : [entry[0], entry[1] as JsonValue]) as SharedEntry;
  }
  return out;
}

export function linkError(message: string): LinkError {
  return new LinkError('GRIDLINK_PROTOCOL', message);
}
