/**
 * The product's promise, against real node processes behind real fault proxies: when the host of a
 * session dies (SIGKILL), goes silent (black hole) or drains, every member ends up on one same new
 * node, and every reliable message sent around the failure arrives exactly once, in order.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startLocalCloud, type LocalCloud } from '../../dist/server.js';
import { allDelivered, closeAll, commonNode, deliveryViolations, member, sendNext, type Member } from '../helpers/members.js';
import { sleep, waitFor } from '../helpers/wait.js';

let cloud: LocalCloud;
let members: Member[] = [];

const rotate = <T>(list: readonly T[], by: number): T[] => [...list.slice(by % list.length), ...list.slice(0, by % list.length)];

/** Members that enter the cloud through different nodes, so placement (not luck) puts them together. */
function join(session: string, names: string[], extra: Record<string, unknown> = {}): Member[] {
  const joined = names.map((name, i) => member(name, { session, nodes: rotate(cloud.urls, i), ...extra }));
  members.push(...joined);
  return joined;
}

async function pumpAround(ms: Member[], failure: () => Promise<void>, victim: string): Promise<void> {
  const pump = setInterval(() => ms.forEach(sendNext), 4);
  try {
    await sleep(250);
    await failure();
    await waitFor(`members to converge away from ${victim}`, () => {
      const node = commonNode(ms);
      return node !== undefined && node !== victim;
    });
    await sleep(250);
  } finally {
    clearInterval(pump);
  }
  await waitFor('every message to be delivered', () => allDelivered(ms));
  await sleep(100); // room for a late duplicate to show itself
}

beforeEach(async () => {
  cloud = await startLocalCloud({ nodes: 3 });
});

afterEach(async () => {
  await closeAll(members);
  members = [];
  await cloud.stop();
});

describe('failover', () => {
  it('places every member of a session on the rendezvous host, whichever node they dial first', async () => {
    const ms = join('placement', ['ann', 'bob', 'cy', 'dee']);
    await Promise.all(ms.map((m) => m.client.ready));
    expect(commonNode(ms)).toBe(cloud.hostOf('placement')?.id);
  });

  it('follows a redirect to the host (regression: a redirect used to fail the attempt)', async () => {
    const host = cloud.hostOf('redirected')?.id;
    const other = cloud.nodes.find((n) => n.id !== host) as { id: string; url: string };
    // Knowing only a node that is not the host, the client can get there only by the redirect.
    const [ann] = join('redirected', ['ann'], { nodes: [other.url], retry: { maxElapsedMs: 5000 } });
    await ann?.client.ready;
    expect(ann?.client.node?.id).toBe(host);
    expect(ann?.errors).toEqual([]);
  });

  it('after SIGKILL of the host, members converge on one new node with nothing lost or duplicated', async () => {
    const ms = join('crash', ['ann', 'bob', 'cy']);
    await Promise.all(ms.map((m) => m.client.ready));
    const victim = commonNode(ms) as string;
    await pumpAround(ms, () => cloud.kill(victim), victim);
    expect(deliveryViolations(ms)).toEqual([]);
    expect(commonNode(ms)).toBe(cloud.hostOf('crash')?.id);
    for (const m of ms) expect(m.migrations[0]).toMatchObject({ from: victim, reason: 'link-lost' });
  });

  it('detects a silent (black-holed) host by heartbeat with default settings and migrates without loss', async () => {
    const ms = join('silent', ['ann', 'bob']);
    await Promise.all(ms.map((m) => m.client.ready));
    const victim = commonNode(ms) as string;
    await pumpAround(ms, async () => cloud.blackhole(victim), victim);
    expect(deliveryViolations(ms)).toEqual([]);
    for (const m of ms) expect(m.migrations[0]).toMatchObject({ from: victim, reason: 'heartbeat-timeout' });
  });

  it('moves make-before-break when the host drains', async () => {
    const ms = join('drain', ['ann', 'bob', 'cy']);
    await Promise.all(ms.map((m) => m.client.ready));
    const victim = commonNode(ms) as string;
    await pumpAround(ms, async () => void cloud.drain(victim), victim);
    expect(deliveryViolations(ms)).toEqual([]);
    for (const m of ms) expect(m.migrations[0]).toMatchObject({ from: victim, reason: 'drain' });
  });

  it('survives two failures in a row (kill, then black hole of the new host)', async () => {
    const ms = join('twice', ['ann', 'bob']);
    await Promise.all(ms.map((m) => m.client.ready));
    const first = commonNode(ms) as string;
    await pumpAround(ms, () => cloud.kill(first), first);
    const second = commonNode(ms) as string;
    await pumpAround(ms, async () => cloud.blackhole(second), second);
    expect(deliveryViolations(ms)).toEqual([]);
    expect(new Set([first, second, commonNode(ms)]).size).toBe(3);
  });

  it('keeps two sessions independent: killing one host does not move the other session', async () => {
    // Pick a second session that the cloud places on another node than the first.
    const other = ['two', 'three', 'four', 'five', 'six', 'seven'].find((s) => cloud.hostOf(s)?.id !== cloud.hostOf('one')?.id) as string;
    const one = join('one', ['ann', 'bob']);
    const two = join(other, ['cy', 'dee']);
    await Promise.all([...one, ...two].map((m) => m.client.ready));
    const hostOne = commonNode(one) as string;
    const hostTwo = commonNode(two) as string;
    expect(hostOne).not.toBe(hostTwo);
    await cloud.kill(hostOne);
    await waitFor('session one to move', () => commonNode(one) !== undefined && commonNode(one) !== hostOne);
    expect(commonNode(two)).toBe(hostTwo);
    expect(two.every((m) => m.migrations.length === 0)).toBe(true);
  });
});
