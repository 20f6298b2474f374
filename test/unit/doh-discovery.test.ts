/**
 * The pure parts of DoH and discovery: reading a discovery document, and the options that choose
 * them. Both ends on loopback (routes, lookups) are in test/integration/doh-discovery.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { browserPlatform } from '../../src/platform/browser/index.js';
import { cloudDiscovery } from '../../src/client/cloud-piece.js';
import { createClient } from '../../src/client/create-client.js';
import { nodePlatform } from '../../src/platform/node/index.js';
import { parseDiscovery } from '../../src/resolve/discovery.js';

describe('client: discovery documents', () => {
  it('reports bad entries, refuses documents without healthy nodes or without a list', () => {
    const problems: string[] = [];
    const answer = parseDiscovery({ ttl: 1000, nodes: [{ id: 'x', url: 'http://x/' }, 7, { id: 'y', url: 'wss://y.test' }] }, 'u', 8, (e) => problems.push(e.message));
    expect(answer).toEqual({ nodes: [{ id: 'y', url: 'wss://y.test/' }], ttlMs: 60_000 });
    expect(problems).toHaveLength(2);
    expect(() => parseDiscovery({ nodes: [{ id: 'z', url: 'ws://z/', healthy: false }] }, 'u', 8)).toThrow(/no healthy node/);
    expect(() => parseDiscovery('<html>', 'u', 8)).toThrow(expect.objectContaining({ code: 'GRIDLINK_PROTOCOL' }));
  });
});

describe('connect(): doh and discovery options', () => {
  it('fail fast with the option named', () => {
    const bad = (options: Record<string, unknown>) => () => createClient(nodePlatform, { session: 's', ...options }, [cloudDiscovery]);
    expect(bad({ nodes: ['ws://a/'], doh: 'https://x/dns-query' })).toThrow(/doh needs cloud/);
    expect(bad({ cloud: 'c.test', dns: ['127.0.0.1'], doh: 'https://x/dns-query' })).toThrow(/dns or doh/);
    expect(bad({ cloud: 'c.test', doh: 'ftp://x/' })).toThrow(/doh must be an http/);
    expect(bad({ discovery: ['https://x/', 'nope'] })).toThrow(/discovery\[1\] must be an http/);
    expect(bad({ discovery: [] })).toThrow(/discovery must name at least one URL/);
  });

  it('in a browser, cloud needs doh', () => {
    expect(() => createClient(browserPlatform, { session: 's', cloud: 'c.test', use: [cloudDiscovery] })).toThrow(/give doh/);
  });

  it('in the browser core, cloud and discovery need the cloudDiscovery piece, and the error names its import', () => {
    for (const options of [{ cloud: 'c.test', doh: 'https://x/dns-query' }, { discovery: 'https://x/.well-known/gridlink' }]) {
      expect(() => createClient(browserPlatform, { session: 's', ...options })).toThrow(expect.objectContaining({ code: 'GRIDLINK_INVALID_OPTION', message: expect.stringContaining("import { cloudDiscovery } from 'gridlink'") }));
    }
  });
});
