/**
 * Shared state across a real split brain (network namespaces, packets dropped by the kernel): each
 * side's members write the shared map on their side's host, including the same key; when the
 * partition heals and the session is back on one node, both members hold the same map, with every
 * side's writes — one value for the contended key, the same on both.
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
  shared: Record<string, unknown>;
}

const status = (p: Proc): Promise<Status> => p.waitFor('a status line', (l) => 'state' in l) as Promise<unknown> as Promise<Status>;
const POLL = { guardMs: 40_000, everyMs: 100 };

describe.skipIf(!required)(required ? 'shared state across a partition (network namespaces)' : 'shared state across a partition [SKIPPED: needs root and iproute2]', () => {
  beforeAll(async () => {
    topo = new Topology([...NODES, 'cl1', 'cl2']);
    const nodes = NODES.map((id) =>
      topo.spawn(id, process.execPath, [
        'dist/cli.js', 'node', '--id', id, '--host', topo.host(id).ip, '--port', '7001', '--url', url(id),
        ...NODES.filter((p) => p !== id).flatMap((p) => ['--peer', `${p}=${url(p)}`]),
      ], { GRIDLINK_SECRET: 'partition-shared-secret' }),
    );
    await Promise.all(nodes.map((n) => n.waitFor('listening', (l) => l.event === 'listening')));
  });

  afterAll(() => {
    topo?.destroy();
  });

  it('writes on both sides of a split brain converge to one map on every member when it heals', async () => {
    const session = 'split-shared';
    const owner = rendezvousOwner(session, NODES, (n) => n) as string;
    const member = (host: string, name: string): Proc =>
      topo.spawn(host, process.execPath, ['test/helpers/partition-member.mjs'], { SESSION: session, NAME: name, NODES: NODES.map(url).join(',') });
    const p = member('cl1', 'p');
    const q = member('cl2', 'q');
    await waitFor('both on the owner', async () => {
      const [s, t] = [await status(p), await status(q)];
      return s.state === 'connected' && t.state === 'connected' && s.node === owner && t.node === owner;
    }, POLL);
    p.send({ cmd: 'set', key: 'before', value: 1 });
    await waitFor('both to see the write made before the split', async () => (await status(q)).shared.before === 1, POLL);
    topo.split(['a', 'cl1'], ['b', 'c', 'cl2']);
    const sideTwo = rendezvousOwner(session, ['b', 'c'], (n) => n) as string;
    await waitFor('each side on its own node', async () => {
      const [s, t] = [await status(p), await status(q)];
      return s.state === 'connected' && s.node === 'a' && t.state === 'connected' && t.node === sideTwo;
    }, POLL);
    p.send({ cmd: 'set', key: 'side', value: 'one' });
    p.send({ cmd: 'set', key: 'p-only', value: { n: 1 } });
    q.send({ cmd: 'set', key: 'side', value: 'two' });
    q.send({ cmd: 'set', key: 'q-only', value: [2] });
    q.send({ cmd: 'set', key: 'before', value: null });
    await waitFor('each side to see its own writes', async () => {
      const [s, t] = [await status(p), await status(q)];
      return s.shared.side === 'one' && s.shared['p-only'] !== undefined && t.shared.side === 'two' && t.shared['q-only'] !== undefined;
    }, POLL);
    await sleep(500);
    topo.healAll();
    await waitFor('one node again, and one map on both', async () => {
      const [s, t] = [await status(p), await status(q)];
      return s.state === 'connected' && s.node === t.node && JSON.stringify(Object.entries(s.shared).sort()) === JSON.stringify(Object.entries(t.shared).sort());
    }, POLL);
    const [s, t] = [await status(p), await status(q)];
    expect(Object.entries(s.shared).sort()).toEqual(Object.entries(t.shared).sort());
    expect(s.shared['p-only']).toEqual({ n: 1 });
    expect(s.shared['q-only']).toEqual([2]);
    expect(s.shared.before).toBeNull();
    expect(['one', 'two']).toContain(s.shared.side);
    p.send({ cmd: 'close' });
    q.send({ cmd: 'close' });
  });
});
