/**
 * DNS-over-HTTPS and the discovery document, both ends on loopback in-process: the node's HTTP
 * routes (answers, status codes, CORS, cache lifetimes) and the client's resolvers that read them
 * (glue saves requests, a dead endpoint is skipped, bad documents are typed errors). The pure parts
 * (document parsing, option checks) are in test/unit/doh-discovery.test.ts.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as dnsPacket from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodePlatform } from '../../src/platform/node/index.js';
import { dnsResolver } from '../../src/resolve/dns.js';
import { dohLookup } from '../../src/resolve/doh.js';
import { discoverySource } from '../../src/resolve/discovery.js';
import { startDnsServer, type DnsServer } from '../../src/server/dns/server.js';
import type { CloudNode } from '../../src/server/dns/view.js';
import { discoveryDocument } from '../../src/server/http/discovery.js';
import { handleRequest } from '../../src/server/http/routes.js';

const nodes: CloudNode[] = [
  { id: 'a', address: '127.0.0.1', port: 7001, load: { links: 9, sessions: 1 }, healthy: true },
  { id: 'b', address: '127.0.0.2', port: 7002, load: { links: 0, sessions: 0 }, healthy: true },
  { id: 'c', address: '127.0.0.3', port: 7003, load: { links: 0, sessions: 0 }, healthy: false },
];
const urls = nodes.map((n) => ({ id: n.id, url: `ws://127.0.0.1:${n.port}/` }));
const heartbeat = { intervalMs: 1000, timeoutMs: 10_000 };

let dns: DnsServer;
let http: Server;
let base: string;
let requests: string[] = [];

beforeAll(async () => {
  dns = await startDnsServer({ zone: 'cloud.test', view: { snapshot: () => ({ nodes, self: 'a' }) } });
  http = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    handleRequest(req, res, {
      id: 'a',
      running: () => true,
      load: () => ({ links: 0, sessions: 0 }),
      hostOf: () => urls[0] as { id: string; url: string },
      dnsAddress: () => dns.address,
      dnsQuery: (query, source) => dns.query(query, source),
      discovery: (source) => discoveryDocument({ nodes, self: 'a' }, { nodes: urls, heartbeat, cloud: 'cloud.test', ttlSec: 5, source }),
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => http.close(() => resolve()));
  await dns.close();
});

const query = (name: string, type: 'A' | 'SRV' = 'A') => dnsPacket.encode({ type: 'query', id: 0, flags: dnsPacket.RECURSION_DESIRED, questions: [{ name, type, class: 'IN' }] });
const get = nodePlatform.fetch as NonNullable<typeof nodePlatform.fetch>;

describe('node routes: /dns-query', () => {
  it('GET answers in wire format with CORS and max-age = the smallest TTL', async () => {
    const res = await fetch(`${base}/dns-query?dns=${query('_gridlink._tcp.cloud.test', 'SRV').toString('base64url')}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/dns-message');
    expect(res.headers.get('cache-control')).toBe('max-age=5');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
    const packet = dnsPacket.decode(Buffer.from(await res.arrayBuffer()));
    expect((packet.answers ?? []).map((a) => (a as { data: { target: string } }).data.target)).toEqual(['b.cloud.test', 'a.cloud.test']);
  });

  it('POST with application/dns-message answers the same; NXDOMAIN is cached for the negative TTL', async () => {
    const res = await fetch(`${base}/dns-query`, { method: 'POST', headers: { 'content-type': 'application/dns-message' }, body: new Uint8Array(query('nope.cloud.test')) });
    expect(res.status).toBe(200);
    expect((dnsPacket.decode(Buffer.from(await res.arrayBuffer())) as { rcode?: string }).rcode).toBe('NXDOMAIN');
    expect(res.headers.get('cache-control')).toBe('max-age=5');
  });

  it('requests without a DNS query get HTTP errors; a preflight is answered', async () => {
    expect((await fetch(`${base}/dns-query?dns=***`)).status).toBe(400);
    expect((await fetch(`${base}/dns-query`)).status).toBe(400);
    expect((await fetch(`${base}/dns-query`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' })).status).toBe(415);
    expect((await fetch(`${base}/dns-query`, { method: 'POST', headers: { 'content-type': 'application/dns-message' }, body: new Uint8Array(5000) })).status).toBe(413);
    expect((await fetch(`${base}/dns-query`, { method: 'PUT', body: 'x' })).status).toBe(405);
    const preflight = await fetch(`${base}/dns-query`, { method: 'OPTIONS', headers: { origin: 'http://page.test', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('content-type');
  });
});

describe('node routes: /.well-known/gridlink', () => {
  it('lists healthy nodes best first (least loaded), then the others, with CORS and max-age', async () => {
    const res = await fetch(`${base}/.well-known/gridlink`);
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('cache-control')).toBe('max-age=5');
    const body = (await res.json()) as { cloud: string; ttl: number; heartbeat: unknown; nodes: Array<{ id: string; healthy: boolean; load: unknown }> };
    expect(body).toMatchObject({ cloud: 'cloud.test', ttl: 5, heartbeat });
    expect(body.nodes.map((n) => [n.id, n.healthy])).toEqual([['b', true], ['a', true], ['c', false]]);
    expect(body.nodes[1]?.load).toEqual({ links: 9, sessions: 1 });
  });
});

describe('client: DoH lookup', () => {
  it('resolves SRV then addresses through glue: one request for the whole cloud', async () => {
    requests = [];
    const lookup = dohLookup({ endpoints: [`${base}/dns-query`], get, timeoutMs: 2000, now: () => performance.now() });
    const answer = await dnsResolver(lookup, { cloud: 'cloud.test', scheme: 'ws', port: 80, maxNodes: 8 }).lookup(new AbortController().signal);
    expect(answer.nodes).toEqual([
      { id: 'b', url: 'ws://b.cloud.test:7002/', address: '127.0.0.2' },
      { id: 'a', url: 'ws://a.cloud.test:7001/', address: '127.0.0.1' },
    ]);
    expect(answer.ttlMs).toBe(5000);
    expect(requests).toHaveLength(1);
  });

  it('skips a dead endpoint and keeps using the one that answered', async () => {
    const dead = createServer();
    await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve));
    const deadUrl = `http://127.0.0.1:${(dead.address() as AddressInfo).port}/dns-query`;
    await new Promise<void>((resolve) => dead.close(() => resolve()));
    requests = [];
    const lookup = dohLookup({ endpoints: [deadUrl, `${base}/dns-query`], get, timeoutMs: 2000, now: () => performance.now() });
    const signal = new AbortController().signal;
    expect(await lookup.a('b.cloud.test', signal)).toEqual([{ address: '127.0.0.2', ttl: 5 }]);
    expect(await lookup.a('a.cloud.test', signal)).toEqual([{ address: '127.0.0.1', ttl: 5 }]);
    expect(requests).toHaveLength(2);
  });

  it('NXDOMAIN is GRIDLINK_NO_NODES; a non-DoH endpoint is GRIDLINK_PROTOCOL', async () => {
    const signal = new AbortController().signal;
    const lookup = dohLookup({ endpoints: [`${base}/dns-query`], get, timeoutMs: 2000, now: () => performance.now() });
    await expect(lookup.a('zz.cloud.test', signal)).rejects.toMatchObject({ code: 'GRIDLINK_NO_NODES' });
    const wrong = dohLookup({ endpoints: [`${base}/healthz`], get, timeoutMs: 2000, now: () => performance.now() });
    await expect(wrong.a('a.cloud.test', signal)).rejects.toMatchObject({ code: 'GRIDLINK_PROTOCOL' });
  });
});

describe('client: discovery documents', () => {
  it('reads the nodes a node lists, healthy ones only, in order', async () => {
    const source = discoverySource({ urls: [`${base}/.well-known/gridlink`], get, timeoutMs: 2000, maxNodes: 8 });
    const answer = await source.lookup(new AbortController().signal);
    expect(answer.nodes.map((n) => n.id)).toEqual(['b', 'a']);
    expect(answer.ttlMs).toBe(5000);
  });
});
