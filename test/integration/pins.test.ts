/**
 * One-sided partitions at the protocol level: a member that cannot reach its session's host while
 * the nodes still can. Real nodes in-process, raw clients; "cannot reach" is a client that reports
 * the host failed, is sent back to it, and comes back without having joined anywhere (the same
 * resume token). The kernel-level version, with network namespaces, is in partition.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { NodeServer } from '../../src/server/node/node-server.js';
import { cleanupAll, cloud, hello, join, RawClient, sessionOwnedBy } from '../helpers/raw-node.js';
import { waitFor } from '../helpers/wait.js';

afterEach(cleanupAll);

const FAST_PEERS = { peerHeartbeat: { intervalMs: 100, timeoutMs: 400 } };

/** Sends `hello` to `node` and returns the first answer (welcome or redirect). */
async function ask(node: NodeServer, frame: ReturnType<typeof hello>): Promise<{ c: RawClient; answer: Record<string, unknown> }> {
  const c = await RawClient.open(node.url);
  c.send(frame);
  return { c, answer: await c.next() };
}

const hostEverywhere = (nodes: NodeServer[], session: string): string[] => [...new Set(nodes.map((n) => n.hostOf(session).id))];

describe('pinned sessions (one-sided partitions)', () => {
  it('a member that cannot reach the live host moves the whole session to a node it reached', async () => {
    const ids = ['a', 'b', 'c'];
    const nodes = await cloud(ids, FAST_PEERS);
    const [a, b, c] = nodes as [NodeServer, NodeServer, NodeServer];
    const session = sessionOwnedBy('a', ids);
    const alice = await join(a, session, 'alice');

    // Bob's link to a broke: b finds a alive and sends him back, once.
    const first = await ask(b, hello(session, 'bob', { failed: ['a'] }));
    expect(first.answer).toMatchObject({ t: 'redirect', node: { id: 'a' }, reason: 'not-host' });
    // He comes back without having joined anywhere: he cannot reach a. b hosts the session.
    const second = await ask(b, hello(session, 'bob', { failed: ['a'] }));
    expect(second.answer).toMatchObject({ t: 'welcome', node: { id: 'b' }, session });

    // Alice, who reaches a fine, is moved to b, and every node now places the session there.
    expect(await alice.c.next('redirect')).toMatchObject({ node: { id: 'b' }, reason: 'rebalance' });
    expect((await alice.c.closed).code).toBe(4002);
    await waitFor('every node to place the session on b', () => hostEverywhere(nodes, session).join() === 'b');
    expect(a.stats().sessions).toBe(0);
    const back = await join(b, session, 'alice', { resume: alice.welcome.resume as string, via: 'a' });
    expect(back.welcome.members).toContain('bob');
    const newcomer = await ask(c, hello(session, 'carol'));
    expect(newcomer.answer).toMatchObject({ t: 'redirect', node: { id: 'b' } });

    // The pin lasts as long as b hosts the session: once its members leave, rendezvous rules again.
    for (const member of [second.c, back.c]) member.send({ t: 'bye' });
    await waitFor('placement to return to the rendezvous host', () => hostEverywhere(nodes, session).join() === 'a');
  });

  it('a client that joined somewhere in between is sent back again: one broken link moves nothing', async () => {
    const ids = ['a', 'b'];
    const nodes = await cloud(ids, FAST_PEERS);
    const [a, b] = nodes as [NodeServer, NodeServer];
    const session = sessionOwnedBy('a', ids);
    const first = await ask(b, hello(session, 'bob', { failed: ['a'] }));
    expect(first.answer).toMatchObject({ t: 'redirect', node: { id: 'a' } });
    const onA = await join(a, session, 'bob');
    onA.c.ws.terminate(); // a reset: his next hello carries the token of that welcome
    const again = await ask(b, hello(session, 'bob', { failed: ['a'], resume: onA.welcome.resume as string, via: 'a' }));
    expect(again.answer).toMatchObject({ t: 'redirect', node: { id: 'a' } });
    expect(hostEverywhere(nodes, session)).toEqual(['a']);
  });

  it('a later claim wins over an earlier one, and a pinned node that goes away takes its pin with it', async () => {
    const ids = ['a', 'b', 'c'];
    const nodes = await cloud(ids, FAST_PEERS);
    const [a, b, c] = nodes as [NodeServer, NodeServer, NodeServer];
    const session = sessionOwnedBy('a', ids);
    // Bob cannot reach a: the session is pinned to b.
    await ask(b, hello(session, 'bob', { failed: ['a'] }));
    const bob = await ask(b, hello(session, 'bob', { failed: ['a'] }));
    expect(bob.answer).toMatchObject({ t: 'welcome', node: { id: 'b' } });
    await waitFor('the pin to b to reach every node', () => hostEverywhere(nodes, session).join() === 'b');

    // Carol cannot reach b: c claims it above b's claim, and b hands its members over.
    expect((await ask(c, hello(session, 'carol', { failed: ['b'] }))).answer).toMatchObject({ t: 'redirect', node: { id: 'b' } });
    expect((await ask(c, hello(session, 'carol', { failed: ['b'] }))).answer).toMatchObject({ t: 'welcome', node: { id: 'c' } });
    expect(await bob.c.next('redirect')).toMatchObject({ node: { id: 'c' }, reason: 'rebalance' });
    await waitFor('every node to place the session on c', () => hostEverywhere(nodes, session).join() === 'c');

    // c goes away: its claim lapses with its peer links, and the rendezvous host is back.
    await c.close();
    await waitFor('placement to return to a', () => hostEverywhere([a, b], session).join() === 'a');
  });
});
