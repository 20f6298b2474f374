/**
 * The DNS answer builder, pure: a decoded query and a hand-built cloud snapshot in, the response
 * packet out (through the real encoder and decoder, so what is asserted is what goes on the wire).
 */
import * as dnsPacket from 'dns-packet';
import type { Answer, DecodedPacket, Packet, SrvAnswer } from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { buildResponse, type QueryContext, type ZoneSettings } from '../../src/server/dns/answer.js';
import type { CloudNode, CloudSnapshot } from '../../src/server/dns/view.js';
import { decodeQuery, encodeResponse } from '../../src/server/dns/wire.js';

const settings: ZoneSettings = { zone: 'cloud.test', ttlSec: 5, negativeTtlSec: 7, serial: 42, udpPayloadSize: 1232 };

function node(id: string, address: string | undefined, links = 0, extra: Partial<CloudNode> = {}): CloudNode {
  return { id, address, port: 7000 + id.charCodeAt(0), load: { links, sessions: 0 }, healthy: true, ...extra };
}

const three: CloudSnapshot = { self: 'a', nodes: [node('a', '10.0.0.1'), node('b', '10.0.0.2'), node('c', '10.0.0.3')] };

interface Ask {
  name: string;
  type?: string;
  snapshot?: CloudSnapshot;
  source?: string;
  rotation?: number;
  edns?: { udpPayloadSize?: number; ecs?: { ip: string; prefix: number }; version?: number };
  klass?: string;
  packet?: Packet;
}

/** Encodes the query, decodes it as the server would, answers, encodes, decodes the answer. */
function ask(q: Ask, limit = 65_535): DecodedPacket & { rcode: string } {
  const additionals: Answer[] = [];
  if (q.edns !== undefined) {
    const options = q.edns.ecs === undefined ? [] : [{ code: 8 as const, family: q.edns.ecs.ip.includes(':') ? 2 : 1, sourcePrefixLength: q.edns.ecs.prefix, scopePrefixLength: 0, ip: q.edns.ecs.ip }];
    additionals.push({ name: '.', type: 'OPT', udpPayloadSize: q.edns.udpPayloadSize ?? 1232, extendedRcode: 0, ednsVersion: q.edns.version ?? 0, flags: 0, flag_do: false, options });
  }
  const packet: Packet = q.packet ?? {
    type: 'query',
    id: 4242,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ name: q.name, type: (q.type ?? 'A') as 'A', class: (q.klass ?? 'IN') as 'IN' }],
    additionals,
  };
  const decoded = decodeQuery(dnsPacket.encode(packet));
  if (decoded.kind !== 'query') throw new Error(`query did not decode: ${decoded.kind}`);
  const context: QueryContext = { settings, snapshot: q.snapshot ?? three, source: q.source, rotation: q.rotation ?? 0 };
  const response = buildResponse(decoded.packet, context);
  if (response === undefined) throw new Error('no response');
  return dnsPacket.decode(encodeResponse(response, limit)) as DecodedPacket & { rcode: string };
}

const data = (records: Answer[] | undefined): unknown[] => (records ?? []).map((record) => ('data' in record ? record.data : record.type));
const srv = (response: DecodedPacket) => (response.answers ?? []) as SrvAnswer[];

describe('answer builder: records', () => {
  it('SRV _gridlink._tcp: one record per live node, target <id>.<zone>, advertised port, glue in additional', () => {
    const response = ask({ name: '_gridlink._tcp.cloud.test', type: 'SRV' });
    expect(response.rcode).toBe('NOERROR');
    expect(response.flag_aa).toBe(true);
    expect(response.id).toBe(4242);
    expect(response.flag_rd).toBe(true);
    const records = srv(response);
    expect(records.map((r) => r.data.target).sort()).toEqual(['a.cloud.test', 'b.cloud.test', 'c.cloud.test']);
    for (const record of records) {
      expect(record.ttl).toBe(5);
      expect(record.data.port).toBe(7000 + record.data.target.charCodeAt(0));
      expect(record.data.priority).toBe(0);
      expect(record.data.weight).toBe(1000);
    }
    const glue = (response.additionals ?? []).filter((r) => r.type === 'A');
    expect(glue.map((r) => [r.name, 'data' in r ? r.data : undefined]).sort()).toEqual([
      ['a.cloud.test', '10.0.0.1'], ['b.cloud.test', '10.0.0.2'], ['c.cloud.test', '10.0.0.3'],
    ]);
  });

  it('A and AAAA for the apex list live nodes of that family; names are case-insensitive', () => {
    const snapshot: CloudSnapshot = { nodes: [node('a', '10.0.0.1'), node('b', 'fd00::2'), node('c', '10.0.0.3')] };
    const a = ask({ name: 'CLOUD.Test', type: 'A', snapshot });
    expect(data(a.answers).sort()).toEqual(['10.0.0.1', '10.0.0.3']);
    expect(a.answers?.[0]?.name).toBe('CLOUD.Test'); // the asker's spelling, for 0x20-checking resolvers
    const aaaa = ask({ name: 'cloud.test', type: 'AAAA', snapshot });
    expect(data(aaaa.answers)).toEqual(['fd00::2']);
    expect(data(ask({ name: 'b.cloud.test', type: 'AAAA', snapshot }).answers)).toEqual(['fd00::2']);
  });

  it('A for <node-id>.<zone> answers that node, live or not; the other family is NODATA', () => {
    const snapshot: CloudSnapshot = { nodes: [node('a', '10.0.0.1'), node('b', '10.0.0.2', 0, { healthy: false })] };
    expect(data(ask({ name: 'a.cloud.test', snapshot }).answers)).toEqual(['10.0.0.1']);
    expect(data(ask({ name: 'b.cloud.test', snapshot }).answers)).toEqual(['10.0.0.2']);
    const nodata = ask({ name: 'a.cloud.test', type: 'AAAA', snapshot });
    expect(nodata.rcode).toBe('NOERROR');
    expect(nodata.answers).toEqual([]);
    expect(nodata.authorities?.[0]?.type).toBe('SOA');
  });

  it('SOA and NS at the apex, like an authoritative server', () => {
    const soa = ask({ name: 'cloud.test', type: 'SOA' });
    expect(soa.flag_aa).toBe(true);
    expect(soa.answers?.[0]).toMatchObject({
      type: 'SOA', ttl: 5,
      data: { mname: 'a.cloud.test', rname: 'hostmaster.cloud.test', serial: 42, minimum: 7 },
    });
    const ns = ask({ name: 'cloud.test', type: 'NS' });
    expect(data(ns.answers)).toEqual(['a.cloud.test', 'b.cloud.test', 'c.cloud.test']);
    expect((ns.additionals ?? []).map((r) => r.name)).toEqual(['a.cloud.test', 'b.cloud.test', 'c.cloud.test']);
  });

  it('ANY at the apex gives every type it has', () => {
    const types = new Set((ask({ name: 'cloud.test', type: 'ANY' }).answers ?? []).map((r) => r.type));
    expect([...types].sort()).toEqual(['A', 'NS', 'SOA']);
  });
});

describe('answer builder: errors and absences', () => {
  it('NXDOMAIN for a name in the zone that does not exist, with the SOA and the negative TTL', () => {
    for (const name of ['nope.cloud.test', 'x.a.cloud.test', '_other._tcp.cloud.test']) {
      const response = ask({ name });
      expect(response.rcode, name).toBe('NXDOMAIN');
      expect(response.flag_aa).toBe(true);
      expect(response.answers).toEqual([]);
      expect(response.authorities?.[0]).toMatchObject({ type: 'SOA', name: 'cloud.test', ttl: 7, data: { minimum: 7 } });
    }
  });

  it('NODATA (NOERROR, SOA in authority) for unknown types and for the empty non-terminal _tcp', () => {
    for (const [name, type] of [['cloud.test', 'TXT'], ['cloud.test', 'UNKNOWN_4321'], ['a.cloud.test', 'MX'], ['_tcp.cloud.test', 'SRV'], ['_gridlink._tcp.cloud.test', 'A']]) {
      const response = ask({ name: name as string, type });
      expect(response.rcode, `${name} ${type}`).toBe('NOERROR');
      expect(response.answers).toEqual([]);
      expect(response.authorities?.[0]?.type).toBe('SOA');
      expect(response.questions?.[0]?.type).toBe(type);
    }
  });

  it('REFUSED for other zones and other classes, without AA', () => {
    for (const q of [{ name: 'example.com' }, { name: 'test' }, { name: 'xcloud.test' }, { name: 'cloud.test', klass: 'CH', type: 'TXT' }]) {
      const response = ask(q);
      expect(response.rcode, q.name).toBe('REFUSED');
      expect(response.flag_aa).toBe(false);
      expect(response.answers).toEqual([]);
    }
  });

  it('NOTIMP for zone transfers and other opcodes; FORMERR for no or two questions', () => {
    expect(ask({ name: 'cloud.test', type: 'AXFR' }).rcode).toBe('NOTIMP');
    const notify = ask({ name: '', packet: { type: 'query', id: 1, flags: 4 << 11, questions: [{ name: 'cloud.test', type: 'SOA' }] } });
    expect(notify.rcode).toBe('NOTIMP');
    expect(ask({ name: '', packet: { type: 'query', id: 1, questions: [] } }).rcode).toBe('FORMERR');
    const two = ask({ name: '', packet: { type: 'query', id: 1, questions: [{ name: 'cloud.test', type: 'A' }, { name: 'cloud.test', type: 'A' }] } });
    expect(two.rcode).toBe('FORMERR');
  });

  it('regression (found by the fuzz test): another opcode whose question name holds a dot inside a label is NOTIMP without echoing it', () => {
    // IQUERY (opcode 1) for the label "nop." then "cloud", "test": dns-packet decodes it as "nop..cloud.test",
    // which does not encode back; the answer must still decode.
    const bytes = Buffer.from([0, 7, 8, 0, 0, 1, 0, 0, 0, 0, 0, 0, 4, 110, 111, 112, 46, 5, 99, 108, 111, 117, 100, 4, 116, 101, 115, 116, 0, 0, 1, 0, 1]);
    const decoded = decodeQuery(bytes);
    if (decoded.kind !== 'query') throw new Error(`query did not decode: ${decoded.kind}`);
    const response = buildResponse(decoded.packet, { settings, snapshot: three, source: undefined, rotation: 0 });
    if (response === undefined) throw new Error('no response');
    const answer = dnsPacket.decode(encodeResponse(response, 512)) as DecodedPacket & { rcode: string };
    expect(answer.type).toBe('response');
    expect(answer.rcode).toBe('NOTIMP');
    expect(answer.questions).toEqual([]);
  });

  it('no live node: SRV and apex A are NODATA', () => {
    const snapshot: CloudSnapshot = { nodes: [node('a', '10.0.0.1', 0, { healthy: false }), node('b', '10.0.0.2', 0, { draining: true })] };
    for (const [name, type] of [['_gridlink._tcp.cloud.test', 'SRV'], ['cloud.test', 'A']]) {
      const response = ask({ name: name as string, type, snapshot });
      expect(response.rcode).toBe('NOERROR');
      expect(response.answers).toEqual([]);
    }
  });

  it('EDNS: the OPT is answered; an unknown EDNS version gets BADVERS', () => {
    const response = ask({ name: 'cloud.test', edns: {} });
    const opt = (response.additionals ?? []).find((r) => r.type === 'OPT');
    expect(opt).toMatchObject({ udpPayloadSize: 1232, ednsVersion: 0 });
    const bad = ask({ name: 'cloud.test', edns: { version: 1 } });
    expect((bad.additionals ?? []).find((r) => r.type === 'OPT')).toMatchObject({ extendedRcode: 1 });
    expect(bad.answers).toEqual([]);
  });
});

describe('answer builder: ranking', () => {
  const loaded: CloudSnapshot = { nodes: [node('a', '10.0.0.1', 9), node('b', '10.0.0.2', 0), node('c', '10.0.0.3', 4)] };

  it('least loaded first, in A and SRV; SRV priority by band, weight by load', () => {
    expect(data(ask({ name: 'cloud.test', snapshot: loaded }).answers)).toEqual(['10.0.0.2', '10.0.0.3', '10.0.0.1']);
    const records = srv(ask({ name: '_gridlink._tcp.cloud.test', type: 'SRV', snapshot: loaded }));
    expect(records.map((r) => [r.data.target, r.data.priority, r.data.weight])).toEqual([
      ['b.cloud.test', 0, 1000], ['c.cloud.test', 1, 200], ['a.cloud.test', 2, 100],
    ]);
  });

  it('unhealthy, draining and address-less nodes are left out', () => {
    const snapshot: CloudSnapshot = {
      nodes: [node('a', '10.0.0.1', 0, { healthy: false }), node('b', '10.0.0.2', 0, { draining: true }), node('c', undefined), node('d', '10.0.0.4', 50)],
    };
    expect(data(ask({ name: 'cloud.test', snapshot }).answers)).toEqual(['10.0.0.4']);
    expect(srv(ask({ name: '_gridlink._tcp.cloud.test', type: 'SRV', snapshot })).map((r) => r.data.target)).toEqual(['d.cloud.test']);
  });

  it('ties (loads within 10%, at least 1) rotate so that successive askers spread over them', () => {
    const tied: CloudSnapshot = { nodes: [node('a', '10.0.0.1', 20), node('b', '10.0.0.2', 21), node('c', '10.0.0.3', 22), node('d', '10.0.0.4', 40)] };
    const firsts = new Map<unknown, number>();
    for (let rotation = 0; rotation < 30; rotation++) {
      const answers = data(ask({ name: 'cloud.test', snapshot: tied, rotation }).answers);
      expect(answers).toHaveLength(4);
      expect(answers[3]).toBe('10.0.0.4'); // twice as loaded: never among the tied
      firsts.set(answers[0], (firsts.get(answers[0]) ?? 0) + 1);
    }
    expect([...firsts.keys()].sort()).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.3']);
    expect([...firsts.values()]).toEqual([10, 10, 10]);
    const priorities = srv(ask({ name: '_gridlink._tcp.cloud.test', type: 'SRV', snapshot: tied })).map((r) => r.data.priority);
    expect(priorities).toEqual([0, 0, 0, 1]);
  });

  const regional: CloudSnapshot = {
    nodes: [
      node('eu1', '10.1.0.1', 5, { region: 'eu', subnets: ['192.0.2.0/24'] }),
      node('eu2', '10.1.0.2', 5, { region: 'eu' }),
      node('us1', '10.2.0.1', 0, { region: 'us', subnets: ['198.51.100.0/24', '2001:db8::/32'] }),
      node('ap1', '10.3.0.1', 0, { region: 'ap' }),
    ],
  };

  it('closest first: the source address in a node subnet puts that node, then its region, first', () => {
    expect(data(ask({ name: 'cloud.test', snapshot: regional, source: '192.0.2.77' }).answers).slice(0, 2)).toEqual(['10.1.0.1', '10.1.0.2']);
    expect(data(ask({ name: 'cloud.test', snapshot: regional, source: '::ffff:198.51.100.9' }).answers)[0]).toBe('10.2.0.1');
    // An address in no subnet: plain load order (the idle us1/ap1 first).
    expect(data(ask({ name: 'cloud.test', snapshot: regional, source: '203.0.113.5' }).answers).slice(2)).toEqual(['10.1.0.1', '10.1.0.2'].sort());
  });

  it('EDNS client subnet (RFC 7871) wins over the source and is echoed with its scope', () => {
    const response = ask({ name: 'cloud.test', snapshot: regional, source: '203.0.113.5', edns: { ecs: { ip: '192.0.2.0', prefix: 24 } } });
    expect(data(response.answers)[0]).toBe('10.1.0.1');
    const opt = (response.additionals ?? []).find((r) => r.type === 'OPT');
    expect(opt !== undefined && 'options' in opt ? opt.options[0] : undefined).toMatchObject({ code: 8, sourcePrefixLength: 24, scopePrefixLength: 24 });
    const v6 = ask({ name: 'cloud.test', snapshot: regional, edns: { ecs: { ip: '2001:db8:1::', prefix: 48 } } });
    expect(data(v6.answers)[0]).toBe('10.2.0.1');
    // Prefix 0: "do not use my address": load order, scope 0.
    const none = ask({ name: 'cloud.test', snapshot: regional, source: '192.0.2.77', edns: { ecs: { ip: '0.0.0.0', prefix: 0 } } });
    expect(data(none.answers).slice(2).sort()).toEqual(['10.1.0.1', '10.1.0.2']);
    const optNone = (none.additionals ?? []).find((r) => r.type === 'OPT');
    expect(optNone !== undefined && 'options' in optNone ? optNone.options[0] : undefined).toMatchObject({ scopePrefixLength: 0 });
  });
});

describe('wire: size limits', () => {
  const many: CloudSnapshot = { nodes: Array.from({ length: 40 }, (_, i) => node(`n${i}`, `10.0.1.${i + 1}`)) };

  it('a UDP answer over 512 bytes loses its glue, then sets TC with the answers that fit', () => {
    const full = ask({ name: '_gridlink._tcp.cloud.test', type: 'SRV', snapshot: many });
    expect(full.answers).toHaveLength(40);
    expect(full.flag_tc).toBe(false);
    const truncated = ask({ name: '_gridlink._tcp.cloud.test', type: 'SRV', snapshot: many }, 512);
    expect(truncated.flag_tc).toBe(true);
    expect(truncated.answers?.length).toBeGreaterThan(0);
    expect(truncated.answers?.length).toBeLessThan(40);
    expect(truncated.additionals).toEqual([]);
    expect(dnsPacket.encode(truncated).length).toBeLessThanOrEqual(512);
  });

  it('glue that does not fit is dropped without TC when the answers fit', () => {
    const five: CloudSnapshot = { nodes: many.nodes.slice(0, 8) };
    const response = ask({ name: '_gridlink._tcp.cloud.test', type: 'SRV', snapshot: five }, 512);
    expect(response.flag_tc).toBe(false);
    expect(response.answers).toHaveLength(8);
    expect(response.additionals).toEqual([]);
  });

  it('undecodable packets: too short is dropped, a broken body is FORMERR with the id', () => {
    expect(decodeQuery(Buffer.alloc(5)).kind).toBe('drop');
    const broken = Buffer.from([0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 63, 0x61]);
    const decoded = decodeQuery(broken);
    expect(decoded.kind).toBe('formerr');
    if (decoded.kind !== 'formerr') return;
    const response = dnsPacket.decode(encodeResponse(decoded.response, 512)) as DecodedPacket & { rcode: string };
    expect(response.id).toBe(0x1234);
    expect(response.rcode).toBe('FORMERR');
    expect(response.flag_rd).toBe(true);
    // A response (QR=1) is never answered.
    expect(decodeQuery(dnsPacket.encode({ type: 'response', id: 1, questions: [{ name: 'cloud.test', type: 'A' }] })).kind).toBe('drop');
  });
});
