/**
 * Peers from DNS (peer-source.ts) with an injected lookup under fake timers, and the peer monitor
 * following a changed set (fake dialer): no sockets. A real DNS server is in
 * test/integration/peers-dns.test.ts.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Logger } from '../../src/core/logger.js';
import {
  discoverPeers, MAX_DISCOVERED_PEERS, parseDnsServer, parsePeerSource, PeerSource, type PeerLookup, type TtlAddress,
} from '../../src/server/peers/peer-source.js';
import { normalizeOptions } from '../../src/server/node/options.js';
import { parseNodeArgs } from '../../src/cli/node-args.js';
import { serverOptions } from '../../src/cli/node-command.js';
import type { NodeInfo } from '../../src/protocol/frames.js';
import { B, bringUp, C, setupMonitor } from '../helpers/peer-monitor-harness.js';

const NAME = '_gridlink-peer._tcp.cloud.internal';

interface Zone {
  srv: { name: string; port: number }[] | Error;
  hosts: Record<string, TtlAddress[]>;
}

function fakeLookup(zone: Zone): PeerLookup & { asked: number } {
  const lookup = {
    asked: 0,
    srv: async (name: string) => {
      lookup.asked++;
      expect(name).toBe(NAME);
      if (zone.srv instanceof Error) throw zone.srv;
      return zone.srv;
    },
    addresses: async (name: string) => zone.hosts[name] ?? [],
  };
  return lookup;
}

function recordingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, debug: () => {}, info: () => {}, warn: (message) => void warnings.push(message), error: () => {} };
}

const host = (address: string, ttl = 5): TtlAddress[] => [{ address, ttl }];

describe('parsePeerSource / parseDnsServer', () => {
  it('reads srv:<name> and a:<name>:<port>', () => {
    expect(parsePeerSource(`srv:${NAME}`)).toEqual({ kind: 'srv', name: NAME });
    expect(parsePeerSource(`srv:${NAME}.`)).toEqual({ kind: 'srv', name: NAME });
    expect(parsePeerSource('a:gridlink.default.svc.cluster.local:7001')).toEqual({ kind: 'a', name: 'gridlink.default.svc.cluster.local', port: 7001 });
  });

  it.each(['', 'srv:', 'srv:bad name', 'srv:-x.test', 'a:host', 'a:host:0', 'a:host:65536', 'a::7001', 'a:host:7x', 'dns:host', `srv:${'a'.repeat(64)}.test`])('refuses %j', (text) => {
    expect(() => parsePeerSource(text)).toThrow();
  });

  it('reads DNS servers as ip or ip:port', () => {
    expect(parseDnsServer('127.0.0.1:5353')).toBe('127.0.0.1:5353');
    expect(parseDnsServer('[::1]:53')).toBe('[::1]:53');
    expect(parseDnsServer('10.0.0.1')).toBe('10.0.0.1');
    for (const bad of ['localhost:53', '127.0.0.1:0', '127.0.0.1:x', '']) expect(() => parseDnsServer(bad)).toThrow();
  });
});

describe('discoverPeers', () => {
  it('names each SRV target by its first label, at its address, without this node, sorted, on the lowest TTL', async () => {
    const logger = recordingLogger();
    const lookup = fakeLookup({
      srv: [{ name: 'c.cloud.internal', port: 7003 }, { name: 'a.cloud.internal', port: 7001 }, { name: 'b.cloud.internal.', port: 7002 }],
      hosts: { 'a.cloud.internal': host('127.0.0.1', 30), 'b.cloud.internal': host('10.0.0.2', 7), 'c.cloud.internal': host('fd00::3', 9) },
    });
    const found = await discoverPeers({ kind: 'srv', name: NAME }, lookup, { id: 'a' }, logger);
    expect(found.peers).toEqual([{ id: 'b', url: 'ws://10.0.0.2:7002' }, { id: 'c', url: 'ws://[fd00::3]:7003' }]);
    expect(found.refreshMs).toBe(7000);
    expect(logger.warnings).toEqual([]);
  });

  it('leaves out malformed targets and bad ports with a warning, and a target without an address by name', async () => {
    const logger = recordingLogger();
    const lookup = fakeLookup({
      srv: [
        { name: 'bad_label!.cloud.internal', port: 7001 },
        { name: '-x.cloud.internal', port: 7001 },
        { name: 'b.cloud.internal', port: 0 },
        { name: 'b.cloud.internal', port: 70_000 },
        { name: 'c.cloud.internal', port: 7003 },
      ],
      hosts: {},
    });
    const found = await discoverPeers({ kind: 'srv', name: NAME }, lookup, { id: 'a' }, logger);
    expect(found.peers).toEqual([{ id: 'c', url: 'ws://c.cloud.internal:7003' }]);
    expect(logger.warnings).toHaveLength(4);
  });

  it('skips this node by its URL too, and its duplicates', async () => {
    const lookup = fakeLookup({ srv: [{ name: 'x.cloud.internal', port: 7001 }, { name: 'b.cloud.internal', port: 7002 }, { name: 'b.other', port: 7009 }], hosts: { 'x.cloud.internal': host('127.0.0.1') } });
    const found = await discoverPeers({ kind: 'srv', name: NAME }, lookup, { id: 'a', url: 'ws://127.0.0.1:7001' }, recordingLogger());
    expect(found.peers).toEqual([{ id: 'b', url: 'ws://b.cloud.internal:7002' }]);
  });

  it('names A/AAAA peers by address and clamps the TTL to [1 s, 60 s]', async () => {
    const lookup: PeerLookup = {
      srv: async () => [],
      addresses: async () => [{ address: '10.0.0.7', ttl: 0 }, { address: 'fd00::8', ttl: 0 }, { address: 'nonsense', ttl: 0 }],
    };
    const logger = recordingLogger();
    const found = await discoverPeers({ kind: 'a', name: 'gridlink.svc', port: 7001 }, lookup, { id: 'a' }, logger);
    expect(found.peers).toEqual([{ id: '10-0-0-7', url: 'ws://10.0.0.7:7001' }, { id: 'fd00--8', url: 'ws://[fd00::8]:7001' }]);
    expect(found.refreshMs).toBe(1000);
    expect(logger.warnings).toHaveLength(1);
    const long: PeerLookup = { srv: async () => [], addresses: async () => [{ address: '10.0.0.7', ttl: 86_400 }] };
    expect((await discoverPeers({ kind: 'a', name: 'gridlink.svc', port: 7001 }, long, { id: 'a' }, logger)).refreshMs).toBe(60_000);
  });

  it(`keeps at most ${MAX_DISCOVERED_PEERS} peers`, async () => {
    const lookup: PeerLookup = { srv: async () => [], addresses: async () => Array.from({ length: 100 }, (_, i) => ({ address: `10.0.${i}.1`, ttl: 5 })) };
    const logger = recordingLogger();
    const found = await discoverPeers({ kind: 'a', name: 'gridlink.svc', port: 7001 }, lookup, { id: 'a' }, logger);
    expect(found.peers).toHaveLength(MAX_DISCOVERED_PEERS);
    expect(logger.warnings).toEqual(['peer discovery: too many peers; ignoring the rest']);
  });
});

it('asks for the addresses of a bounded number of SRV targets', async () => {
  let asked = 0;
  const lookup: PeerLookup = {
    srv: async () => Array.from({ length: 1000 }, (_, i) => ({ name: `n${i}.cloud.internal`, port: 7000 })),
    addresses: async () => (asked++, []),
  };
  const found = await discoverPeers({ kind: 'srv', name: NAME }, lookup, { id: 'a' }, recordingLogger());
  expect(asked).toBe(2 * MAX_DISCOVERED_PEERS);
  expect(found.peers).toHaveLength(MAX_DISCOVERED_PEERS);
});

describe('PeerSource', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('re-resolves on the TTL and reports only changes', async () => {
    const zone: Zone = { srv: [{ name: 'b.cloud.internal', port: 7002 }], hosts: { 'b.cloud.internal': host('10.0.0.2', 2) } };
    const lookup = fakeLookup(zone);
    const sets: NodeInfo[][] = [];
    const source = new PeerSource({ spec: { kind: 'srv', name: NAME }, lookup, self: { id: 'a' }, logger: recordingLogger(), onPeers: (peers) => void sets.push(peers) });
    await source.start();
    expect(sets).toEqual([[{ id: 'b', url: 'ws://10.0.0.2:7002' }]]);
    await vi.advanceTimersByTimeAsync(1999);
    expect(lookup.asked).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(lookup.asked).toBe(2);
    expect(sets).toHaveLength(1);
    zone.srv = [{ name: 'b.cloud.internal', port: 7002 }, { name: 'c.cloud.internal', port: 7003 }];
    zone.hosts['c.cloud.internal'] = host('10.0.0.3', 2);
    await vi.advanceTimersByTimeAsync(2000);
    expect(sets.at(-1)?.map((peer) => peer.id)).toEqual(['b', 'c']);
    zone.srv = [{ name: 'b.cloud.internal', port: 7002 }];
    await vi.advanceTimersByTimeAsync(2000);
    expect(sets.map((set) => set.map((peer) => peer.id))).toEqual([['b'], ['b', 'c'], ['b']]);
    source.stop();
    await vi.advanceTimersByTimeAsync(120_000);
    expect(lookup.asked).toBe(4);
  });

  it('keeps the last good set through failures and empty answers, retrying with backoff', async () => {
    const zone: Zone = { srv: [{ name: 'b.cloud.internal', port: 7002 }], hosts: { 'b.cloud.internal': host('10.0.0.2', 1) } };
    const lookup = fakeLookup(zone);
    const sets: NodeInfo[][] = [];
    const logger = recordingLogger();
    const source = new PeerSource({ spec: { kind: 'srv', name: NAME }, lookup, self: { id: 'a' }, logger, onPeers: (peers) => void sets.push(peers) });
    await source.start();
    zone.srv = new Error('queryTimeout');
    const askedAt: number[] = [];
    const start = Date.now();
    for (let i = 0; i < 8; i++) {
      const before = lookup.asked;
      while (lookup.asked === before) await vi.advanceTimersByTimeAsync(100);
      askedAt.push(Date.now() - start);
    }
    // 1 s (the TTL), then retries after 1, 2, 4, 8, 16, 30, 30 s.
    expect(askedAt).toEqual([1000, 2000, 4000, 8000, 16_000, 32_000, 62_000, 92_000]);
    zone.srv = [];
    await vi.advanceTimersByTimeAsync(30_000);
    expect(sets).toEqual([[{ id: 'b', url: 'ws://10.0.0.2:7002' }]]);
    expect(source.peers).toEqual([{ id: 'b', url: 'ws://10.0.0.2:7002' }]);
    expect(logger.warnings.every((w) => w === 'peer discovery failed; keeping the last peers')).toBe(true);
    zone.srv = [{ name: 'c.cloud.internal', port: 7003 }];
    await vi.advanceTimersByTimeAsync(30_000);
    expect(sets.at(-1)).toEqual([{ id: 'c', url: 'ws://c.cloud.internal:7003' }]);
    source.stop();
  });

  it('survives a throwing hook', async () => {
    const lookup = fakeLookup({ srv: [{ name: 'b.x', port: 1 }], hosts: {} });
    const source = new PeerSource({ spec: { kind: 'srv', name: NAME }, lookup, self: { id: 'a' }, logger: recordingLogger(), onPeers: () => { throw new Error('boom'); } });
    await expect(source.start()).resolves.toBeUndefined();
    source.stop();
  });
});

describe('PeerMonitor.setPeers', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('dials a new peer, which joins once heard; drops a removed one at once', () => {
    const t = setupMonitor({ peers: [B] });
    t.monitor.start();
    bringUp(t.socketOf(B.url));
    expect(t.monitor.alive()).toEqual(['b']);
    t.monitor.setPeers([{ id: 'a', url: 'ws://self:1' }, B, C]);
    expect(t.monitor.alive()).toEqual(['b']);
    bringUp(t.socketOf(C.url));
    expect(t.monitor.alive()).toEqual(['b', 'c']);
    t.monitor.setPeers([C]);
    expect(t.monitor.alive()).toEqual(['c']);
    expect(t.socketOf(B.url).terminated).toBe(true);
    expect(t.linkDowns).toContain('b');
    expect(t.seq('standing', 'b').at(-1)).toBe('alive>stopped:stop');
    expect(t.aliveSets).toEqual([['b'], ['b', 'c'], ['c']]);
    // A removed peer's late frames and drains change nothing.
    t.monitor.noteDrain('b');
    expect(t.monitor.alive()).toEqual(['c']);
    expect(t.monitor.states()).toHaveLength(1);
    t.monitor.stop();
    t.monitor.setPeers([B]);
    expect(t.monitor.states()).toHaveLength(1);
  });

  it('replaces a peer whose URL changed', () => {
    const t = setupMonitor({ peers: [B] });
    t.monitor.start();
    bringUp(t.socketOf(B.url));
    t.monitor.setPeers([{ id: 'b', url: 'ws://b2.test:1' }]);
    expect(t.monitor.alive()).toEqual([]);
    bringUp(t.socketOf('ws://b2.test:1'));
    expect(t.monitor.alive()).toEqual(['b']);
    t.monitor.stop();
  });
});

describe('peersFrom as an option and a flag', () => {
  it('normalizes peersFrom and its DNS servers, and refuses bad ones by name', () => {
    const config = normalizeOptions({ id: 'a', peersFrom: `srv:${NAME}`, peersDnsServers: ['127.0.0.1:5353'] });
    expect(config.peerSource).toEqual({ spec: { kind: 'srv', name: NAME }, servers: ['127.0.0.1:5353'] });
    expect(config.peers).toEqual([]);
    expect(normalizeOptions({ id: 'a', peers: [B] }).peerSource).toBeUndefined();
    expect(() => normalizeOptions({ id: 'a', peersFrom: 'dns:x' })).toThrow(/peersFrom/);
    expect(() => normalizeOptions({ id: 'a', peersFrom: `srv:${NAME}`, peers: [B] })).toThrow(/peersFrom/);
    expect(() => normalizeOptions({ id: 'a', peersFrom: `srv:${NAME}`, peersDnsServers: ['dns.google'] })).toThrow(/peersDnsServers\[0\]/);
    expect(() => normalizeOptions({ id: 'a', peersDnsServers: ['127.0.0.1'] })).toThrow(/peersDnsServers/);
  });

  it('reads --peers and --peers-dns-server, from flags and from the config file', () => {
    const parsed = parseNodeArgs(['--id', 'a', '--peers', `srv:${NAME}`, '--peers-dns-server', '127.0.0.1:5353']);
    expect(parsed.kind === 'run' && [parsed.options.peersFrom, parsed.options.peersDnsServers]).toEqual([`srv:${NAME}`, ['127.0.0.1:5353']]);
    if (parsed.kind !== 'run') throw new Error('not run');
    const options = serverOptions(parsed.options, undefined);
    expect([options.peersFrom, options.peersDnsServers]).toEqual([`srv:${NAME}`, ['127.0.0.1:5353']]);
    expect(normalizeOptions(options).peerSource?.servers).toEqual(['127.0.0.1:5353']);
    const file = parseNodeArgs(['--config', 'node.yaml'], () => `id: a\npeers: a:gridlink.svc:7001\n`);
    expect(file.kind === 'run' && file.options.peersFrom).toBe('a:gridlink.svc:7001');
    expect(() => parseNodeArgs(['--id', 'a', '--peers', 'srv:bad name'])).toThrow(/--peers/);
    expect(() => parseNodeArgs(['--id', 'a', '--peers', `srv:${NAME}`, '--peer', 'b=ws://127.0.0.1:1'])).toThrow(/--peer/);
    expect(() => parseNodeArgs(['--id', 'a', '--peers-dns-server', '127.0.0.1'])).toThrow(/needs --peers/);
  });
});
