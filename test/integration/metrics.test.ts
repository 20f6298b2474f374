/**
 * `/metrics` on real nodes: traffic moves the counters it should (joins, a redirect, relayed
 * messages and their bytes, DNS queries, a migration after a node dies, heartbeat timeouts of a
 * client and of a peer), and the route answers only as configured (off: 404; token: 401 without).
 */
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import dnsPacket from 'dns-packet';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { cleanupAll, cleanups, cloud, join, node, RawClient, hello, sessionOwnedBy, type Frame } from '../helpers/raw-node.js';
import { closeAll, member, sendNext, allDelivered, type Member } from '../helpers/members.js';
import { waitFor } from '../helpers/wait.js';
import type { NodeServer } from '../../src/server/node/node-server.js';

let members: Member[] = [];
afterEach(async () => {
  await closeAll(members);
  members = [];
  await cleanupAll();
});

function httpUrl(n: NodeServer): string {
  return `http://127.0.0.1:${n.port}`;
}

/** One scrape, as `name{labels}` -> value. */
async function scrape(n: NodeServer, token?: string): Promise<Map<string, number>> {
  const res = await fetch(`${httpUrl(n)}/metrics`, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });
  expect(res.status).toBe(200);
  const out = new Map<string, number>();
  for (const line of (await res.text()).split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

async function value(n: NodeServer, series: string, labels = ''): Promise<number> {
  const key = `${series}{${labels}${labels === '' ? '' : ','}node="${n.id}"}`;
  const got = (await scrape(n)).get(key);
  if (got === undefined) throw new Error(`no sample ${key}`);
  return got;
}

async function dnsQuery(port: number, name: string): Promise<number> {
  const socket = createSocket('udp4');
  try {
    socket.send(dnsPacket.encode({ type: 'query', id: 7, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: 'A', name }] }), port, '127.0.0.1');
    const [message] = (await Promise.race([once(socket, 'message'), new Promise((_, reject) => setTimeout(() => reject(new Error('no DNS answer')), 5000))])) as [Buffer];
    return message[3]! & 0x0f;
  } finally {
    socket.close();
  }
}

describe('/metrics on a running cloud', () => {
  it('counts joins, a redirect, relayed messages and bytes, DNS queries and peer links', async () => {
    const ids = ['a', 'b', 'c'];
    const [a, b, c] = await cloud(ids, { metrics: true, cloud: 'cloud.test' });
    const session = sessionOwnedBy('a', ids, 'metrics');
    await waitFor('every peer link heard', async () => (await value(b!, 'gridlink_peer_links', 'state="heard"')) === 2);
    expect(await value(b!, 'gridlink_peers', 'standing="alive"')).toBe(2);

    // A hello at the wrong node is redirected.
    const stray = await RawClient.open(b!.url);
    stray.send(hello(session, 'stray'));
    expect((await stray.next()).t).toBe('redirect');
    expect(await value(b!, 'gridlink_redirects_total', 'reason="not-host"')).toBe(1);

    const { c: ann } = await join(a!, session, 'ann');
    const { c: bob } = await join(a!, session, 'bob');
    expect(await value(a!, 'gridlink_joins_total')).toBe(2);
    expect(await value(a!, 'gridlink_sessions')).toBe(1);
    expect(await value(a!, 'gridlink_members')).toBe(2);
    expect(await value(a!, 'gridlink_client_links')).toBe(2);

    let bytes = 0;
    for (let seq = 1; seq <= 5; seq++) {
      const frame: Frame = { t: 'msg', seq, d: `hello ${seq} ${'é'.repeat(seq * 10)}` };
      bytes += Buffer.byteLength(JSON.stringify(frame));
      ann.send(frame);
    }
    for (let i = 0; i < 5; i++) await bob.next('msg');
    expect(await value(a!, 'gridlink_relayed_messages_total')).toBe(5);
    expect(await value(a!, 'gridlink_relayed_bytes_total')).toBe(bytes);
    expect(await value(c!, 'gridlink_relayed_messages_total')).toBe(0);

    const port = a!.dns!.port;
    expect(await dnsQuery(port, 'cloud.test')).toBe(0);
    expect(await dnsQuery(port, 'elsewhere.example')).not.toBe(0);
    const dns = await scrape(a!);
    expect(dns.get('gridlink_dns_queries_total{transport="udp",rcode="NOERROR",node="a"}')).toBe(1);
    const udp = [...dns].filter(([key]) => key.startsWith('gridlink_dns_queries_total{transport="udp"'));
    expect(udp.reduce((sum, [, count]) => sum + count, 0)).toBe(2);
  });

  it("counts a migration in on the node that takes a dead host's session", async () => {
    const ids = ['a', 'b', 'c'];
    const nodes = await cloud(ids, { metrics: true });
    const session = sessionOwnedBy('a', ids, 'moving');
    const urls = nodes.map((n) => n.url);
    members = ['ann', 'bob'].map((name) => member(name, { session, nodes: urls }));
    await Promise.all(members.map((m) => m.client.ready));
    await waitFor('both members on a', () => members.every((m) => m.client.node?.id === 'a'));
    for (const m of members) sendNext(m);
    await waitFor('the first messages delivered', () => allDelivered(members));
    const host = nodes[0]!;
    expect(await value(host, 'gridlink_joins_total')).toBeGreaterThanOrEqual(2);

    await host.close();
    await waitFor('both members moved off a', () => members.every((m) => m.client.state === 'connected' && m.client.node?.id !== 'a' && m.client.node !== undefined));
    const survivors = nodes.slice(1);
    const migratedIn = await Promise.all(survivors.map((n) => value(n, 'gridlink_migrations_in_total')));
    expect(migratedIn.reduce((sum, count) => sum + count, 0)).toBe(1);
    const newHost = survivors.find((n) => n.id === members[0]!.client.node?.id)!;
    expect(await value(newHost, 'gridlink_sessions')).toBe(1);
    for (const m of members) sendNext(m);
    await waitFor('messages flow on the new host', () => allDelivered(members));
    expect(await value(newHost, 'gridlink_relayed_messages_total')).toBeGreaterThanOrEqual(2);
    // The dead node's links leave the survivors' heard links.
    await waitFor('a no longer heard', async () => (await value(survivors[0]!, 'gridlink_peer_links', 'state="heard"')) === 1);
  });

  it('counts a silent client and a silent peer as heartbeat timeouts', async () => {
    // A peer that accepts the link and never says anything.
    const mute = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await once(mute, 'listening');
    cleanups.push(() => new Promise<void>((resolve) => {
      for (const ws of mute.clients) ws.terminate();
      mute.close(() => resolve());
    }));
    const mutePort = (mute.address() as { port: number }).port;
    const n = await node({
      id: 'a',
      metrics: true,
      heartbeat: { intervalMs: 100, timeoutMs: 400 },
      peerHeartbeat: { intervalMs: 100, timeoutMs: 300 },
      peers: [{ id: 'mute', url: `ws://127.0.0.1:${mutePort}` }],
    });
    const { c: quiet } = await join(n, 'hush', 'quiet');
    // The raw client never answers pings: the node hears nothing from it.
    const closed = await quiet.closed;
    expect(closed.code).toBe(4008);
    expect(await value(n, 'gridlink_heartbeat_timeouts_total', 'link="client"')).toBe(1);
    await waitFor('the mute peer timed out', async () => (await value(n, 'gridlink_heartbeat_timeouts_total', 'link="peer"')) >= 1);
    expect(await value(n, 'gridlink_peers', 'standing="alive"')).toBe(0);
  });
});

describe('who may read /metrics', () => {
  it('counts publish requests by HTTP status, forwarded ones on both nodes', async () => {
    const { publishKey } = await import('../../src/server/publish/publish-options.js');
    const ids = ['a', 'b'];
    const [a, b] = (await cloud(ids, { metrics: true, publish: true })) as [NodeServer, NodeServer];
    const session = sessionOwnedBy('a', ids, 'pub-metrics');
    const post = async (n: NodeServer, key: string): Promise<number> => {
      const res = await fetch(`${httpUrl(n)}/sessions/${session}/messages`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'text/plain' }, body: 'x' });
      await res.text();
      return res.status;
    };
    expect(await post(b, publishKey('cloud-secret'))).toBe(200); // forwarded to a: no-members there
    expect(await post(b, 'a-wrong-key-0123456789')).toBe(401);
    await waitFor('counted', async () => (await value(b, 'gridlink_publish_requests_total', 'status="401"')) === 1);
    expect(await value(b, 'gridlink_publish_requests_total', 'status="200"')).toBe(1);
    expect(await value(a, 'gridlink_publish_requests_total', 'status="200"')).toBe(1);
    expect(await value(a, 'gridlink_publish_requests_total', 'status="401"')).toBe(0);
  });

  it('is not served unless asked for', async () => {
    const n = await node({ id: 'a' });
    expect((await fetch(`${httpUrl(n)}/metrics`)).status).toBe(404);
  });

  it('with a token, answers 401 without it and the series with it', async () => {
    const token = 'integration-token-0123456789';
    const n = await node({ id: 'a', metrics: { token } });
    const bare = await fetch(`${httpUrl(n)}/metrics`);
    expect(bare.status).toBe(401);
    expect(await bare.text()).not.toContain('gridlink_');
    expect((await fetch(`${httpUrl(n)}/metrics`, { headers: { authorization: 'Bearer not-the-token-0123456789' } })).status).toBe(401);
    expect((await scrape(n, token)).get('gridlink_sessions{node="a"}')).toBe(0);
    // The node is unharmed: it still answers health checks.
    expect((await fetch(`${httpUrl(n)}/healthz`)).status).toBe(200);
  });
});
