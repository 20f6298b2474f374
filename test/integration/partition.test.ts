/**
 * Real network partitions: nodes and client groups in their own network namespaces, partitions made
 * by the kernel dropping packets (no reset, no FIN). A silently isolated host loses its sessions to
 * the survivors and gets them back when it returns; a split brain hosts a session once per side
 * that clients can reach, and the cloud re-converges on one node when it heals; a one-sided
 * partition (clients cut from a node its peers still reach) moves the session to a node every
 * member reaches — with every message delivered exactly once, in order, across all of it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rendezvousOwner } from '../../dist/server.js';
import { netnsAvailable, Topology, type Proc } from '../helpers/netns.js';
import { sleep, waitFor } from '../helpers/wait.js';

const NODES = ['a', 'b', 'c'];
const required = netnsAvailable();
if (!required && process.env.CI === 'true') throw new Error('network namespaces (root + iproute2) are required under CI=true');

let topo: Topology;
const url = (id: string): string => `ws://${topo.host(id).ip}:7001`;

interface Status {
  state: string;
  node?: string;
  sent: number;
  last: Record<string, number>;
  violations: number;
}

function member(host: string, session: string, name: string): Proc {
  return topo.spawn(host, process.execPath, ['test/helpers/partition-member.mjs'], { SESSION: session, NAME: name, NODES: NODES.map(url).join(',') });
}

const status = (p: Proc): Promise<Status> => p.waitFor('a status line', (l) => 'state' in l) as Promise<unknown> as Promise<Status>;

/** Each check asks two child processes for their status: poll gently; failover across netns is slow. */
const POLL = { guardMs: 40_000, everyMs: 100 };

/** Both on one node (optionally a given one), both connected. */
async function together(p: Proc, q: Proc, on?: (node: string) => boolean): Promise<boolean> {
  const [s, t] = [await status(p), await status(q)];
  return s.state === 'connected' && t.state === 'connected' && s.node === t.node && s.node !== undefined && (on === undefined || on(s.node));
}

/** Members p (in cl1) and q (in cl2) of a session owned by a, both on a and sending. */
async function sendingOnA(prefix: string): Promise<[Proc, Proc]> {
  const session = Array.from({ length: 50 }, (_, i) => `${prefix}-${i}`).find((s) => rendezvousOwner(s, NODES, (n) => n) === 'a') as string;
  const p = member('cl1', session, 'p');
  const q = member('cl2', session, 'q');
  await waitFor('both on a', () => together(p, q, (n) => n === 'a'), POLL);
  p.send({ cmd: 'send', on: true });
  q.send({ cmd: 'send', on: true });
  await sleep(500);
  return [p, q];
}

/** Stops sending, waits until each has everything the other sent, and checks nothing was off. */
async function deliveredExactlyOnce(p: Proc, pName: string, q: Proc, qName: string): Promise<void> {
  p.send({ cmd: 'send', on: false });
  q.send({ cmd: 'send', on: false });
  await sleep(300);
  await waitFor('delivery to complete', async () => {
    const [s, t] = [await status(p), await status(q)];
    return (t.last[pName] ?? 0) >= s.sent && (s.last[qName] ?? 0) >= t.sent;
  }, POLL);
  const [s, t] = [await status(p), await status(q)];
  expect(s.sent).toBeGreaterThan(20);
  expect(t.last[pName]).toBe(s.sent);
  expect(s.last[qName]).toBe(t.sent);
  expect(s.violations + t.violations).toBe(0);
}

describe.skipIf(!required)(required ? 'network partitions (network namespaces)' : 'network partitions [SKIPPED: needs root and iproute2]', () => {
  beforeAll(async () => {
    topo = new Topology([...NODES, 'cl1', 'cl2']);
    const secret = 'partition-test-secret';
    const nodes = NODES.map((id) =>
      topo.spawn(id, process.execPath, [
        'dist/cli.js', 'node', '--id', id, '--host', topo.host(id).ip, '--port', '7001', '--url', url(id),
        ...NODES.filter((p) => p !== id).flatMap((p) => ['--peer', `${p}=${url(p)}`]),
      ], { GRIDLINK_SECRET: secret }),
    );
    await Promise.all(nodes.map((n) => n.waitFor('listening', (l) => l.event === 'listening')));
  });

  afterAll(() => {
    topo?.destroy();
  });

  it('a silently isolated host loses its session to the survivors, and gets it back when it returns', async () => {
    const [p, q] = await sendingOnA('iso');
    topo.split(['a'], ['b', 'c', 'cl1', 'cl2']); // a pulled cable: nothing in, nothing out, no reset
    await waitFor('both on one survivor', () => together(p, q, (n) => n !== 'a'), POLL);
    await sleep(500);
    topo.healAll();
    await waitFor('both back on a (its owner)', () => together(p, q, (n) => n === 'a'), POLL);
    await deliveredExactlyOnce(p, 'p', q, 'q');
    p.send({ cmd: 'close' });
    q.send({ cmd: 'close' });
  });

  it('a split brain hosts the session once per side, then re-converges on one node when it heals', async () => {
    const session = 'split-1';
    const owner = rendezvousOwner(session, NODES, (n) => n) as string;
    const p = member('cl1', session, 'p');
    const q = member('cl2', session, 'q');
    await waitFor('both on the owner', () => together(p, q, (n) => n === owner), POLL);
    p.send({ cmd: 'send', on: true });
    q.send({ cmd: 'send', on: true });
    await sleep(500);
    // Side 1: node a and the clients of cl1. Side 2: nodes b, c and the clients of cl2.
    topo.split(['a', 'cl1'], ['b', 'c', 'cl2']);
    const sideTwoOwner = rendezvousOwner(session, ['b', 'c'], (n) => n) as string;
    await waitFor('each side on its own node', async () => {
      const [s, t] = [await status(p), await status(q)];
      return s.state === 'connected' && s.node === 'a' && t.state === 'connected' && t.node === sideTwoOwner;
    }, POLL);
    await sleep(1000);
    topo.healAll();
    await waitFor('one node again, the owner', () => together(p, q, (n) => n === owner), POLL);
    await deliveredExactlyOnce(p, 'p', q, 'q');
    p.send({ cmd: 'close' });
    q.send({ cmd: 'close' });
  });

  it('one-sided: a client group that cannot reach the host (its peers can) takes the session where all members can reach it', async () => {
    const [p, q] = await sendingOnA('one');
    // cl1 and a cannot talk; the nodes all still see each other, and q still reaches a.
    topo.split(['cl1'], ['a']);
    await waitFor('both on one node p can reach', () => together(p, q, (n) => n !== 'a'), POLL);
    const pinned = (await status(p)).node as string;
    // Now q cannot reach that one: the only node both reach is the third.
    topo.split(['cl2'], [pinned]);
    const third = NODES.find((n) => n !== 'a' && n !== pinned) as string;
    await waitFor('both on the third node', () => together(p, q, (n) => n === third), POLL);
    await sleep(500);
    topo.healAll();
    await sleep(1500);
    await waitFor('still on one node after healing', () => together(p, q), POLL);
    await deliveredExactlyOnce(p, 'p', q, 'q');
    p.send({ cmd: 'close' });
    q.send({ cmd: 'close' });
  });
});
