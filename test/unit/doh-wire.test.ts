/**
 * The browser's tiny DNS codec against dns-packet (the server's encoder): every answer the cloud's
 * answer builder produces decodes to the same records, compression pointers included; and hostile
 * bytes never crash, loop or read out of bounds — they throw GRIDLINK_PROTOCOL or decode.
 */
import * as dnsPacket from 'dns-packet';
import type { Answer, Packet } from 'dns-packet';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isGridlinkError } from '../../src/core/errors.js';
import { base64Url, decodeMessage, encodeQuery, RecordType } from '../../src/resolve/doh-wire.js';
import { buildResponse, type ZoneSettings } from '../../src/server/dns/answer.js';
import type { CloudNode } from '../../src/server/dns/view.js';
import { decodeQuery, encodeResponse } from '../../src/server/dns/wire.js';

const settings: ZoneSettings = { zone: 'cloud.test', ttlSec: 5, negativeTtlSec: 7, serial: 1, udpPayloadSize: 1232 };
const node = (id: string, address: string, links = 0): CloudNode => ({ id, address, port: 7000 + id.length, load: { links, sessions: 0 }, healthy: true });

/** What the cloud's server answers to our encoded query. */
function serverAnswer(name: string, type: 1 | 28 | 33, nodes: CloudNode[]): Buffer {
  const decoded = decodeQuery(Buffer.from(encodeQuery(name, type, 7)));
  if (decoded.kind !== 'query') throw new Error('query did not decode');
  const response = buildResponse(decoded.packet, { settings, snapshot: { nodes, self: nodes[0]?.id }, rotation: 0 });
  if (response === undefined) throw new Error('no response');
  return encodeResponse(response, 65_535);
}

const canonicalV6 = (ip: string): string => new URL(`http://[${ip}]/`).hostname.slice(1, -1);

describe('doh wire: queries', () => {
  it('encodes one question that dns-packet reads back, recursion desired', () => {
    const packet = dnsPacket.decode(Buffer.from(encodeQuery('_gridlink._tcp.cloud.test', RecordType.SRV, 0x1234)));
    expect(packet.id).toBe(0x1234);
    expect(packet.flag_rd).toBe(true);
    expect(packet.questions).toEqual([{ name: '_gridlink._tcp.cloud.test', type: 'SRV', class: 'IN' }]);
  });

  it('refuses names DNS cannot carry', () => {
    for (const name of ['', 'a..b', `${'x'.repeat(64)}.test`, Array(130).fill('ab').join('.'), 'spa ce.test']) {
      expect(() => encodeQuery(name, RecordType.A), name).toThrow(/not a DNS name/);
    }
  });

  it('base64url has no padding and no + or /', () => {
    expect(base64Url(new Uint8Array([0xfb, 0xff, 0xfe]))).toBe('-__-');
    expect(base64Url(new Uint8Array([1]))).toBe('AQ');
  });
});

describe('doh wire: answers from the cloud server', () => {
  const nodes = [node('a', '10.0.0.1', 3), node('b', '10.0.0.2'), node('c', 'fd00::c')];

  it('SRV with glue: records in the server order, targets lower-cased, addresses in the additional section', () => {
    const message = decodeMessage(serverAnswer('_gridlink._tcp.cloud.test', RecordType.SRV, nodes));
    const reference = dnsPacket.decode(serverAnswer('_gridlink._tcp.cloud.test', RecordType.SRV, nodes));
    expect(message.rcode).toBe(0);
    expect(message.id).toBe(7);
    expect(message.answers.map((r) => r.data)).toEqual((reference.answers ?? []).map((r) => (r as { data: unknown }).data));
    expect(message.additionals.map((r) => [r.name, r.data])).toEqual([
      ...(reference.additionals ?? []).map((r) => [r.name, r.type === 'AAAA' ? canonicalV6((r as { data: string }).data) : (r as { data: unknown }).data]),
    ]);
    expect(message.answers.every((r) => r.ttl === 5)).toBe(true);
  });

  it('A and AAAA of the zone and of a node', () => {
    expect(decodeMessage(serverAnswer('cloud.test', RecordType.A, nodes)).answers.map((r) => r.data)).toEqual(['10.0.0.2', '10.0.0.1']);
    expect(decodeMessage(serverAnswer('c.cloud.test', RecordType.AAAA, nodes)).answers).toEqual([{ name: 'c.cloud.test', type: 28, ttl: 5, data: 'fd00::c' }]);
  });

  it('NXDOMAIN and REFUSED carry their rcode and no records', () => {
    expect(decodeMessage(serverAnswer('nope.cloud.test', RecordType.A, nodes))).toMatchObject({ rcode: 3, answers: [] });
    expect(decodeMessage(serverAnswer('example.com', RecordType.A, nodes))).toMatchObject({ rcode: 5, answers: [] });
  });

  it('follows compression pointers (as real resolvers compress names)', () => {
    // dns-packet does not compress, so this message is built by hand: the answer's owner name is a
    // pointer to the question's, and the SRV target ends in a pointer into it.
    const header = [0, 1, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0];
    const question = [5, ...Buffer.from('cloud'), 4, ...Buffer.from('test'), 0, 0, 33, 0, 1];
    const target = [1, 0x62, 0xc0, 12]; // "b" + pointer to "cloud.test" at offset 12
    const rdata = [0, 1, 0, 2, 0x1b, 0x59, ...target];
    const answer = [0xc0, 12, 0, 33, 0, 1, 0, 0, 0, 9, 0, rdata.length, ...rdata];
    const message = decodeMessage(new Uint8Array([...header, ...question, ...answer]));
    expect(message.answers).toEqual([{ name: 'cloud.test', type: 33, ttl: 9, data: { priority: 1, weight: 2, port: 7001, target: 'b.cloud.test' } }]);
  });
});

describe('doh wire: hostile bytes', () => {
  const throwsProtocol = (bytes: Uint8Array): void => {
    try {
      decodeMessage(bytes);
    } catch (error) {
      if (!isGridlinkError(error) || error.code !== 'GRIDLINK_PROTOCOL') throw error;
    }
  };

  it('refuses a pointer loop, a forward pointer, a record past the end, a query', () => {
    const header = (qd: number, an: number, flags = 0x8180) => [0, 0, flags >> 8, flags & 0xff, 0, qd, 0, an, 0, 0, 0, 0];
    const cases: number[][] = [
      [...header(1, 0), 0xc0, 12], // points at itself
      [...header(1, 0), 0xc0, 20, 0, 0, 1, 0, 1, 0], // forward
      [...header(0, 1), 0, 0, 1, 0, 1, 0, 0, 0, 5, 0, 4, 10, 0], // A data cut short
      [...header(1, 0, 0x0100), 0, 0, 1, 0, 1], // a query, not a response
      [...header(0, 1), 0, 0, 1, 0, 1, 0, 0, 0, 5, 0, 3, 10, 0, 0], // A of 3 bytes
      [...header(1, 0), 0x40, 0], // extended label type
      [...header(1, 0), 1, 0x61, 0xc0, 12], // label then pointer back into itself: a cycle
    ];
    for (const bytes of cases) expect(() => decodeMessage(new Uint8Array(bytes)), JSON.stringify(bytes)).toThrow(/malformed DNS message/);
  });

  it('random bytes: decodes or throws GRIDLINK_PROTOCOL, never anything else', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => throwsProtocol(bytes)), { numRuns: 3000 });
  });

  it('mutated server answers: decodes or throws GRIDLINK_PROTOCOL', () => {
    const base = serverAnswer('_gridlink._tcp.cloud.test', RecordType.SRV, [node('a', '10.0.0.1'), node('bb', 'fd00::1')]);
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), fc.nat(base.length), (edits, cut) => {
        const bytes = Uint8Array.from(base.subarray(0, Math.max(12, cut)));
        for (const [at, value] of edits) if (at < bytes.length) bytes[at] = value;
        throwsProtocol(bytes);
      }),
      { numRuns: 3000 },
    );
  });

  it('random well-formed packets: the same addresses and SRV records as dns-packet reads', () => {
    const label = fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,10}$/);
    const name = fc.array(label, { minLength: 1, maxLength: 4 }).map((labels) => labels.join('.'));
    const v4 = fc.ipV4();
    const v6 = fc.ipV6();
    const record = fc.oneof(
      fc.record({ name, ttl: fc.nat(100_000), data: v4 }).map((r): Answer => ({ ...r, type: 'A', class: 'IN' })),
      fc.record({ name, ttl: fc.nat(100_000), data: v6 }).map((r): Answer => ({ ...r, type: 'AAAA', class: 'IN' })),
      fc.record({ name, ttl: fc.nat(100_000), data: fc.record({ priority: fc.nat(65535), weight: fc.nat(65535), port: fc.nat(65535), target: name }) }).map((r): Answer => ({ ...r, type: 'SRV', class: 'IN' })),
      fc.record({ name, ttl: fc.nat(100_000), data: fc.string({ maxLength: 20 }) }).map((r): Answer => ({ name: r.name, ttl: r.ttl, type: 'TXT', class: 'IN', data: r.data })),
    );
    fc.assert(
      fc.property(fc.array(record, { maxLength: 6 }), fc.array(record, { maxLength: 4 }), (answers, additionals) => {
        const packet: Packet = { type: 'response', id: 9, flags: 0, questions: [{ name: 'q.test', type: 'A', class: 'IN' }], answers, additionals };
        const ours = decodeMessage(dnsPacket.encode(packet));
        const theirs = dnsPacket.decode(dnsPacket.encode(packet));
        const pick = (list: Answer[] | undefined) =>
          (list ?? []).filter((r) => r.type === 'A' || r.type === 'AAAA' || r.type === 'SRV').map((r) => {
            const data = (r as { data: unknown }).data;
            return { name: r.name.toLowerCase(), ttl: (r as { ttl: number }).ttl, data: r.type === 'AAAA' ? canonicalV6(data as string) : data };
          });
        expect(ours.answers.map(({ name, ttl, data }) => ({ name, ttl, data }))).toEqual(pick(theirs.answers));
        expect(ours.additionals.map(({ name, ttl, data }) => ({ name, ttl, data }))).toEqual(pick(theirs.additionals));
      }),
      { numRuns: 500 },
    );
  });
});
