/**
 * The node's Prometheus registry and the `/metrics` option, without sockets: series names, types
 * and labels (docs/operations.md lists the same), values read from the node at scrape time, one
 * registry per node, process series only when asked, and the bearer token.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { createRegistry, type MetricsSource } from '../../src/server/metrics/node-metrics.js';
import { MetricsEndpoint, metricsConfig, metricsEndpoint } from '../../src/server/metrics/serve.js';
import { NodeTally } from '../../src/server/metrics/tally.js';
import { normalizeOptions } from '../../src/server/node/options.js';

function source(id = 'a'): MetricsSource & { tally: NodeTally } {
  const tally = new NodeTally();
  const answered = new Array<number>(16).fill(0);
  answered[0] = 7;
  answered[3] = 2;
  return {
    id,
    tally,
    links: () => 3,
    sessions: () => ({ sessions: 2, members: 5 }),
    counters: () => ({ relayed: 11, migratedIn: 1, migratedOut: 4 }),
    peers: () => [
      { link: 'heard', standing: 'alive' },
      { link: 'heard', standing: 'alive' },
      { link: 'waiting', standing: 'unheard' },
    ],
    dns: () => ({ udp: { answered, dropped: 1 }, tcp: { answered: new Array<number>(16).fill(0), dropped: 0 }, https: { answered: new Array<number>(16).fill(0), dropped: 0 } }),
    draining: () => false,
  };
}

/** `name{labels} value` lines of the text format, as a map. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

const SERIES: Record<string, { type: string; labels: string[] }> = {
  gridlink_client_links: { type: 'gauge', labels: [] },
  gridlink_sessions: { type: 'gauge', labels: [] },
  gridlink_members: { type: 'gauge', labels: [] },
  gridlink_draining: { type: 'gauge', labels: [] },
  gridlink_joins_total: { type: 'counter', labels: [] },
  gridlink_redirects_total: { type: 'counter', labels: ['reason'] },
  gridlink_refusals_total: { type: 'counter', labels: ['code'] },
  gridlink_migrations_in_total: { type: 'counter', labels: [] },
  gridlink_migrations_out_total: { type: 'counter', labels: [] },
  gridlink_relayed_messages_total: { type: 'counter', labels: [] },
  gridlink_relayed_bytes_total: { type: 'counter', labels: [] },
  gridlink_heartbeat_timeouts_total: { type: 'counter', labels: ['link'] },
  gridlink_publish_requests_total: { type: 'counter', labels: ['status'] },
  gridlink_peer_links: { type: 'gauge', labels: ['state'] },
  gridlink_peers: { type: 'gauge', labels: ['standing'] },
  gridlink_dns_queries_total: { type: 'counter', labels: ['transport', 'rcode'] },
};

describe('the node registry', () => {
  it('exports exactly the documented series, with their types and bounded labels (plus node)', async () => {
    const registry = createRegistry(source(), false);
    const metrics = await registry.getMetricsAsJSON();
    // prom-client names counters without `_total` in its JSON; the text format adds it back.
    const byName = new Map(metrics.map((m) => [String(m.type) === 'counter' && !m.name.endsWith('_total') ? `${m.name}_total` : m.name, m]));
    expect([...byName.keys()].sort()).toEqual(Object.keys(SERIES).sort());
    for (const [name, { type, labels }] of Object.entries(SERIES)) {
      const metric = byName.get(name)!;
      expect(String(metric.type), name).toBe(type);
      for (const value of metric.values) expect(Object.keys(value.labels).sort(), name).toEqual([...labels, 'node'].sort());
    }
  });

  it('reads the values from the node at scrape time', async () => {
    const src = source();
    const registry = createRegistry(src, false);
    src.tally.joins = 6;
    src.tally.redirects['not-host'] = 2;
    src.tally.refusals.unauthorized = 1;
    src.tally.relayedBytes = 1234;
    src.tally.clientHeartbeatTimeouts = 3;
    src.tally.peerHeartbeatTimeouts = 1;
    const first = samples(await registry.metrics());
    expect(first.get('gridlink_client_links{node="a"}')).toBe(3);
    expect(first.get('gridlink_sessions{node="a"}')).toBe(2);
    expect(first.get('gridlink_members{node="a"}')).toBe(5);
    expect(first.get('gridlink_joins_total{node="a"}')).toBe(6);
    expect(first.get('gridlink_redirects_total{reason="not-host",node="a"}')).toBe(2);
    expect(first.get('gridlink_redirects_total{reason="draining",node="a"}')).toBe(0);
    expect(first.get('gridlink_refusals_total{code="unauthorized",node="a"}')).toBe(1);
    expect(first.get('gridlink_migrations_in_total{node="a"}')).toBe(1);
    expect(first.get('gridlink_migrations_out_total{node="a"}')).toBe(4);
    expect(first.get('gridlink_relayed_messages_total{node="a"}')).toBe(11);
    expect(first.get('gridlink_relayed_bytes_total{node="a"}')).toBe(1234);
    expect(first.get('gridlink_heartbeat_timeouts_total{link="client",node="a"}')).toBe(3);
    expect(first.get('gridlink_heartbeat_timeouts_total{link="peer",node="a"}')).toBe(1);
    expect(first.get('gridlink_peer_links{state="heard",node="a"}')).toBe(2);
    expect(first.get('gridlink_peer_links{state="waiting",node="a"}')).toBe(1);
    expect(first.get('gridlink_peer_links{state="open",node="a"}')).toBe(0);
    expect(first.get('gridlink_peers{standing="alive",node="a"}')).toBe(2);
    expect(first.get('gridlink_dns_queries_total{transport="udp",rcode="NOERROR",node="a"}')).toBe(7);
    expect(first.get('gridlink_dns_queries_total{transport="udp",rcode="NXDOMAIN",node="a"}')).toBe(2);
    expect(first.get('gridlink_dns_queries_total{transport="udp",rcode="dropped",node="a"}')).toBe(1);
    // A second scrape reports the totals again, not the totals added twice.
    src.tally.joins = 7;
    const second = samples(await registry.metrics());
    expect(second.get('gridlink_joins_total{node="a"}')).toBe(7);
    expect(second.get('gridlink_relayed_bytes_total{node="a"}')).toBe(1234);
  });

  it('gives each node a registry of its own: two nodes in one process never mix', async () => {
    const a = source('a');
    const b = source('b');
    a.tally.joins = 1;
    b.tally.joins = 2;
    const [textA, textB] = await Promise.all([createRegistry(a, false).metrics(), createRegistry(b, false).metrics()]);
    expect(samples(textA).get('gridlink_joins_total{node="a"}')).toBe(1);
    expect(textA).not.toContain('node="b"');
    expect(samples(textB).get('gridlink_joins_total{node="b"}')).toBe(2);
  });

  it('adds the process series only when asked', async () => {
    expect(await createRegistry(source(), false).metrics()).not.toMatch(/^process_cpu_seconds_total/m);
    expect(await createRegistry(source('b'), true).metrics()).toMatch(/^process_cpu_seconds_total\{node="b"\} /m);
    // Asked for in two registries of one process: each has them once, nothing throws.
    const again = await createRegistry(source('c'), true).metrics();
    expect(again.match(/^# TYPE process_cpu_seconds_total /gm)).toHaveLength(1);
  });
});

describe('the metrics option', () => {
  it('is off by default; true serves it without a token; { token } needs one', () => {
    expect(normalizeOptions({ id: 'a' }).metrics).toBeUndefined();
    expect(metricsConfig(false)).toBeUndefined();
    expect(metricsConfig(true)).toEqual({ tokenHash: undefined, processMetrics: false });
    expect(metricsConfig({ processMetrics: true })).toEqual({ tokenHash: undefined, processMetrics: true });
    expect(metricsConfig({ token: 'x'.repeat(16) })?.tokenHash).toHaveLength(32);
  });

  it('refuses bad values, naming the key', () => {
    expect(() => normalizeOptions({ id: 'a', metrics: { token: 'short' } })).toThrow(/^metrics\.token must be 16\.\.512/);
    expect(() => normalizeOptions({ id: 'a', metrics: { token: 'has a space in it, ok?' } })).toThrow(/^metrics\.token/);
    expect(() => normalizeOptions({ id: 'a', metrics: { processMetrics: 'yes' } as never })).toThrow(/^metrics\.processMetrics/);
    expect(() => normalizeOptions({ id: 'a', metrics: { tokn: 'x'.repeat(16) } as never })).toThrow(/metrics\.tokn.*metrics\.token/);
    expect(() => normalizeOptions({ id: 'a', metrics: 'on' as never })).toThrow(/^metrics must be an object/);
  });
});

/** A request and a response good enough for the endpoint; `done` resolves when it answered. */
function exchange(method: string, authorization?: string) {
  let resolve!: (value: { status: number; body: string; headers: Record<string, string> }) => void;
  const done = new Promise<{ status: number; body: string; headers: Record<string, string> }>((r) => (resolve = r));
  let status = 0;
  let headers: Record<string, string> = {};
  const res = {
    destroyed: false,
    writeHead(code: number, h: Record<string, string>) {
      status = code;
      headers = h;
      return res;
    },
    end(body?: string) {
      resolve({ status, body: body ?? '', headers });
      return res;
    },
  };
  const req = { method, headers: authorization === undefined ? {} : { authorization } };
  return { req: req as unknown as IncomingMessage, res: res as unknown as ServerResponse, done };
}

describe('GET /metrics', () => {
  const token = 'scrape-token-0123456789';

  it('answers the text format without a token when none is set', async () => {
    const endpoint = metricsEndpoint(metricsConfig(true), source())!;
    const { req, res, done } = exchange('GET');
    endpoint.serve(req, res);
    const answer = await done;
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(answer.body).toContain('gridlink_sessions{node="a"} 2');
  });

  it('with a token, refuses a scrape without it or with another one, and serves the right one', async () => {
    const endpoint = metricsEndpoint(metricsConfig({ token }), source())!;
    for (const auth of [undefined, 'Bearer wrong-token-0123456789', `Basic ${token}`, `Bearer ${token}x`]) {
      const { req, res, done } = exchange('GET', auth);
      endpoint.serve(req, res);
      const answer = await done;
      expect(answer.status, String(auth)).toBe(401);
      expect(answer.body).not.toContain('gridlink_');
    }
    const { req, res, done } = exchange('GET', `Bearer ${token}`);
    endpoint.serve(req, res);
    expect((await done).status).toBe(200);
  });

  it('answers only GET and HEAD', async () => {
    const endpoint = metricsEndpoint(metricsConfig(true), source());
    expect(endpoint).toBeInstanceOf(MetricsEndpoint);
    const { req, res, done } = exchange('POST');
    endpoint!.serve(req, res);
    expect((await done).status).toBe(405);
  });
});
