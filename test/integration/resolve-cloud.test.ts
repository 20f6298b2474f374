/**
 * A client that knows only the cloud's name and its DNS servers, against a real local cloud whose
 * nodes run the project's DNS server: it connects, fails over through DNS when its host dies, and
 * keeps failing over when the DNS it was told to use is dead (last good answer + the nodes'
 * advertised list), saying so with a `nodes` event of source `stale`.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startLocalCloud, type LocalCloud } from '../../dist/server.js';
import { connect, type NodesEvent } from '../../dist/node.js';
import { allDelivered, closeAll, commonNode, deliveryViolations, member, sendNext, type Member } from '../helpers/members.js';
import { sleep, waitFor } from '../helpers/wait.js';

/** The cloud's records live 5 s (its default TTL); waiting this long makes the next round ask DNS. */
const PAST_TTL_MS = 5500;

let cloud: LocalCloud;
let members: Member[] = [];

beforeEach(async () => {
  cloud = await startLocalCloud({ nodes: 3, cloud: 'cloud.test' });
});

afterEach(async () => {
  await closeAll(members);
  members = [];
  await cloud.stop();
});

function join(session: string, names: string[], dns: string[]): { ms: Member[]; events: Map<string, NodesEvent[]> } {
  const events = new Map<string, NodesEvent[]>();
  const ms = names.map((name) => {
    const m = member(name, { session, cloud: 'cloud.test', dns, scheme: 'ws' });
    const list: NodesEvent[] = [];
    m.client.on('nodes', (event) => list.push(event));
    events.set(name, list);
    return m;
  });
  members.push(...ms);
  return { ms, events };
}

async function pumpAround(ms: Member[], failure: () => Promise<void>, victim: string): Promise<void> {
  const pump = setInterval(() => ms.forEach(sendNext), 4);
  try {
    await sleep(200);
    await failure();
    await waitFor(`members to converge away from ${victim}`, () => {
      const node = commonNode(ms);
      return node !== undefined && node !== victim;
    });
    await sleep(200);
  } finally {
    clearInterval(pump);
  }
  await waitFor('every message to be delivered', () => allDelivered(ms));
  await sleep(100);
}

describe('resolving a cloud through its own DNS', () => {
  it('connects with only cloud + dns, to a node named by DNS and dialled by its address', async () => {
    const client = connect({ session: 'by-name', cloud: 'cloud.test', dns: cloud.dns, scheme: 'ws' });
    const events: NodesEvent[] = [];
    client.on('nodes', (event) => events.push(event));
    try {
      await client.ready;
      expect(client.node?.url).toMatch(/^ws:\/\/[a-c]\.cloud\.test:\d+\/$/);
      expect(client.node?.id).toBe(cloud.hostOf('by-name')?.id);
      const resolved = events.find((e) => e.source === 'resolver');
      expect(resolved?.nodes.every((n) => n.address === '127.0.0.1' && n.url.includes('.cloud.test:'))).toBe(true);
    } finally {
      await client.close();
    }
  });

  it('the latency policy measures the nodes (GET /healthz, dialled by address) and still lands on the session host', async () => {
    cloud.setLatency(cloud.hostOf('closest')?.id as string, 40);
    const client = connect({ session: 'closest', cloud: 'cloud.test', dns: cloud.dns, scheme: 'ws', policy: 'latency' });
    try {
      await client.ready;
      expect(client.node?.id).toBe(cloud.hostOf('closest')?.id);
    } finally {
      await client.close();
    }
  });

  it('after SIGKILL of the host, members re-resolve and converge on one node with nothing lost', async () => {
    // The victim's DNS server dies with it; the members ask the others (a round may go ahead on
    // the last good answer if they are slow to answer: that is withLastKnownGood's patience).
    const { ms, events } = join('dns-crash', ['ann', 'bob', 'cy'], cloud.dns);
    await Promise.all(ms.map((m) => m.client.ready));
    const victim = commonNode(ms) as string;
    await sleep(PAST_TTL_MS);
    await pumpAround(ms, () => cloud.kill(victim), victim);
    expect(deliveryViolations(ms)).toEqual([]);
    expect(commonNode(ms)).toBe(cloud.hostOf('dns-crash')?.id);
    // Every list a member used came from the cloud's DNS or its nodes, never from anywhere else.
    for (const m of ms) {
      for (const event of events.get(m.name) ?? []) {
        for (const n of event.nodes) expect(n.url).toMatch(/^ws:\/\/([a-c]\.cloud\.test|127\.0\.0\.1):\d+\/$/);
      }
    }
  });

  it('keeps failing over when its only DNS server dies with the host: last good answer + advertised nodes', async () => {
    const session = 'dns-down';
    const host = cloud.hostOf(session)?.id as string;
    const dns = cloud.node(host).dns as string;
    const { ms, events } = join(session, ['ann', 'bob'], [dns]);
    await Promise.all(ms.map((m) => m.client.ready));
    expect(commonNode(ms)).toBe(host);
    await sleep(PAST_TTL_MS);
    await pumpAround(ms, () => cloud.kill(host), host);
    expect(deliveryViolations(ms)).toEqual([]);
    expect(commonNode(ms)).toBe(cloud.hostOf(session)?.id);
    for (const m of ms) {
      const stale = (events.get(m.name) ?? []).filter((e) => e.source === 'stale');
      expect(stale.length).toBeGreaterThan(0);
      expect(stale[0]?.error?.code).toMatch(/^GRIDLINK_(CONNECT_FAILED|TIMEOUT)$/);
      expect(stale[0]?.nodes.length).toBeGreaterThanOrEqual(2);
    }
  });
});
