/**
 * Decoding of what `to`, requests and shared state add to frames (docs/protocol.md "Targeted
 * messages", "Requests", "Shared state"): shapes and ranges only, like the rest of codec.ts. The
 * rules of a client's `msg` and `hello` are the node's; `decodeNodeExtras` is installed by the
 * client's `extras` piece (codec.ts `extendNodeDecoding`).
 */
import { LinkError } from '../core/errors.js';
import type { JsonValue, MsgFrame, NodeFrame, SharedEntry, SharedMapWire } from './frames.js';

/** What this file needs of codec.ts's `Reader` (not imported: codec.ts imports this file). */
export interface Reader {
  id(field: string): string;
  optId(field: string): string | undefined;
  count(field: string, min?: number): number;
  optCount(field: string, min?: number): number | undefined;
  text(field: string, max?: number): string;
  meta(field: string, max: number | undefined): JsonValue;
}

/** Entries a shared map on the wire may have: above any node's `maxSharedKeys` bound. */
export const MAX_SHARED_ENTRIES = 4096;

type Obj = Record<string, unknown>;

function bad(type: string, field: string, want: string): never {
  throw new LinkError('GRIDLINK_PROTOCOL', `invalid '${type}' frame: '${field}' must be ${want}`);
}

/** A client's `msg`: requests and replies go `to` one member and are reliable; a shared write (`k`) is reliable text to all. */
export function clientMsgRules(obj: Obj, frame: MsgFrame, r: Reader): void {
  msgFields(obj, frame, r);
  if ((frame.q !== undefined || frame.r !== undefined) && (frame.to === undefined || frame.seq === undefined)) bad('msg', 'q', "only on a reliable message with 'to'");
  if (frame.q !== undefined && frame.r !== undefined) bad('msg', 'q', "not with 'r'");
  if (frame.e !== undefined && (frame.r === undefined || frame.e.length === 0)) bad('msg', 'e', "a code, with 'r'");
  if (obj.k === undefined) return;
  frame.k = r.id('k');
  if (frame.seq === undefined || frame.to !== undefined || frame.b !== undefined || frame.q !== undefined || frame.r !== undefined) bad('msg', 'k', "only on a reliable text message without 'to'");
  if (frame.d === '') return;
  try {
    JSON.parse(frame.d);
  } catch {
    bad('msg', 'd', "a value's JSON text (or empty) with 'k'");
  }
}

/** What a request or a reply adds to a `msg`: its id (`q` or `r`) and a failure's code (`e`). */
function msgFields(obj: Obj, frame: MsgFrame, r: Reader): void {
  const q = r.optCount('q', 1);
  if (q !== undefined) frame.q = q;
  const re = r.optCount('r', 1);
  if (re !== undefined) frame.r = re;
  if (obj.e !== undefined) frame.e = r.text('e', 64);
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** A shared map (`hello.shared`, `welcome.shared`): key -> [version] or [version, value]. */
export function sharedMap(v: unknown, type: string, isId: (key: unknown) => boolean): SharedMapWire {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) bad(type, 'shared', 'an object of key -> [version, value?]');
  const out = Object.create(null) as SharedMapWire;
  let n = 0;
  for (const [key, entry] of Object.entries(v as Obj)) {
    if (++n > MAX_SHARED_ENTRIES || !isId(key)) bad(type, 'shared', `at most ${MAX_SHARED_ENTRIES} entries keyed by ids`);
    if (!Array.isArray(entry) || entry.length < 1 || entry.length > 2 || !isCount(entry[0])) bad(type, 'shared', 'entries of [version, value?]');
    out[key] = (entry.length === 1 ? [entry[0]] : [entry[0], entry[1] as JsonValue]) as SharedEntry;
  }
  return out;
}

/**
 * The decoder the `extras` piece installs (codec.ts `extendNodeDecoding`): what a node sends only to
 * clients with the piece — `shared`, `refused`, and fields of `msg`, `welcome` and `left`. `frame`:
 * what codec.ts read; undefined for a type it does not know. `isId` is codec.ts `isProtocolId`.
 */
export function nodeExtrasDecoder(isId: (key: unknown) => boolean): (obj: Obj, r: Reader, frame?: NodeFrame) => NodeFrame {
  return (obj, r, frame) => {
    if (frame?.t === 'msg') msgFields(obj, frame, r);
    else if (frame?.t === 'left') {
      const had = r.optCount('had');
      if (had !== undefined) frame.had = had;
    } else if (frame?.t === 'welcome') {
      if (obj.shared !== undefined) frame.shared = sharedMap(obj.shared, 'welcome', isId);
      const keys = r.optCount('maxSharedKeys', 1);
      const bytes = r.optCount('maxSharedBytes', 1);
      if (keys !== undefined && bytes !== undefined) Object.assign(frame, { maxSharedKeys: keys, maxSharedBytes: bytes });
    } else if (frame === undefined && obj.t === 'refused') {
      return { t: 'refused', seq: r.count('seq', 1), code: r.text('code', 64) };
    } else if (frame === undefined && obj.t === 'shared') {
      const shared: NodeFrame = { t: 'shared', k: r.id('k') };
      const v = r.optCount('v');
      if (v !== undefined) shared.v = v;
      if (obj.val !== undefined) shared.val = r.meta('val', undefined);
      const from = r.optId('from');
      const seq = r.optCount('seq', 1);
      if (from !== undefined && seq !== undefined) Object.assign(shared, { from, seq });
      return shared;
    }
    if (frame === undefined) throw new LinkError('GRIDLINK_PROTOCOL', `unknown frame type '${String(obj.t).slice(0, 32)}'`);
    return frame;
  };
}
