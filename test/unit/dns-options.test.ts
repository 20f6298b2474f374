/** Options, flags and frames of the DNS half: every mistake fails fast, naming the option. */
import { describe, expect, it } from 'vitest';
import { parseCloudArgs } from '../../src/cli/cloud-args.js';
import { dnsLines } from '../../src/cli/cloud-command.js';
import { UsageError } from '../../src/process/args.js';
import { parseNodeArgs } from '../../src/cli/node-args.js';
import { listeningRecord } from '../../src/cloud/child-node.js';
import { normalizeCloudOptions } from '../../src/cloud/local-cloud-options.js';
import { OptionsError } from '../../src/core/errors.js';
import { NodeCloudView, urlEndpoint } from '../../src/server/peers/cloud-view.js';
import { normalizeDnsOptions } from '../../src/server/dns/options.js';
import { inSubnets, parseCidr } from '../../src/server/dns/subnets.js';
import { normalizeOptions } from '../../src/server/node/options.js';
import { decodePeerFrame } from '../../src/server/peers/frames.js';

const view = { snapshot: () => ({ nodes: [] }) };

describe('startDnsServer options', () => {
  it('defaults', () => {
    expect(normalizeDnsOptions({ zone: 'Cloud.Test.', view })).toMatchObject({ zone: 'cloud.test', port: 0, host: '127.0.0.1', ttlSec: 5, negativeTtlSec: 5 });
  });

  it.each([
    [{ zone: '', view }, 'zone'],
    [{ zone: 'bad zone', view }, 'zone'],
    [{ zone: 'cloud.test', view, host: 'localhost' }, 'host'],
    [{ zone: 'cloud.test', view, port: 70000 }, 'port'],
    [{ zone: 'cloud.test', view, ttlSec: -1 }, 'ttlSec'],
    [{ zone: 'cloud.test', view, ttlSec: 1.5 }, 'ttlSec'],
    [{ zone: 'cloud.test', view: {} }, 'view'],
  ])('%o fails naming %s', (options, name) => {
    expect(() => normalizeDnsOptions(options as never)).toThrow(OptionsError);
    expect(() => normalizeDnsOptions(options as never)).toThrow(name);
  });
});

describe('node options for DNS', () => {
  it('cloud turns DNS on, beside the node by default', () => {
    const config = normalizeOptions({ id: 'a', host: '127.0.0.1', cloud: 'cloud.test', dnsPort: 5353, address: '10.0.0.1', region: 'eu', subnets: ['10.0.0.0/8'] });
    expect(config.dns).toEqual({ zone: 'cloud.test', port: 5353, host: '127.0.0.1', ttlSec: 5 });
    expect(config).toMatchObject({ address: '10.0.0.1', region: 'eu', subnets: ['10.0.0.0/8'] });
    expect(normalizeOptions({ id: 'a' }).dns).toBeUndefined();
  });

  it.each([
    [{ id: 'a', dnsPort: 53 }, 'dnsPort is set but cloud is not'],
    [{ id: 'a', cloud: 'not a zone' }, 'cloud'],
    [{ id: 'a.b', cloud: 'cloud.test' }, 'id'],
    [{ id: 'a', cloud: 'cloud.test', peers: [{ id: '_x', url: 'ws://10.0.0.2:1' }] }, 'peers[].id'],
    [{ id: 'a', cloud: 'cloud.test', host: 'localhost' }, 'dnsHost'],
    [{ id: 'a', cloud: 'cloud.test', dnsTtlSec: -5 }, 'dnsTtlSec'],
    [{ id: 'a', address: 'example.com' }, 'address'],
    [{ id: 'a', subnets: ['10.0.0.0/33'] }, 'subnets[0]'],
    [{ id: 'a', region: '' }, 'region'],
  ])('%o fails naming %s', (options, name) => {
    expect(() => normalizeOptions(options as never)).toThrow(OptionsError);
    expect(() => normalizeOptions(options as never)).toThrow(name);
  });
});

describe('command lines', () => {
  it('gridlink node --cloud … --dns-port … --subnet …', () => {
    const parsed = parseNodeArgs(['--id', 'a', '--cloud', 'cloud.test', '--dns-port', '5353', '--dns-host', '0.0.0.0', '--address', '10.0.0.1', '--region', 'eu', '--subnet', '10.1.0.0/16', '--subnet', '10.2.0.0/16']);
    expect(parsed).toMatchObject({ kind: 'run', options: { cloud: 'cloud.test', dnsPort: 5353, dnsHost: '0.0.0.0', address: '10.0.0.1', region: 'eu', subnets: ['10.1.0.0/16', '10.2.0.0/16'] } });
    for (const [argv, message] of [
      [['--id', 'a', '--dns-port', '53'], '--dns-port needs --cloud'],
      [['--id', 'a', '--cloud', 'x y'], '--cloud'],
      [['--id', 'a', '--address', 'host'], '--address'],
      [['--id', 'a', '--subnet', '10.0.0.0'], undefined],
      [['--id', 'a', '--subnet', 'nope'], '--subnet'],
    ] as Array<[string[], string | undefined]>) {
      if (message === undefined) expect(() => parseNodeArgs(argv)).not.toThrow();
      else expect(() => parseNodeArgs(argv)).toThrow(message);
    }
  });

  it('gridlink cloud --cloud … --dns-port …', () => {
    expect(parseCloudArgs(['--cloud', 'cloud.test', '--dns-port', '5353'])).toMatchObject({ kind: 'run', options: { cloud: 'cloud.test', dnsPort: 5353 } });
    expect(() => parseCloudArgs(['--dns-port', '5353'])).toThrow(UsageError);
    expect(() => parseCloudArgs(['--cloud', 'cloud.test', '--dns-port', '65535'])).toThrow('--dns-port');
    expect(dnsLines('cloud.test', ['127.0.0.1:5353', '127.0.0.1:5354'])).toBe(
      'DNS for cloud.test (UDP and TCP): 127.0.0.1:5353 127.0.0.1:5354\nTry: dig @127.0.0.1 -p 5353 _gridlink._tcp.cloud.test SRV\n',
    );
  });

  it('local cloud options', () => {
    expect(normalizeCloudOptions({ cloud: 'Cloud.Test', dnsPort: 5353 })).toMatchObject({ zone: 'cloud.test', dnsPort: 5353 });
    expect(() => normalizeCloudOptions({ dnsPort: 5353 })).toThrow('dnsPort is set but cloud is not');
    expect(() => normalizeCloudOptions({ cloud: 'cloud.test', ids: ['a.b'] })).toThrow('DNS label');
  });

  it('the listening record carries the DNS address', () => {
    expect(listeningRecord('{"event":"listening","id":"a","port":4242,"url":"ws://x","dns":"127.0.0.1:5353"}', 'a')).toEqual({ port: 4242, dns: '127.0.0.1:5353' });
    expect(listeningRecord('{"event":"listening","id":"a","port":4242}', 'a')).toEqual({ port: 4242, dns: undefined });
  });
});

describe('the load peer frame', () => {
  it('decodes strictly', () => {
    expect(decodePeerFrame('{"t":"load","links":3,"sessions":1}')).toEqual({ t: 'load', links: 3, sessions: 1 });
    expect(decodePeerFrame('{"t":"load","links":0,"sessions":0,"address":"::1","region":"eu","subnets":["10.0.0.0/8"]}')).toMatchObject({ address: '::1', subnets: ['10.0.0.0/8'] });
    for (const bad of ['{"t":"load","links":-1,"sessions":0}', '{"t":"load","links":1}', '{"t":"load","links":1,"sessions":0,"address":"host"}', '{"t":"load","links":1,"sessions":0,"subnets":["x"]}']) {
      expect(() => decodePeerFrame(bad), bad).toThrow();
    }
  });

  it('feeds the node view: self unless draining, peers while alive, with their reported loads', () => {
    let running = true;
    let alive = ['b'];
    const v = new NodeCloudView({
      self: { id: 'a', url: 'ws://10.0.0.1:7001' },
      peers: [{ id: 'b', url: 'wss://b.example.com' }, { id: 'c', url: 'ws://[fd00::3]:7003' }],
      place: { region: 'eu' },
      load: () => ({ links: 2, sessions: 1 }),
      running: () => running,
      alivePeers: () => alive,
      settled: () => true,
    });
    v.noteLoad('b', { t: 'load', links: 5, sessions: 2, address: '10.0.0.2' });
    v.noteLoad('zz', { t: 'load', links: 5, sessions: 2 }); // not a peer: ignored
    expect(v.snapshot()).toMatchObject({
      self: 'a',
      nodes: [
        { id: 'a', address: '10.0.0.1', port: 7001, load: { links: 2, sessions: 1 }, region: 'eu', healthy: true, draining: false },
        { id: 'b', address: '10.0.0.2', port: 443, load: { links: 5, sessions: 2 }, healthy: true },
        { id: 'c', address: 'fd00::3', port: 7003, load: { links: 0, sessions: 0 }, healthy: false },
      ],
    });
    expect(v.ownLoad()).toEqual({ t: 'load', links: 2, sessions: 1, region: 'eu' });
    running = false;
    alive = [];
    expect(v.snapshot().nodes.map((n) => n.healthy)).toEqual([false, false, false]);
  });
});

describe('subnets', () => {
  it('parses and matches CIDR blocks, v4, v6 and v4-mapped', () => {
    expect(parseCidr('10.1.0.0/16')).toEqual({ address: '10.1.0.0', prefix: 16, family: 'ipv4' });
    expect(parseCidr('2001:db8::/32')).toMatchObject({ prefix: 32, family: 'ipv6' });
    expect(parseCidr('10.0.0.1')).toMatchObject({ prefix: 32 });
    for (const bad of ['10.0.0.0/33', 'x/8', '10.0.0.0/', '10.0.0.0/8/8']) expect(parseCidr(bad), bad).toBeUndefined();
    expect(inSubnets('10.1.2.3', ['192.0.2.0/24', '10.1.0.0/16'])).toBe(true);
    expect(inSubnets('::ffff:10.1.2.3', ['10.1.0.0/16'])).toBe(true);
    expect(inSubnets('2001:db8:5::1', ['2001:db8::/32'])).toBe(true);
    expect(inSubnets('10.2.0.1', ['10.1.0.0/16'])).toBe(false);
    expect(urlEndpoint('ws://example.com')).toEqual({ address: undefined, port: 80 });
  });
});
