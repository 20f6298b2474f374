/**
 * Every options normalizer refuses a key it does not know, naming it with its path and, when one
 * is close, the key that was likely meant; and every documented key is still accepted. The
 * "documented" lists are samples typed `Required<…>` (and the nested groups too), so a key added
 * to an options type fails to compile here until it is accepted here as well.
 */
import { describe, expect, it } from 'vitest';
import { normalizeCloudOptions as normalizeResolverOptions, normalizeOptions as normalizeConnectOptions, type CloudResolverOptions, type ConnectOptions } from '../../src/client/options.js';
import { Client, type SendOptions } from '../../src/client/client.js';
import { logging } from '../../src/client/pieces.js';
import { normalizeCloudOptions as normalizeLocalCloudOptions, type LocalCloudOptions } from '../../src/cloud/local-cloud-options.js';
import { normalizeFaultProxyOptions, type FaultProxyOptions, type FaultTarget } from '../../src/cloud/fault-proxy.js';
import { OptionsError } from '../../src/core/errors.js';
import type { CooldownSettings } from '../../src/core/cooldown.js';
import type { Logger } from '../../src/core/logger.js';
import type { RetrySettings } from '../../src/core/retry.js';
import type { HeartbeatSettings, NodeInfo } from '../../src/protocol/frames.js';
import { normalizeDnsOptions, type DnsServerOptions } from '../../src/server/dns/options.js';
import { normalizeOptions as normalizeNodeOptions, type NodeServerOptions } from '../../src/server/node/options.js';
import type { Session } from '../../src/session/session.js';

/** The error `run` throws; fails the test when it throws nothing or something untyped. */
function refusal(run: () => unknown): OptionsError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(OptionsError);
    return error as OptionsError;
  }
  throw new Error('expected a refusal');
}

function unknownKey(run: () => unknown): string {
  const error = refusal(run);
  expect(error.code).toBe('GRIDLINK_INVALID_OPTION');
  return error.message;
}

const logger: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
const heartbeat: Required<HeartbeatSettings> = { intervalMs: 200, timeoutMs: 1000 };

describe('connect() options', () => {
  const base: ConnectOptions = { session: 's', nodes: ['ws://a.test/'] };
  const connect = (extra: Record<string, unknown>) => () => normalizeConnectOptions({ ...base, ...extra } as ConnectOptions);

  it('an unknown top-level key fails, naming it and the likely key', () => {
    expect(unknownKey(connect({ timeout: 500 }))).toBe(`unknown option 'timeout' (did you mean 'connectTimeoutMs'?)`);
    expect(unknownKey(connect({ sesion: 's' }))).toBe(`unknown option 'sesion' (did you mean 'session'?)`);
  });

  it('an unknown nested key fails with its path and the likely key', () => {
    expect(unknownKey(connect({ heartbeat: { interval: 500 } }))).toBe(`unknown option 'heartbeat.interval' (did you mean 'heartbeat.intervalMs'?)`);
    expect(unknownKey(connect({ retry: { maxElapsed: 1000 } }))).toBe(`unknown option 'retry.maxElapsed' (did you mean 'retry.maxElapsedMs'?)`);
    expect(unknownKey(connect({ cooldown: { maxms: 10 } }))).toBe(`unknown option 'cooldown.maxms' (did you mean 'cooldown.maxMs'?)`);
    expect(unknownKey(connect({ tls: { cas: 'x' } }))).toBe(`unknown option 'tls.cas' (did you mean 'tls.ca'?)`);
    expect(unknownKey(connect({ nodes: [{ id: 'a', url: 'ws://a.test/', cookei: 'S=1' }] }))).toBe(`unknown option 'nodes[0].cookei' (did you mean 'nodes[0].cookie'?)`);
  });

  it('an unknown key with nothing close fails without a guess', () => {
    expect(unknownKey(connect({ retry: { jitter: true } }))).toBe(`unknown option 'retry.jitter'`);
    expect(unknownKey(connect({ verbose: true }))).toBe(`unknown option 'verbose'`);
  });

  it('accepts every documented key, each on its own', () => {
    const sample: Required<ConnectOptions> & {
      heartbeat: Required<HeartbeatSettings>;
      retry: Required<RetrySettings>;
      cooldown: Required<CooldownSettings>;
      tls: Required<NonNullable<ConnectOptions['tls']>>;
    } = {
      session: 's',
      nodes: [{ id: 'a', url: 'ws://a.test/', cookie: 'S=1' }],
      resolver: { resolve: async () => [] },
      cloud: 'cloud.test',
      dns: ['127.0.0.1:5353'],
      doh: 'https://a.test/dns-query',
      discovery: ['https://a.test/.well-known/gridlink'],
      scheme: 'ws',
      port: 8080,
      allowHosts: ['b.test'],
      clientId: 'me',
      policy: 'round-robin',
      heartbeat,
      connectTimeoutMs: 1000,
      staggerMs: 50,
      maxRedirects: 2,
      retry: { minDelayMs: 10, maxDelayMs: 100, factor: 3, maxElapsedMs: Number.POSITIVE_INFINITY },
      cooldown: { baseMs: 10, maxMs: 100 },
      maxBufferedBytes: 2048,
      maxFrameBytes: 2048,
      ackDelayMs: 5,
      meta: { name: 'Ann' },
      maxNodes: 8,
      maxHeldMessages: 100,
      signal: new AbortController().signal,
      logger,
      token: 'secret-token',
      getToken: () => 'fresh-token',
      tls: { ca: '-----BEGIN CERTIFICATE-----' },
      use: [logging],
    };
    for (const [key, value] of Object.entries(sample)) {
      // `cloud` goes with every key: dns and doh need it; token/getToken and dns/doh exclude each other.
      expect(() => normalizeConnectOptions({ session: 's', cloud: 'cloud.test', [key]: value }), key).not.toThrow();
    }
  });
});

describe('createCloudResolver() options', () => {
  it('refuses unknown keys, with and without a guess, and accepts every documented one', () => {
    const resolver = (extra: Record<string, unknown>) => () => normalizeResolverOptions({ cloud: 'cloud.test', ...extra } as CloudResolverOptions);
    expect(unknownKey(resolver({ timeout: 100 }))).toBe(`unknown option 'timeout' (did you mean 'timeoutMs'?)`);
    expect(unknownKey(resolver({ nodes: ['ws://a/'] }))).toBe(`unknown option 'nodes' (did you mean 'maxNodes'?)`);
    expect(unknownKey(resolver({ session: 's' }))).toBe(`unknown option 'session'`);
    const sample: Required<CloudResolverOptions> = { cloud: 'cloud.test', dns: ['127.0.0.1'], doh: ['https://a.test/dns-query'], timeoutMs: 500, scheme: 'ws', port: 81, maxNodes: 4 };
    for (const [key, value] of Object.entries(sample)) expect(resolver({ [key]: value }), key).not.toThrow();
  });
});

describe('node options', () => {
  const node = (extra: Record<string, unknown>) => () => normalizeNodeOptions({ id: 'a', ...extra } as NodeServerOptions);

  it('an unknown top-level key fails, naming it and the likely key', () => {
    expect(unknownKey(node({ peer: [] }))).toBe(`unknown option 'peer' (did you mean 'peers'?)`);
    expect(unknownKey(node({ drainDeadline: 100 }))).toBe(`unknown option 'drainDeadline' (did you mean 'drainDeadlineMs'?)`);
  });

  it('an unknown nested key fails with its path and the likely key', () => {
    expect(unknownKey(node({ peerHeartbeat: { timeout: 100 } }))).toBe(`unknown option 'peerHeartbeat.timeout' (did you mean 'peerHeartbeat.timeoutMs'?)`);
    expect(unknownKey(node({ proxy: { url: 'wss://p.test', cookies: 'S=1' } }))).toBe(`unknown option 'proxy.cookies' (did you mean 'proxy.cookie'?)`);
    expect(unknownKey(node({ peers: [{ id: 'b', ulr: 'ws://b.test' }] }))).toBe(`unknown option 'peers[0].ulr' (did you mean 'peers[0].url'?)`);
  });

  it('an unknown key with nothing close fails without a guess', () => {
    expect(unknownKey(node({ heartbeat: { jitterMs: 5 } }))).toBe(`unknown option 'heartbeat.jitterMs'`);
  });

  it('accepts every documented key, all at once (peers from DNS replace `peers`: see below)', () => {
    const sample: Required<Omit<NodeServerOptions, 'peersFrom' | 'peersDnsServers'>> & {
      heartbeat: Required<HeartbeatSettings>;
      peerHeartbeat: Required<HeartbeatSettings>;
      peers: Required<NodeInfo>[];
      proxy: Required<NonNullable<NodeServerOptions['proxy']>>;
    } = {
      id: 'a',
      port: 0,
      host: '127.0.0.1',
      url: 'ws://127.0.0.1:4000',
      peers: [{ id: 'b', url: 'ws://127.0.0.1:4001', cookie: 'SRV=S2' }],
      proxy: { url: 'wss://proxy.test', cookie: 'SRV=S1' },
      trustedProxies: ['10.0.0.0/8'],
      secret: 'shared',
      acceptedSecrets: ['previous-shared'],
      publish: { apiKeys: ['backend-key-0123456789'] },
      heartbeat: { intervalMs: 1000, timeoutMs: 5000 },
      peerHeartbeat: { intervalMs: 500, timeoutMs: 1500 },
      memberGraceMs: 1000,
      settleMs: 100,
      maxFrameBytes: 4096,
      maxMetaBytes: 512,
      maxSharedKeys: 10,
      maxSharedBytes: 1000,
      tokenTtlMs: 60_000,
      drainDeadlineMs: 1000,
      cloud: 'cloud.test',
      dnsPort: 5353,
      dnsHost: '127.0.0.1',
      dnsTtlSec: 3,
      address: '10.0.0.1',
      region: 'eu',
      subnets: ['10.1.0.0/16'],
      authenticate: () => true,
      maxJoinsPerSecond: 50,
      logger,
      maxConnectionsPerAddress: 100,
      maxPendingConnections: 50,
      maxPendingConnectionsPerAddress: 20,
      helloTimeoutMs: 2000,
      maxMembersPerSession: 128,
      maxClaimedMembers: 32,
      metrics: { token: 'a-scrape-token-0123456789', processMetrics: true },
    };
    const config = normalizeNodeOptions(sample);
    expect(config).toMatchObject({ url: sample.url, region: 'eu', maxJoinsPerSecond: 50, dns: { zone: 'cloud.test', port: 5353 } });
    expect(config.peers).toEqual(sample.peers);
  });

  it('accepts the peers-from-DNS keys in place of `peers`', () => {
    const config = normalizeNodeOptions({ id: 'a', port: 0, peersFrom: 'srv:_gridlink-peer._tcp.cloud.internal', peersDnsServers: ['127.0.0.1:5353'] });
    expect(config.peers).toEqual([]);
    expect(config.peerSource).toBeDefined();
  });
});

describe('DNS server options', () => {
  const view = { snapshot: () => ({ nodes: [] }) };
  const dns = (extra: Record<string, unknown>) => () => normalizeDnsOptions({ zone: 'cloud.test', view, ...extra } as DnsServerOptions);

  it('refuses unknown keys, with and without a guess, and accepts every documented one', () => {
    expect(unknownKey(dns({ ttl: 5 }))).toBe(`unknown option 'ttl' (did you mean 'ttlSec'?)`);
    expect(unknownKey(dns({ negativeTtl: 5 }))).toBe(`unknown option 'negativeTtl' (did you mean 'negativeTtlSec'?)`);
    expect(unknownKey(dns({ recursion: true }))).toBe(`unknown option 'recursion'`);
    const sample: Required<DnsServerOptions> = {
      zone: 'cloud.test', port: 0, host: '127.0.0.1', ttlSec: 5, negativeTtlSec: 2, view, maxTcpConnections: 10, tcpIdleTimeoutMs: 1000, logger,
      maxTcpConnectionsPerAddress: 4, tcpFirstQueryTimeoutMs: 500,
    };
    expect(normalizeDnsOptions(sample)).toMatchObject({ negativeTtlSec: 2, maxTcpConnections: 10, tcpIdleTimeoutMs: 1000 });
  });
});

describe('local cloud options', () => {
  const cloud = (extra: Record<string, unknown>) => () => normalizeLocalCloudOptions(extra as LocalCloudOptions);

  it('refuses unknown keys, nested ones with their path, with and without a guess', () => {
    expect(unknownKey(cloud({ node: 3 }))).toBe(`unknown option 'node' (did you mean 'nodes'?)`);
    expect(unknownKey(cloud({ heartbeat: { interval: 100 } }))).toBe(`unknown option 'heartbeat.interval' (did you mean 'heartbeat.intervalMs'?)`);
    expect(unknownKey(cloud({ peerHeartbeat: { timout: 100 } }))).toBe(`unknown option 'peerHeartbeat.timout' (did you mean 'peerHeartbeat.timeoutMs'?)`);
    expect(unknownKey(cloud({ haproxy: true }))).toBe(`unknown option 'haproxy'`);
  });

  it('accepts every documented key, all at once', () => {
    const sample: Required<LocalCloudOptions> & { heartbeat: Required<HeartbeatSettings>; peerHeartbeat: Required<HeartbeatSettings> } = {
      nodes: 2,
      ids: ['a', 'b'],
      host: '127.0.0.1',
      secret: 'shared',
      cliPath: '/opt/gridlink/cli.js',
      startTimeoutMs: 5000,
      logger,
      signal: new AbortController().signal,
      cloud: 'Cloud.Test',
      dnsPort: 5353,
      heartbeat: { intervalMs: 100, timeoutMs: 400 },
      peerHeartbeat: { intervalMs: 100, timeoutMs: 400 },
      memberGraceMs: 300,
      settleMs: 50,
      maxJoinsPerSecond: 10,
      maxMetaBytes: 2048,
      maxSharedKeys: 10,
      publish: true,
      maxSharedBytes: 1000,
    };
    expect(normalizeLocalCloudOptions(sample)).toMatchObject({
      ids: ['a', 'b'], zone: 'cloud.test', dnsPort: 5353, cliPath: '/opt/gridlink/cli.js', verbose: true,
      heartbeat: { intervalMs: 100, timeoutMs: 400 }, memberGraceMs: 300, settleMs: 50, maxJoinsPerSecond: 10,
    });
  });
});

describe('fault proxy options', () => {
  const proxy = (extra: Record<string, unknown>) => () => normalizeFaultProxyOptions({ target: { port: 1 }, ...extra } as FaultProxyOptions);

  it('refuses unknown keys, nested ones with their path, with and without a guess', () => {
    expect(unknownKey(proxy({ hots: '127.0.0.1' }))).toBe(`unknown option 'hots' (did you mean 'host'?)`);
    expect(unknownKey(proxy({ target: { prot: 1 } }))).toBe(`unknown option 'target.prot' (did you mean 'target.port'?)`);
    expect(unknownKey(proxy({ latencyMs: 5 }))).toBe(`unknown option 'latencyMs'`);
    expect(proxy({ target: {} })).toThrow(/^target\.port must be an integer 0\.\.65535/);
  });

  it('accepts every documented key', () => {
    const target: Required<FaultTarget> = { host: '127.0.0.2', port: 4000 };
    const sample: Required<FaultProxyOptions> & { target: Required<FaultTarget> } = { target, port: 0, host: '127.0.0.1' };
    expect(normalizeFaultProxyOptions(sample)).toEqual({ target, port: 0, host: '127.0.0.1' });
  });
});

describe('send() options', () => {
  function client(): { client: Client; sent: boolean[] } {
    const sent: boolean[] = [];
    const push = (_data: unknown, volatile: boolean) => sent.push(volatile) > 0;
    const session = { start: () => new Promise<void>(() => {}), send: push, extras: { sendTo: push } };
    return { client: new Client('s', 'me', () => session as unknown as Session), sent };
  }

  it('volatile must be a boolean; a typed error, not a silent reliable send', () => {
    const { client: c, sent } = client();
    const error = refusal(() => c.send('x', { volatile: 'yes' } as unknown as SendOptions));
    expect(error.code).toBe('GRIDLINK_INVALID_ARGUMENT');
    expect(error.message).toMatch(/^volatile must be true or false/);
    expect(sent).toEqual([]);
  });

  it('an unknown send option is refused, with the likely key', () => {
    const { client: c } = client();
    const error = refusal(() => c.send('x', { volatil: true } as unknown as SendOptions));
    expect(error.code).toBe('GRIDLINK_INVALID_ARGUMENT');
    expect(error.message).toBe(`unknown send() option 'volatil' (did you mean 'volatile'?)`);
    expect(refusal(() => c.send('x', { priority: 1 } as unknown as SendOptions)).message).toBe(`unknown send() option 'priority'`);
  });

  it('every documented send option is accepted', () => {
    const { client: c, sent } = client();
    const sample: Required<SendOptions> = { volatile: true, to: 'other' };
    expect(c.send('x', sample)).toBe(true);
    expect(c.send('y')).toBe(true);
    expect(sent).toEqual([true, false]);
  });
});
