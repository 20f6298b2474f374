/**
 * Rotating the cloud's secret without splitting the cloud or refusing a member (docs/operations.md,
 * "Rotating secrets"): two rolling restarts with drain — first every node accepts the new secret,
 * then every node signs with it while accepting the old one. At every step the nodes still link
 * (peer proofs under either secret count) and members move with the resume tokens they hold.
 * Real nodes in-process, restarted on their ports; real clients from the built package.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { NodeServer, NodeServerOptions } from '../../src/server/node/node-server.js';
import { cleanupAll, freePorts, HANG_GUARD_MS, node } from '../helpers/raw-node.js';
import { allDelivered, closeAll, commonNode, deliveryViolations, member, sendNext, type Member } from '../helpers/members.js';
import { waitFor } from '../helpers/wait.js';

afterEach(cleanupAll);

const OLD = 'the-old-cloud-secret';
const NEW = 'the-new-cloud-secret';

describe('rotating the cloud secret', () => {
  it('two rolling restarts: peers stay linked, members resume everywhere, nothing lost', async () => {
    const ids = ['a', 'b', 'c'];
    const ports = await freePorts(ids.length);
    const peers = ids.map((id, i) => ({ id, url: `ws://127.0.0.1:${ports[i]}` }));
    const base = (id: string): NodeServerOptions => ({ id, port: ports[ids.indexOf(id)], peers, peerHeartbeat: { intervalMs: 100, timeoutMs: 400 }, memberGraceMs: 30_000 });
    const running = new Map<string, NodeServer>();
    for (const id of ids) running.set(id, await node({ ...base(id), secret: OLD }));
    const linked = (): boolean => [...running.values()].every((n) => n.stats().alivePeers.length === ids.length - 1);
    await waitFor('the cloud to form', linked, HANG_GUARD_MS);

    const members: Member[] = ['ann', 'bob', 'cat'].map((name) => member(name, { session: 'rotating-room', nodes: peers.map((p) => p.url) }));
    await Promise.all(members.map((m) => m.client.ready));
    const traffic = setInterval(() => members.forEach(sendNext), 20);
    try {
      // Each step drains one node (its members move with their tokens) and starts it again with new secrets.
      const roll = async (id: string, secrets: Pick<NodeServerOptions, 'secret' | 'acceptedSecrets'>): Promise<void> => {
        await running.get(id)?.drain({ deadlineMs: 3000 });
        running.set(id, await node({ ...base(id), ...secrets }));
        await waitFor(`peers linked again after restarting ${id}`, linked, HANG_GUARD_MS);
        await waitFor('members on one node', () => commonNode(members) !== undefined, HANG_GUARD_MS);
      };
      for (const id of ids) await roll(id, { secret: OLD, acceptedSecrets: [NEW] });
      for (const id of ids) await roll(id, { secret: NEW, acceptedSecrets: [OLD] });
      // The old secret retired: every node and every token is on the new one now.
      for (const id of ids) await roll(id, { secret: NEW });
    } finally {
      clearInterval(traffic);
    }
    await waitFor('everything delivered', () => allDelivered(members), HANG_GUARD_MS);
    expect(deliveryViolations(members)).toEqual([]);
    for (const m of members) {
      expect(m.errors.filter((code) => code === 'GRIDLINK_REJECTED' || code === 'GRIDLINK_UNAUTHORIZED')).toEqual([]);
      expect(m.client.state).toBe('connected');
      expect(m.migrations.length).toBeGreaterThan(0);
    }
    await closeAll(members);
  });

  it('a node on a secret nobody else accepts is refused as a peer (the split a rotation avoids)', async () => {
    const ports = await freePorts(2);
    const peers = [{ id: 'a', url: `ws://127.0.0.1:${ports[0]}` }, { id: 'b', url: `ws://127.0.0.1:${ports[1]}` }];
    const a = await node({ id: 'a', port: ports[0], peers, secret: OLD, peerHeartbeat: { intervalMs: 100, timeoutMs: 400 } });
    const b = await node({ id: 'b', port: ports[1], peers, secret: NEW, peerHeartbeat: { intervalMs: 100, timeoutMs: 400 } });
    // Long enough for several dials each way; neither ever counts the other alive.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(a.stats().alivePeers).toEqual([]);
    expect(b.stats().alivePeers).toEqual([]);
  });

  it('refuses accepted secrets without a secret that signs', async () => {
    await expect(node({ id: 'a', port: 0, acceptedSecrets: [OLD] })).rejects.toMatchObject({ code: 'GRIDLINK_INVALID_OPTION', message: 'acceptedSecrets needs secret (the one that signs)' });
  });
});
