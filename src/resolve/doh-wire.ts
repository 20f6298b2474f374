/**
 * The few bytes of DNS that a DNS-over-HTTPS client needs (RFC 1035 4.1): a one-question query,
 * and the answers to it — SRV, A and AAAA records; everything else is skipped. A general DNS library
 * (dns-packet, on the server) would triple the browser bundle, so this is written out by hand.
 *
 * Every byte read here comes from the network, so reading is bounded: offsets are checked against
 * the message and the record's data, a compression pointer must point strictly backwards (as
 * dns-packet requires) and a name's labels add up to 255 bytes at most — so a chain of pointers
 * ends, and a loop through labels hits the length cap. Anything malformed throws
 * `GRIDLINK_PROTOCOL`; nothing here can loop, hang or read out of bounds.
 */
import { ConnectError } from '../core/errors.js';

export const RecordType = { A: 1, AAAA: 28, SRV: 33 } as const;
export type RecordTypeCode = (typeof RecordType)[keyof typeof RecordType];

export interface SrvData {
  readonly priority: number;
  readonly weight: number;
  readonly port: number;
  /** Lower case, without the trailing dot ('' for the root: "no service"). */
  readonly target: string;
}

/** A record of a type we read: `data` is an address (A/AAAA) or the SRV fields. */
export type WireRecord =
  | { readonly name: string; readonly type: 1 | 28; readonly ttl: number; readonly data: string }
  | { readonly name: string; readonly type: 33; readonly ttl: number; readonly data: SrvData };

export interface WireMessage {
  readonly id: number;
  readonly rcode: number;
  /** Records of the answer section (types we read, class IN). */
  readonly answers: readonly WireRecord[];
  /** Records of the additional section (SRV targets' addresses: glue). */
  readonly additionals: readonly WireRecord[];
}

const HEADER = 12;
const CLASS_IN = 1;
const FLAG_RD = 0x0100;
const FLAG_QR = 0x8000;

function malformed(why: string): never {
  throw new ConnectError('GRIDLINK_PROTOCOL', `malformed DNS message: ${why}`, { retriable: true });
}

/** A query for `name` (a checked host name, no trailing dot) and `type`, recursion desired. */
export function encodeQuery(name: string, type: RecordTypeCode, id = 0): Uint8Array {
  const labels = name.split('.');
  // Each label: a length byte plus its bytes; then the root's zero byte, type and class.
  const size = HEADER + labels.reduce((sum, label) => sum + 1 + label.length, 0) + 5;
  if (size - HEADER > 255 + 4 || labels.some((l) => l.length === 0 || l.length > 63 || /[^\x21-\x7e]/.test(l))) {
    throw new ConnectError('GRIDLINK_INVALID_ARGUMENT', `not a DNS name: ${name.slice(0, 100)}`);
  }
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint16(0, id);
  view.setUint16(2, FLAG_RD);
  view.setUint16(4, 1);
  let at = HEADER;
  for (const label of labels) {
    out[at++] = label.length;
    for (let i = 0; i < label.length; i++) out[at++] = label.charCodeAt(i);
  }
  at++; // the root label
  view.setUint16(at, type);
  view.setUint16(at + 2, CLASS_IN);
  return out;
}

/** Decodes a response; throws `GRIDLINK_PROTOCOL` on anything malformed. */
export function decodeMessage(bytes: Uint8Array): WireMessage {
  if (bytes.length < HEADER) malformed('shorter than a header');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16 = (at: number): number => {
    if (at + 2 > bytes.length) malformed('truncated');
    return view.getUint16(at);
  };

  /** Reads a name at `start`; returns it and the offset just past it (past the first pointer). */
  const readName = (start: number): [string, number] => {
    const labels: string[] = [];
    let at = start;
    let end = -1;
    let length = 0;
    for (;;) {
      if (at >= bytes.length) malformed('name runs past the end');
      const len = bytes[at] as number;
      if (len === 0) break;
      if ((len & 0xc0) === 0xc0) {
        const target = u16(at) & 0x3fff;
        // Only strictly backwards: a run of pointers ends; a cycle through labels hits 255 bytes.
        if (target >= at) malformed('forward compression pointer');
        if (end < 0) end = at + 2;
        at = target;
        continue;
      }
      if (len > 63) malformed('bad label type');
      length += len + 1;
      if (length > 255 || at + 1 + len > bytes.length) malformed('name too long');
      labels.push(String.fromCharCode(...bytes.subarray(at + 1, at + 1 + len)).toLowerCase());
      at += 1 + len;
    }
    return [labels.join('.'), end < 0 ? at + 1 : end];
  };

  const flags = u16(2);
  if ((flags & FLAG_QR) === 0) malformed('not a response');
  let at = HEADER;
  for (let q = u16(4); q > 0; q--) at = readName(at)[1] + 4;
  const sections: WireRecord[][] = [[], [], []];
  for (let s = 0; s < 3; s++) {
    for (let n = u16(6 + 2 * s); n > 0; n--) {
      const [name, next] = readName(at);
      const type = u16(next);
      const klass = u16(next + 2);
      // RFC 2181 8: a TTL with the top bit set is read as 0.
      const ttl = u16(next + 4) >= 0x8000 ? 0 : u16(next + 4) * 0x10000 + u16(next + 6);
      const length = u16(next + 8);
      const data = next + 10;
      at = data + length;
      if (at > bytes.length) malformed('record data runs past the end');
      if (klass !== CLASS_IN) continue;
      const record = readData(bytes, type, data, length, readName);
      if (record !== undefined) (sections[s] as WireRecord[]).push({ name, type, ttl, data: record } as WireRecord);
    }
  }
  return { id: u16(0), rcode: flags & 0xf, answers: sections[0] as WireRecord[], additionals: sections[2] as WireRecord[] };
}

function readData(bytes: Uint8Array, type: number, at: number, length: number, readName: (at: number) => [string, number]): string | SrvData | undefined {
  if (type === RecordType.A) {
    if (length !== 4) malformed('A record of the wrong size');
    return bytes.subarray(at, at + 4).join('.');
  }
  if (type === RecordType.AAAA) {
    if (length !== 16) malformed('AAAA record of the wrong size');
    return ipv6(bytes.subarray(at, at + 16));
  }
  if (type !== RecordType.SRV) return undefined;
  if (length < 7) malformed('SRV record too short');
  const word = (i: number): number => ((bytes[at + i] as number) << 8) | (bytes[at + i + 1] as number);
  const [target, end] = readName(at + 6);
  if (end !== at + length) malformed('SRV target does not fill the record');
  return { priority: word(0), weight: word(2), port: word(4), target };
}

/** RFC 5952 text: lower-case hex, no leading zeros, the first longest run of 2+ zero groups as '::'. */
function ipv6(raw: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((raw[i] as number) << 8) | (raw[i + 1] as number));
  let best = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) [best, bestLength] = [i, j - i];
    i = j + 1;
  }
  const hex = (list: number[]): string => list.map((g) => g.toString(16)).join(':');
  return best < 0 ? hex(groups) : `${hex(groups.slice(0, best))}::${hex(groups.slice(best + bestLength))}`;
}

/** RFC 4648 base64url without padding, as RFC 8484's `?dns=` wants it. */
export function base64Url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
