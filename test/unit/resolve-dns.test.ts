/**
 * DNS answers → the client's node list, through a stub `DnsLookup` (the platform seam): SRV order,
 * zone checks, caps, the A/AAAA fallback, TTLs and error classification. The real DNS server and
 * Node's resolver meet in test/integration/resolve-dns.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { dnsResolver, inZone, orderSrv, type DnsResolverSettings } from '../../src/resolve/dns.js';
import { classifyDnsError } from '../../src/resolve/dns-errors.js';
import type { DnsAddress, DnsLookup, DnsSrv } from '../../src/platform/types.js';
import type { GridlinkError } from '../../src/core/errors.js';

const raw = (code: string): Error => Object.assign(new Error(`query ${code}`), { code });
type Zone = Record<string, { srv?: DnsSrv[] | Error; a?: DnsAddress[] | Error; aaaa?: DnsAddress[] | Error }>;

/** A stub lookup over a fixed zone; records every query asked. */
function stub(zone: Zone): DnsLookup & { asked: string[] } {
  const asked: string[] = [];
  const answer = <T>(name: string, type: 'srv' | 'a' | 'aaaa'): Promise<T[]> => {
    asked.push(`${type} ${name}`);
    const value = zone[name]?.[type];
    if (value instanceof Error) return Promise.reject(value);
    if (value === undefined) return Promise.reject(raw(zone[name] === undefined ? 'ENOTFOUND' : 'ENODATA'));
    return Promise.resolve(value as T[]);
  };
  return { asked, srv: (n) => answer(n, 'srv'), a: (n) => answer(n, 'a'), aaaa: (n) => answer(n, 'aaaa') };
}

const srv = (name: string, port: number, priority = 10, weight = 10): DnsSrv => ({ name, port, priority, weight });
const a = (address: string, ttl = 5): DnsAddress[] => [{ address, ttl }];
const signal = new AbortController().signal;

function resolver(zone: Zone, extra: Partial<DnsResolverSettings> = {}) {
  const problems: GridlinkError[] = [];
  const lookup = stub(zone);
  const r = dnsResolver(lookup, { cloud: 'cloud.test', scheme: 'ws', port: 80, maxNodes: 64, onProblem: (e) => problems.push(e), ...extra });
  return { r, problems, asked: lookup.asked };
}

describe('dnsResolver: SRV answers', () => {
  it('maps each SRV target to a node: id from the name, URL with the name and port, dialled by its address', async () => {
    const { r, problems } = resolver({
      '_gridlink._tcp.cloud.test': { srv: [srv('a.cloud.test', 7001), srv('b.cloud.test.', 7002)] },
      'a.cloud.test': { a: a('10.0.0.1') },
      'b.cloud.test': { a: a('10.0.0.2') },
    });
    const answer = await r.lookup(signal);
    expect(answer.via).toBe('srv');
    expect(answer.nodes).toEqual([
      { id: 'a', url: 'ws://a.cloud.test:7001/', address: '10.0.0.1' },
      { id: 'b', url: 'ws://b.cloud.test:7002/', address: '10.0.0.2' },
    ]);
    expect(problems).toEqual([]);
  });

  it('orders by priority (lower first), then weight (heavier first), ties keeping the server order', () => {
    const records = [srv('w1', 1, 20, 1), srv('p10', 1, 10, 0), srv('w5', 1, 20, 5), srv('tie-a', 1, 30, 3), srv('tie-b', 1, 30, 3)];
    expect(orderSrv(records).map((r) => r.name)).toEqual(['p10', 'w5', 'w1', 'tie-a', 'tie-b']);
  });

  it('keeps the cloud order in the node list', async () => {
    const { r } = resolver({
      '_gridlink._tcp.cloud.test': { srv: [srv('c.cloud.test', 3, 30), srv('a.cloud.test', 1, 10), srv('b.cloud.test', 2, 20)] },
      'a.cloud.test': { a: a('10.0.0.1') },
      'b.cloud.test': { a: a('10.0.0.2') },
      'c.cloud.test': { a: a('10.0.0.3') },
    });
    expect((await r.lookup(signal)).nodes.map((n) => n.id)).toEqual(['a', 'b', 'c']);
  });

  it('refuses targets outside the zone with GRIDLINK_FOREIGN_NODE, reports them and never asks for their addresses', async () => {
    const { r, problems, asked } = resolver({
      '_gridlink._tcp.cloud.test': {
        srv: [srv('evil.example.net', 1), srv('evilcloud.test', 2), srv('cloud.test.evil.net', 3), srv('a.cloud.test', 4)],
      },
      'a.cloud.test': { a: a('10.0.0.1') },
    });
    expect((await r.lookup(signal)).nodes.map((n) => n.id)).toEqual(['a']);
    expect(problems.map((p) => p.code)).toEqual(['GRIDLINK_FOREIGN_NODE', 'GRIDLINK_FOREIGN_NODE', 'GRIDLINK_FOREIGN_NODE']);
    expect(asked.filter((q) => q.includes('evil'))).toEqual([]);
  });

  it('skips "." (no service) and malformed records; reports the malformed', async () => {
    const { r, problems } = resolver({
      '_gridlink._tcp.cloud.test': { srv: [srv('.', 1), srv('bad name.cloud.test', 2), srv('a.cloud.test', 0), srv('b.cloud.test', 70000), srv('c.cloud.test', 3)] },
      'c.cloud.test': { a: a('10.0.0.3') },
    });
    expect((await r.lookup(signal)).nodes.map((n) => n.id)).toEqual(['c']);
    expect(problems).toHaveLength(3);
  });

  it('caps the answer at maxNodes, and asks addresses only for those', async () => {
    const zone: Zone = { '_gridlink._tcp.cloud.test': { srv: Array.from({ length: 10 }, (_, i) => srv(`n${i}.cloud.test`, 7000 + i)) } };
    for (let i = 0; i < 10; i++) zone[`n${i}.cloud.test`] = { a: a(`10.0.0.${i}`) };
    const { r, asked } = resolver(zone, { maxNodes: 3 });
    expect((await r.lookup(signal)).nodes.map((n) => n.id)).toEqual(['n0', 'n1', 'n2']);
    expect(asked.filter((q) => q.startsWith('a '))).toHaveLength(3);
  });

  it('prefers an A record, uses AAAA when there is none, and leaves out (and reports) a target without address', async () => {
    const { r, problems } = resolver({
      '_gridlink._tcp.cloud.test': { srv: [srv('v4.cloud.test', 1), srv('v6.cloud.test', 2), srv('none.cloud.test', 3), srv('both.cloud.test', 4)] },
      'v4.cloud.test': { a: a('10.0.0.4') },
      'v6.cloud.test': { aaaa: a('fd00::6') },
      'none.cloud.test': {},
      'both.cloud.test': { a: a('10.0.0.5'), aaaa: a('fd00::5') },
    });
    const nodes = (await r.lookup(signal)).nodes;
    expect(nodes.map((n) => [n.id, n.address])).toEqual([
      ['v4', '10.0.0.4'],
      ['v6', 'fd00::6'],
      ['both', '10.0.0.5'],
    ]);
    expect(problems.map((p) => p.code)).toEqual(['GRIDLINK_NO_NODES']);
  });

  it('keeps node ids with dots: the id is the target minus the zone', async () => {
    const { r } = resolver({ '_gridlink._tcp.cloud.test': { srv: [srv('eu.1.cloud.test', 1)] }, 'eu.1.cloud.test': { a: a('10.0.0.1') } });
    expect((await r.lookup(signal)).nodes[0]?.id).toBe('eu.1');
  });

  it('lives as long as its shortest address TTL (SRV has none in Node), at most 30 s', async () => {
    const zone = (t1: number, t2: number): Zone => ({
      '_gridlink._tcp.cloud.test': { srv: [srv('a.cloud.test', 1), srv('b.cloud.test', 2)] },
      'a.cloud.test': { a: a('10.0.0.1', t1) },
      'b.cloud.test': { a: a('10.0.0.2', t2) },
    });
    expect((await resolver(zone(5, 2)).r.lookup(signal)).ttlMs).toBe(2000);
    expect((await resolver(zone(300, 600)).r.lookup(signal)).ttlMs).toBe(30_000);
    expect((await resolver(zone(0, 5)).r.lookup(signal)).ttlMs).toBe(0);
  });

  it('fails with the classified error when no target has an address', async () => {
    const { r } = resolver({ '_gridlink._tcp.cloud.test': { srv: [srv('a.cloud.test', 1)] }, 'a.cloud.test': { a: raw('ETIMEOUT'), aaaa: raw('ETIMEOUT') } });
    await expect(r.lookup(signal)).rejects.toMatchObject({ code: 'GRIDLINK_TIMEOUT' });
  });
});

describe('dnsResolver: no SRV record', () => {
  it('falls back to the A/AAAA records of the cloud name, on the default port, one node per address', async () => {
    const { r } = resolver({ 'cloud.test': { a: [{ address: '10.0.0.1', ttl: 7 }, { address: '10.0.0.2', ttl: 9 }], aaaa: a('fd00::1', 8) } }, { scheme: 'wss', port: 443 });
    const answer = await r.lookup(signal);
    expect(answer.via).toBe('address');
    expect(answer.ttlMs).toBe(7000);
    expect(answer.nodes).toEqual([
      { id: '10.0.0.1', url: 'wss://cloud.test:443/', address: '10.0.0.1' },
      { id: '10.0.0.2', url: 'wss://cloud.test:443/', address: '10.0.0.2' },
      { id: 'fd00::1', url: 'wss://cloud.test:443/', address: 'fd00::1' },
    ]);
  });

  it('falls back on ENODATA too (the SRV name exists but has no SRV record)', async () => {
    const { r } = resolver({ '_gridlink._tcp.cloud.test': { a: a('10.9.9.9') }, 'cloud.test': { a: a('10.0.0.1') } });
    expect((await r.lookup(signal)).nodes.map((n) => n.address)).toEqual(['10.0.0.1']);
  });

  it('does not fall back when the DNS server itself failed: a dead server fails fast', async () => {
    const { r, asked } = resolver({ '_gridlink._tcp.cloud.test': { srv: raw('ECONNREFUSED') }, 'cloud.test': { a: a('10.0.0.1') } });
    await expect(r.lookup(signal)).rejects.toMatchObject({ code: 'GRIDLINK_CONNECT_FAILED', retriable: true });
    expect(asked).toEqual(['srv _gridlink._tcp.cloud.test']);
  });

  it('says there is no such cloud when neither SRV nor A/AAAA exist', async () => {
    const { r } = resolver({});
    const error = (await r.lookup(signal).catch((e: GridlinkError) => e)) as GridlinkError;
    expect(error).toMatchObject({ code: 'GRIDLINK_NO_NODES' });
    expect(error.message).toMatch(/neither SRV _gridlink\._tcp\.cloud\.test nor A\/AAAA/);
  });

  it('caps addresses at maxNodes', async () => {
    const { r } = resolver({ 'cloud.test': { a: Array.from({ length: 9 }, (_, i) => ({ address: `10.0.0.${i}`, ttl: 5 })) } }, { maxNodes: 2 });
    expect((await r.lookup(signal)).nodes).toHaveLength(2);
  });
});

describe('DNS error classification', () => {
  it.each([
    ['ENOTFOUND', 'GRIDLINK_NO_NODES'],
    ['ENODATA', 'GRIDLINK_NO_NODES'],
    ['ETIMEOUT', 'GRIDLINK_TIMEOUT'],
    ['ECONNREFUSED', 'GRIDLINK_CONNECT_FAILED'],
    ['ESERVFAIL', 'GRIDLINK_CONNECT_FAILED'],
    ['EREFUSED', 'GRIDLINK_CONNECT_FAILED'],
  ])('%s -> %s, retriable, cause kept', (code, ours) => {
    const cause = raw(code);
    const error = classifyDnsError(cause, 'SRV x');
    expect(error).toMatchObject({ code: ours, retriable: true });
    expect(error.cause).toBe(cause);
    expect(error.message).toContain(code);
  });

  it('zone membership is by label, not by suffix', () => {
    expect(inZone('a.cloud.test', 'cloud.test')).toBe(true);
    expect(inZone('cloud.test', 'cloud.test')).toBe(true);
    expect(inZone('evilcloud.test', 'cloud.test')).toBe(false);
  });
});

describe('dnsResolver: abort', () => {
  it('rejects with GRIDLINK_ABORTED when the signal aborts mid-lookup', async () => {
    const controller = new AbortController();
    const lookup: DnsLookup = {
      srv: (_n, s) => new Promise((_, reject) => s.addEventListener('abort', () => reject(raw('ECANCELLED')))),
      a: () => Promise.resolve([]),
      aaaa: () => Promise.resolve([]),
    };
    const pending = dnsResolver(lookup, { cloud: 'cloud.test', scheme: 'ws', port: 80, maxNodes: 8 }).lookup(controller.signal);
    controller.abort();
    await expect(pending).rejects.toMatchObject({ code: 'GRIDLINK_ABORTED' });
  });
});
