/**
 * The cloud decides, at the DNS level, as the cloud changes: real node processes (dist/), each
 * serving `cloud.test`; load reported over the peer links reorders the answers, a killed node
 * leaves them within the peer timeout, a draining node at once. Every wait is a hang guard.
 */
import { promises as dns } from 'node:dns';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { connect, type Client } from '../../dist/node.js';
import { startLocalCloud, type LocalCloud } from '../../dist/server.js';
import { waitFor } from '../helpers/wait.js';

let cloud: LocalCloud | undefined;
const clients: Client[] = [];
const sockets: WebSocket[] = [];

afterEach(async () => {
  for (const ws of sockets.splice(0)) ws.terminate();
  await Promise.allSettled(clients.splice(0).map((client) => client.close()));
  await cloud?.stop();
  cloud = undefined;
});

interface Srv {
  name: string;
  port: number;
  priority: number;
  weight: number;
}

async function srv(server: string): Promise<Srv[]> {
  const resolver = new dns.Resolver({ timeout: 1000, tries: 1 });
  resolver.setServers([server]);
  return resolver.resolveSrv('_gridlink._tcp.cloud.test').catch(() => []);
}

const ids = (records: Srv[]): string[] => records.map((r) => r.name.split('.')[0] as string).sort();

/** Polls `server` until `check` holds for its SRV answer; returns that answer and how long it took. */
async function srvUntil(server: string, check: (records: Srv[]) => boolean, what: string, guardMs = 15_000): Promise<{ records: Srv[] }> {
  let records: Srv[] = [];
  await waitFor(what, async () => check((records = await srv(server))), { guardMs, everyMs: 25, detail: () => `last answer ${JSON.stringify(records)}` });
  return { records };
}

async function threeNodeCloud(): Promise<LocalCloud> {
  cloud = await startLocalCloud({ nodes: 3, cloud: 'cloud.test' });
  for (const server of cloud.dns) await srvUntil(server, (r) => r.length === 3, 'all three nodes listed');
  return cloud;
}

/** Session ids that the cloud places on `node`. */
function sessionsOn(c: LocalCloud, node: string, count: number): string[] {
  const out: string[] = [];
  for (let i = 0; out.length < count; i++) if (c.hostOf(`load-${i}`)?.id === node) out.push(`load-${i}`);
  return out;
}

describe('DNS answers follow the cloud', () => {
  it('answers at once when startLocalCloud resolves: no SERVFAIL while the nodes settle', async () => {
    for (let round = 0; round < 3; round++) {
      cloud = await startLocalCloud({ nodes: 3, cloud: 'cloud.test' });
      // One query per server, no retry: a started cloud is ready for what it advertises.
      for (const server of cloud.dns) expect(ids(await srv(server)).sort(), server).toEqual(['a', 'b', 'c']);
      await cloud.stop();
      cloud = undefined;
    }
  });

  it('load reported over the peer links reorders the answers, and they recover when it goes', async () => {
    const c = await threeNodeCloud();
    const busy = c.nodes[0] as { id: string; url: string };
    for (const session of sessionsOn(c, busy.id, 4)) {
      const client = connect({ session, nodes: [busy.url] });
      clients.push(client);
      await client.ready;
    }
    const health = async () => ((await (await fetch(`${busy.url.replace(/^ws:/, 'http:')}/healthz`)).json()) as { load: { links: number; sessions: number } }).load;
    expect(await health()).toEqual({ links: 4, sessions: 4 });
    // Every node's DNS (the busy node's own and its peers', which learn it over the peer links)
    // ranks the busy node last: a worse SRV priority and a lower weight.
    for (const server of c.dns) {
      const { records } = await srvUntil(server, (r) => r.length === 3 && r[2]?.name === `${busy.id}.cloud.test` && (r[2]?.priority ?? 0) > 0, `${busy.id} ranked last by ${server}`);
      const last = records[2] as Srv;
      expect(last.priority).toBeGreaterThan((records[0] as Srv).priority);
      expect(last.weight).toBeLessThan((records[0] as Srv).weight);
      expect(last.weight).toBe(Math.round(1000 / 9));
    }
    await Promise.all(clients.splice(0).map((client) => client.close()));
    for (const server of c.dns) await srvUntil(server, (r) => r.length === 3 && r.every((x) => x.priority === 0 && x.weight === 1000), 'the busy node back among the best');
  });

  it('a killed node leaves the answers within the peer timeout', async () => {
    const c = await threeNodeCloud();
    await c.kill('c');
    for (const server of c.dns.slice(0, 2)) {
      // The guard is generous (the peer timeout is 1500 ms): it catches "never", it is no stopwatch.
      const { records } = await srvUntil(server, (r) => !ids(r).includes('c'), 'c gone from the answers', 10_000);
      expect(ids(records)).toEqual(['a', 'b']);
    }
    await c.restart('c');
    for (const server of c.dns) await srvUntil(server, (r) => r.length === 3, 'c back after its restart');
  });

  it('a silent node (black-holed) leaves its peers\' answers once its peer link times out', async () => {
    const c = await threeNodeCloud();
    c.blackhole('c');
    for (const server of c.dns.slice(0, 2)) {
      const { records } = await srvUntil(server, (r) => r.length > 0 && !ids(r).includes('c'), 'silent c gone from the answers');
      expect(ids(records)).toEqual(['a', 'b']);
    }
    c.heal('c');
    for (const server of c.dns.slice(0, 2)) await srvUntil(server, (r) => r.length === 3, 'c back once healed');
  });

  it('a draining node leaves the answers at once: its own and its peers\', while it still runs', async () => {
    const c = await threeNodeCloud();
    const draining = c.nodes[1] as { id: string; url: string };
    // A member that ignores the drain notice keeps the node draining until the deadline.
    const ws = new WebSocket(draining.url, 'gridlink.v1');
    sockets.push(ws);
    const session = sessionsOn(c, draining.id, 1)[0] as string;
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => ws.send(JSON.stringify({ t: 'hello', v: 1, session, client: 'stubborn', recv: {}, members: [] })));
      ws.on('message', (data) => {
        if (String(data).includes('"welcome"')) resolve();
      });
      ws.once('error', reject);
    });
    const drained = c.drain(draining.id, { deadlineMs: 8000 });
    try {
      for (const server of c.dns) {
        const { records } = await srvUntil(server, (r) => r.length > 0 && !ids(r).includes(draining.id), `${draining.id} gone from ${server}`, 5000);
        expect(ids(records)).toEqual(c.nodes.filter((n) => n.id !== draining.id).map((n) => n.id));
      }
      expect(c.node(draining.id).state).toBe('running'); // still up: it left the answers by draining, not by dying
    } finally {
      ws.terminate();
      await drained.catch(() => {});
    }
  });
});
