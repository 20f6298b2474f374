/** The cloud options (`cloud`, `dns`, `scheme`, `port`, `policy: 'latency'`) and the probe's command line. */
import { describe, expect, it } from 'vitest';
import { normalizeCloudOptions, normalizeOptions, type ConnectOptions } from '../../src/client/options.js';
import { OptionsError } from '../../src/core/errors.js';
import { parseProbeArgs } from '../../src/cli/probe-args.js';
import { UsageError } from '../../src/process/args.js';
import { cloudDiscovery } from '../../src/client/cloud-piece.js';
import { createClient } from '../../src/client/create-client.js';
import { browserPlatform } from '../../src/platform/browser/index.js';

function refusal(options: unknown): OptionsError {
  try {
    normalizeOptions(options as ConnectOptions);
  } catch (error) {
    expect(error).toBeInstanceOf(OptionsError);
    expect((error as OptionsError).code).toBe('GRIDLINK_INVALID_OPTION');
    return error as OptionsError;
  }
  throw new Error(`expected ${JSON.stringify(options)} to be refused`);
}

describe('cloud options', () => {
  it('a cloud alone is enough; defaults: wss on 443, the system DNS', () => {
    const o = normalizeOptions({ session: 's', cloud: 'Cloud.Example.COM.' });
    expect(o).toMatchObject({ cloud: 'cloud.example.com', dns: [], scheme: 'wss', port: 443 });
    expect(Object.isFrozen(o.dns)).toBe(true);
  });

  it('ws defaults to port 80; given values are kept', () => {
    expect(normalizeOptions({ session: 's', cloud: 'cloud.test', scheme: 'ws' }).port).toBe(80);
    const o = normalizeOptions({ session: 's', cloud: 'cloud.test', dns: ['127.0.0.1:5353', '10.0.0.1', '[::1]:53', '::1'], scheme: 'ws', port: 7000, policy: 'latency' });
    expect(o).toMatchObject({ dns: ['127.0.0.1:5353', '10.0.0.1', '[::1]:53', '::1'], port: 7000, policy: 'latency' });
  });

  it.each<[string, unknown]>([
    ['cloud', { session: 's', cloud: '' }],
    ['cloud', { session: 's', cloud: 'bad name.test' }],
    ['cloud', { session: 's', cloud: 'a..b' }],
    ['cloud', { session: 's', cloud: 42 }],
    ['cloud', { session: 's', cloud: 'x'.repeat(64) + '.test' }],
    ['dns', { session: 's', cloud: 'c.test', dns: '127.0.0.1' }],
    ['dns[0]', { session: 's', cloud: 'c.test', dns: ['dns.google'] }],
    ['dns[1]', { session: 's', cloud: 'c.test', dns: ['127.0.0.1', '127.0.0.1:0'] }],
    ['dns[0]', { session: 's', cloud: 'c.test', dns: ['256.1.1.1'] }],
    ['dns[0]', { session: 's', cloud: 'c.test', dns: ['127.0.0.1:99999'] }],
    ['dns', { session: 's', nodes: ['ws://a/'], dns: ['127.0.0.1'] }],
    ['scheme', { session: 's', cloud: 'c.test', scheme: 'http' }],
    ['port', { session: 's', cloud: 'c.test', port: 0 }],
    ['port', { session: 's', cloud: 'c.test', port: 65536 }],
    ['port', { session: 's', cloud: 'c.test', port: 1.5 }],
    ['policy', { session: 's', cloud: 'c.test', policy: 'closest' }],
  ])('%s is refused, naming it', (name, options) => {
    const message = refusal(options).message;
    expect(message.startsWith(name)).toBe(true);
  });

  it('nothing to find the cloud with names all three ways', () => {
    expect(refusal({ session: 's' }).message).toMatch(/nodes, cloud, discovery or resolver/);
  });

  it('normalizeCloudOptions (createCloudResolver) shares the checks', () => {
    expect(normalizeCloudOptions({ cloud: 'cloud.test', scheme: 'ws' })).toEqual({ cloud: 'cloud.test', dns: [], doh: [], timeoutMs: 2000, scheme: 'ws', port: 80, maxNodes: 64 });
    expect(() => normalizeCloudOptions({ cloud: 'cloud.test', dns: ['x'] })).toThrow(/^dns\[0\]/);
  });

  it('a platform without DNS refuses cloud at connect(), without a network attempt', () => {
    expect(() => createClient(browserPlatform, { session: 's', cloud: 'cloud.test' }, [cloudDiscovery])).toThrow(/cloud needs DNS/);
  });
});

describe('gridlink probe arguments', () => {
  it('takes the cloud and the flags', () => {
    expect(parseProbeArgs(['cloud.test', '--dns', '127.0.0.1:5353', '--dns', '127.0.0.1:5354', '--session', 'room', '--scheme', 'ws', '--timeout', '500'])).toEqual({
      kind: 'run',
      options: { cloud: 'cloud.test', dns: ['127.0.0.1:5353', '127.0.0.1:5354'], doh: [], scheme: 'ws', schemeGiven: true, port: 80, maxNodes: 64, session: 'room', timeoutMs: 500 },
    });
    expect(parseProbeArgs(['Cloud.Test.'])).toEqual({ kind: 'run', options: { cloud: 'cloud.test', dns: [], doh: [], scheme: 'wss', schemeGiven: false, port: 443, maxNodes: 64, timeoutMs: 2000 } });
    expect(parseProbeArgs(['cloud.test', '--port', '8443'])).toMatchObject({ options: { port: 8443 } });
    expect(parseProbeArgs(['--help'])).toEqual({ kind: 'help' });
  });

  it.each<[string[], RegExp]>([
    [[], /needs the cloud name/],
    [['a.test', 'b.test'], /unexpected argument 'b.test'/],
    [['a.test', '--dns', 'dns.google'], /^--dns must be an IP/],
    [['bad name'], /^<cloud> must be a DNS name/],
    [['a.test', '--scheme', 'http'], /--scheme must be ws or wss/],
    [['a.test', '--port', '0'], /--port must be an integer/],
    [['a.test', '--timeout', 'soon'], /--timeout must be an integer/],
    [['a.test', '--session', ''], /--session must be 1-128/],
    [['a.test', '--bogus'], /bogus/],
  ])('%j is a usage error', (argv, message) => {
    let error: unknown;
    try {
      parseProbeArgs(argv);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toMatch(message);
  });
});
