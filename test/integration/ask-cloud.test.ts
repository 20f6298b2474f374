/**
 * Asking the cloud about a quiet host (docs/protocol.md, "Asking the cloud"), on real node processes
 * behind fault proxies: a host black-holed for everyone is confirmed gone by its peers and the
 * session leaves it before the heartbeat timeout; a host cut off from the client alone is alive to
 * the cloud, so the session waits for the timeout and the partition rules; a slow host (500 ms added
 * each way) and a client whose own loop stalls for 1.2 s move nothing. Delivery stays exactly once.
 *
 * "Before the timeout" is not measured: the link's death says why it died ("the cloud confirms it is
 * gone" only when the early rule fired), and the client's debug log says what the cloud answered.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFaultProxy, startLocalCloud, type FaultProxy, type LocalCloud } from '../../dist/server.js';
import { allDelivered, closeAll, commonNode, deliveryViolations, member, sendNext, type Member } from '../helpers/members.js';
import { sleep, waitFor } from '../helpers/wait.js';

let cloud: LocalCloud;
let members: Member[] = [];
let proxies: FaultProxy[] = [];

/** What the clients said: link deaths (error messages) and the cloud's verdicts (debug log). */
interface Heard {
  errors: string[];
  verdicts: string[];
}

function join(session: string, names: string[], nodesOf: (i: number) => string[]): { ms: Member[]; heard: Heard } {
  const heard: Heard = { errors: [], verdicts: [] };
  const logger = {
    debug: (message: string, fields?: Record<string, unknown>) => {
      if (message === 'asked the cloud about a quiet node') heard.verdicts.push(String(fields?.verdict));
    },
    info: () => {},
    warn: () => {},
    error: () => {},
  };
  const ms = names.map((name, i) => member(name, { session, nodes: nodesOf(i), logger }));
  for (const m of ms) m.client.on('error', (error) => heard.errors.push(error.message));
  members.push(...ms);
  return { ms, heard };
}

async function deliveredOnce(ms: Member[]): Promise<void> {
  await waitFor('every message to be delivered', () => allDelivered(ms));
  await sleep(100); // room for a late duplicate to show itself
  expect(deliveryViolations(ms)).toEqual([]);
}

beforeEach(async () => {
  cloud = await startLocalCloud({ nodes: 3 });
});

afterEach(async () => {
  await closeAll(members);
  members = [];
  await Promise.all(proxies.map((p) => p.close()));
  proxies = [];
  await cloud.stop();
});

describe('asking the cloud about a quiet host', () => {
  it('a host black-holed for everyone: its peers confirm it gone and the session leaves before the timeout', async () => {
    const session = 'ask-blackhole';
    const host = cloud.hostOf(session)?.id as string;
    const { ms, heard } = join(session, ['ann', 'bob'], () => cloud.urls);
    await Promise.all(ms.map((m) => m.client.ready));
    expect(commonNode(ms)).toBe(host);
    const pump = setInterval(() => ms.forEach(sendNext), 50);
    try {
      await sleep(300);
      cloud.blackhole(host);
      await waitFor('both members on one survivor', () => {
        const node = commonNode(ms);
        return node !== undefined && node !== host;
      });
      await sleep(200);
    } finally {
      clearInterval(pump);
    }
    // Both links died by the early rule, on the cloud's word; none by the timeout alone.
    const deaths = heard.errors.filter((e) => e.startsWith('no frame from node'));
    expect(deaths.length).toBeGreaterThanOrEqual(2);
    expect(deaths.every((e) => e.includes('the cloud confirms it is gone'))).toBe(true);
    expect(heard.verdicts).toContain('dead');
    for (const m of ms) expect(m.migrations.map((x) => [x.from, x.reason])).toEqual([[host, 'heartbeat-timeout']]);
    await deliveredOnce(ms);
  });

  it("only the client's path is black-holed: the cloud sees the host alive, so only the timeout and the partition rules move the session", async () => {
    const session = 'ask-own-path';
    const host = cloud.nodes.find((n) => n.id === cloud.hostOf(session)?.id) as { id: string; url: string };
    // A proxy of our own in front of the host's: cutting it silences the host for this client only.
    const path = await startFaultProxy({ target: { port: Number(new URL(host.url).port) } });
    proxies.push(path);
    const { ms, heard } = join(session, ['cat'], () => [`ws://127.0.0.1:${path.port}`]);
    const [cat] = ms as [Member];
    await cat.client.ready;
    expect(cat.client.node?.id).toBe(host.id);
    const pump = setInterval(() => sendNext(cat), 50);
    try {
      await sleep(300);
      path.blackhole();
      await waitFor('the client to leave its black-holed path', () => cat.migrations.length > 0, 30_000);
      await waitFor('the client to be connected again', () => cat.client.state === 'connected', 30_000);
    } finally {
      clearInterval(pump);
    }
    // The cloud answered alive; the link died of the timeout alone.
    expect(heard.verdicts).toContain('alive');
    expect(heard.verdicts).not.toContain('dead');
    const deaths = heard.errors.filter((e) => e.startsWith('no frame from node'));
    expect(deaths.length).toBeGreaterThanOrEqual(1);
    expect(deaths.some((e) => e.includes('the cloud confirms'))).toBe(false);
    expect(cat.migrations[0]).toMatchObject({ from: host.id, reason: 'heartbeat-timeout' });
  });

  it('a host that is alive but slow (500 ms added each way) causes no migration', async () => {
    const session = 'ask-slow';
    const host = cloud.hostOf(session)?.id as string;
    const { ms, heard } = join(session, ['dee', 'eve'], () => cloud.urls);
    await Promise.all(ms.map((m) => m.client.ready));
    cloud.setLatency(host, 500);
    const pump = setInterval(() => ms.forEach(sendNext), 200);
    try {
      // Idle stretches too: a slow link's heartbeat alone must keep it.
      await sleep(3000);
      clearInterval(pump);
      await sleep(5000);
    } finally {
      clearInterval(pump);
      cloud.setLatency(host, 0);
    }
    expect(heard.verdicts).not.toContain('dead');
    expect(ms.map((m) => m.migrations.length)).toEqual([0, 0]);
    expect(commonNode(ms)).toBe(host);
    await deliveredOnce(ms);
  });

  it("a 1.2 s stall of the client's own event loop causes no migration", async () => {
    const session = 'ask-stall';
    const host = cloud.hostOf(session)?.id as string;
    const { ms, heard } = join(session, ['fay', 'gus'], () => cloud.urls);
    await Promise.all(ms.map((m) => m.client.ready));
    // Idle links (heartbeats only), stalled at several points of the heartbeat cycle.
    for (const pause of [300, 1100, 1700, 2300]) {
      await sleep(pause);
      const until = Date.now() + 1200;
      while (Date.now() < until) {
        // busy: no timer runs, no frame is read
      }
    }
    await sleep(3000);
    expect(heard.verdicts).not.toContain('dead');
    expect(heard.errors).toEqual([]);
    expect(ms.map((m) => m.migrations.length)).toEqual([0, 0]);
    expect(commonNode(ms)).toBe(host);
    ms.forEach(sendNext);
    await deliveredOnce(ms);
  });
});
