/**
 * Bytes <-> packets at the edge of the DNS server. Decoding is dns-packet's (bounded: it refuses
 * forward compression pointers, so a pointer loop cannot spin) inside a try/catch, since every
 * byte here is the network's. Encoding enforces the size limit: a UDP answer that does not fit
 * loses its additional records first (glue is optional), then sets TC=1 and keeps the answers that
 * fit, so the resolver retries over TCP (RFC 1035 4.2.1, RFC 2181 9).
 */
import * as dnsPacket from 'dns-packet';
import type { Answer, DecodedPacket, OptAnswer, Packet } from 'dns-packet';
import { Rcode } from './answer.js';

export const HEADER_BYTES = 12;
/** The classic UDP limit, for queries without EDNS. */
export const CLASSIC_UDP_BYTES = 512;
/** What this server advertises and never exceeds over UDP (DNS flag day 2020: no fragmentation). */
export const MAX_UDP_BYTES = 1232;
/** A TCP message's length prefix is 16 bits. */
export const MAX_TCP_BYTES = 65_535;

const FLAG_TC = 1 << 9;
const FLAG_QR = 0x80; // in the third byte

export type Decoded =
  | { readonly kind: 'query'; readonly packet: DecodedPacket }
  /** Not decodable, but the header is there: answer FORMERR (RFC 1035 4.1.1). */
  | { readonly kind: 'formerr'; readonly response: Packet }
  /** Too short to have a header, or a response: say nothing. */
  | { readonly kind: 'drop' };

export function decodeQuery(bytes: Buffer): Decoded {
  if (bytes.length < HEADER_BYTES) return { kind: 'drop' };
  if ((bytes.readUInt8(2) & FLAG_QR) !== 0) return { kind: 'drop' };
  try {
    return { kind: 'query', packet: dnsPacket.decode(bytes) };
  } catch {
    // Only the id and the opcode/RD bits are read from the raw header, to address the error.
    const id = bytes.readUInt16BE(0);
    const flags = (bytes.readUInt8(2) & 0x79) << 8; // opcode (4 bits) and RD
    return { kind: 'formerr', response: { id, type: 'response', flags: flags | Rcode.FORMERR } };
  }
}

/** The UDP answer limit a query allows: 512, or its EDNS size within [512, MAX_UDP_BYTES]. */
export function udpLimit(query: DecodedPacket | undefined): number {
  const opt = (query?.additionals ?? []).find((record): record is OptAnswer => record.type === 'OPT');
  if (opt === undefined) return CLASSIC_UDP_BYTES;
  return Math.min(MAX_UDP_BYTES, Math.max(CLASSIC_UDP_BYTES, opt.udpPayloadSize));
}

/** Encodes `packet` within `limit` bytes, trimming (and flagging TC) as described above. */
export function encodeResponse(packet: Packet, limit: number): Buffer {
  const whole = dnsPacket.encode(packet);
  if (whole.length <= limit) return whole;
  const opt = (packet.additionals ?? []).filter((record) => record.type === 'OPT');
  const withoutGlue: Packet = { ...packet, additionals: opt };
  if (dnsPacket.encodingLength(withoutGlue) <= limit) return dnsPacket.encode(withoutGlue);
  const answers = packet.answers ?? [];
  const truncated: Packet = { ...withoutGlue, flags: (packet.flags ?? 0) | FLAG_TC, answers: [], authorities: [] };
  let size = dnsPacket.encodingLength(truncated);
  const kept: Answer[] = [];
  for (const answer of answers) {
    const grown = size + recordLength(answer);
    if (grown > limit) break;
    kept.push(answer);
    size = grown;
  }
  truncated.answers = kept;
  // Not even the question fits (cannot happen for limit >= 512 and a valid name): header only.
  if (size > limit) return dnsPacket.encode({ ...truncated, questions: [], additionals: [] });
  return dnsPacket.encode(truncated);
}

function recordLength(answer: Answer): number {
  return dnsPacket.encodingLength({ answers: [answer] }) - HEADER_BYTES;
}
