/**
 * Living with the proxy itself: the sticky cookie kept across reconnects, a proxy restart that the
 * session rides out, and backends at their `maxconn` (HAProxy queues, then answers 503) that make
 * clients wait and retry rather than fail. Real HAProxy, real node processes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { allDelivered, closeAll, commonNode, deliveryViolations, sendNext, type Member } from '../helpers/members.js';
import { joinThroughProxy, linksOf, startProxiedCloud, type ProxiedCloud } from '../helpers/haproxy.js';
import { needing, requireTool } from '../helpers/tools.js';
import { sleep, waitFor } from '../helpers/wait.js';
import { rendezvousOwner } from '../../dist/server.js';

const haveHaproxy = requireTool('haproxy') && requireTool('openssl');

let cloud: ProxiedCloud | undefined;
let members: Member[] = [];

afterEach(async () => {
  await closeAll(members);
  members = [];
  await cloud?.stop();
  cloud = undefined;
});



/** Restarts HAProxy on the same ports, as an operator's reload-by-restart would. */
async function restartProxy(c: ProxiedCloud, downMs: number): Promise<void> {
  await c.killProxy();
  await sleep(downMs);
  await c.startProxy();
}

describe.skipIf(!haveHaproxy)(needing('haproxy', 'behind HAProxy: the proxy itself'), () => {
  it('keeps the sticky cookie across a forced reconnect: back on the same backend, every request with a cookie', async () => {
    cloud = await startProxiedCloud({ config: 'seed' });
    const c = cloud;
    const [ann] = joinThroughProxy(c, members, 'sticky', ['ann']) as [Member];
    await ann.client.ready;
    const host = ann.client.node?.id as string;
    await waitFor('the host to log the link', () => linksOf(c, 'ann').at(-1)?.node === host);
    const before = linksOf(c, 'ann').length;
    await restartProxy(c, 200);
    await waitFor('ann to reconnect', () => ann.migrations.length === 1 && ann.client.state === 'connected');
    await waitFor('the host to log the new link', () => linksOf(c, 'ann').length > before);
    expect(ann.client.node?.id).toBe(host);
    await waitFor('the host to log the final link', () => linksOf(c, 'ann').at(-1)?.node === host);
    // No attempt after the restart was balanced afresh: each carried the cookie of the backend it reached.
    const after = linksOf(c, 'ann').slice(before);
    expect(after.every((link) => link.sticky === true)).toBe(true);
    expect(after.at(-1)).toEqual({ node: host, sticky: true });
  });

  it('a proxy restart: members reconnect through it and resume, exactly once', async () => {
    cloud = await startProxiedCloud({ config: 'recommended' });
    const c = cloud;
    const ms = joinThroughProxy(c, members, 'restart', ['ann', 'bob']);
    await Promise.all(ms.map((m) => m.client.ready));
    const host = commonNode(ms);
    const pump = setInterval(() => ms.forEach(sendNext), 5);
    try {
      await sleep(200);
      await restartProxy(c, 500);
      await waitFor('both to be back', () => ms.every((m) => m.migrations.length >= 1) && commonNode(ms) !== undefined);
      await sleep(200);
    } finally {
      clearInterval(pump);
    }
    await waitFor('every message to be delivered', () => allDelivered(ms));
    await sleep(100);
    expect(deliveryViolations(ms)).toEqual([]);
    expect(commonNode(ms)).toBe(host); // nothing died: the session stays where it was
  });

  it('maxconn reached: a member keeps trying (waits, or takes the session where there is room), never fails, and gets in', async () => {
    cloud = await startProxiedCloud({ config: 'seed', maxconn: 1 });
    const c = cloud;
    const [ann] = joinThroughProxy(c, members, 'full', ['ann']) as [Member];
    await ann.client.ready;
    const [bob] = joinThroughProxy(c, members, 'full', ['bob'], { connectTimeoutMs: 1000, retry: { maxDelayMs: 500 } }) as [Member];
    await sleep(3000);
    // HAProxy queues bob behind ann's WebSocket (or answers 503). He keeps trying; sent back to the
    // full host once and failing again, he may instead get the session pinned to a backend with room
    // (docs/protocol.md, "Pins") — then ann is the one waiting. Either way nobody fails the session.
    for (const m of [ann, bob]) {
      expect(m.client.state).not.toBe('failed');
      expect(m.errors.filter((code) => code === 'GRIDLINK_CLOSED' || code === 'GRIDLINK_REJECTED')).toEqual([]);
    }
    await ann.client.close();
    await bob.client.ready;
    await waitFor('bob to be connected', () => bob.client.state === 'connected');
  });

  it('maxconn 1 on every backend: clients of different sessions all end up connected', async () => {
    cloud = await startProxiedCloud({ config: 'seed', maxconn: 1 });
    const c = cloud;
    // One session per node, so each client needs its own host's only slot; redirect hops contend for them.
    const sessions = c.nodes.map((node) => {
      for (let i = 0; ; i++) if (rendezvousOwner(`s${i}`, c.nodes, (n) => n.id)?.id === node.id) return { session: `s${i}`, host: node.id };
    });
    const ms = sessions.map(({ session }, i) => joinThroughProxy(c, members, session, [`m${i}`], { connectTimeoutMs: 1000, retry: { maxDelayMs: 500 } })[0] as Member);
    await Promise.all(ms.map((m) => m.client.ready));
    ms.forEach((m, i) => expect(m.client.node?.id).toBe(sessions[i]?.host));
  });
});
