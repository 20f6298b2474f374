/**
 * Hostile clients inside a session, against a real node on loopback: a stranger that borrows a
 * member's id, floods a session with members it invents, holds senders back by confirming slowly,
 * or names positions past anything sent. Each test asserts the bound the node now holds and that an
 * honest pair of SDK clients keeps exchanging messages exactly once throughout. Waits are hang
 * guards, never timed assertions.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { NodeServer } from '../../src/server/node/node-server.js';
import { closeAll, deliveryViolations, member, sendNext, type Member } from '../helpers/members.js';
import { cleanupAll, hello, join, node, RawClient, type Frame } from '../helpers/raw-node.js';
import { waitFor } from '../helpers/wait.js';

/** The largest position a client may claim (the codec refuses more: the node's resend is one past it). */
const MAX_CLIENT_POSITION = Number.MAX_SAFE_INTEGER - 1;
const REQUIRED = { t: 'error', code: 'rejected', message: 'resume token required' };
let pair: Member[] = [];

afterEach(async () => {
  await closeAll(pair);
  pair = [];
  await cleanupAll();
});

async function honestPair(n: NodeServer, session: string): Promise<Member[]> {
  pair = [member('ann', { session, nodes: [n.url] }), member('bob', { session, nodes: [n.url] })];
  await waitFor('the honest pair to connect', () => pair.every((m) => m.client.state === 'connected'), 5000);
  return pair;
}

/** Both send `count` more; resolves once each has everything the other sent. */
async function exchange(members: Member[], count: number): Promise<void> {
  for (let i = 0; i < count; i++) for (const m of members) sendNext(m);
  await waitFor('the honest pair to deliver', () => deliveryViolations(members).length === 0, 15_000);
}

/** The node's first answer to a raw hello. */
async function answer(n: NodeServer, frame: Frame): Promise<Frame> {
  const c = await RawClient.open(n.url);
  c.send(frame);
  return c.next();
}

describe('hostile sessions', () => {
  it('a stranger cannot take over a member, attached or in grace, and hears nothing of who is connected', async () => {
    const n = await node({ id: 'a' });
    const members = await honestPair(n, 'room');
    await exchange(members, 5);
    const victim = await join(n, 'room', 'victim');
    victim.c.ws.terminate();
    await waitFor('the victim to detach', () => n.stats().links === 2, 5000);
    // In grace, attached, or with a forged token: one answer, the same for every case.
    expect(await answer(n, hello('room', 'victim'))).toEqual(REQUIRED);
    expect(await answer(n, hello('room', 'ann'))).toEqual(REQUIRED);
    expect(await answer(n, hello('room', 'victim', { resume: 'g1.zzzzzzzz.forged' }))).toEqual(REQUIRED);
    const back = await join(n, 'room', 'victim', { resume: victim.welcome.resume as string });
    expect(back.welcome.t).toBe('welcome');
    await exchange(members, 5);
    expect(members.flatMap((m) => m.errors)).toEqual([]);
  });

  it('a placeholder flood is bounded per hello and per session; the honest pair keeps going', async () => {
    const n = await node({ id: 'a' });
    const members = await honestPair(n, 'room');
    const fake = (h: number) => Array.from({ length: 4096 }, (_, i) => `${h}-${i}-`.padEnd(128, 'x'));
    for (let h = 0; h < 20; h++) {
      const c = await RawClient.open(n.url);
      c.send(hello(h % 2 === 0 ? 'room' : `other-${h}`, `mallory-${h}`, { members: fake(h) }));
      const welcome = await c.next();
      expect(welcome.t).toBe('welcome');
      expect((welcome.members as string[]).length).toBeLessThanOrEqual(256);
      await exchange(members, 1);
    }
    // 256 in 'room', at most 1 + 64 in each of the ten others.
    expect(n.stats().members).toBeLessThanOrEqual(256 + 10 * 65);
    expect(members.flatMap((m) => m.errors)).toEqual([]);
  });

  it('a member that confirms too slowly stops holding a sender back and is cut; ghosts never hold it', async () => {
    const n = await node({ id: 'a' });
    const members = await honestPair(n, 'room');
    const alice = await join(n, 'stalled', 'alice');
    const carol = await join(n, 'stalled', 'carol');
    const mallory = await join(n, 'stalled', 'mallory', { members: ['ghost-1', 'ghost-2'] });
    for (let seq = 1; seq <= 20; seq++) alice.c.send({ t: 'msg', seq, d: `m${seq}` });
    await carol.c.next('msg');
    carol.c.send({ t: 'ack', recv: { alice: 20 } });
    // Mallory confirms one message now and then: progress, but never what it owes.
    mallory.c.send({ t: 'ack', recv: { alice: 1 } });
    const trickle = setInterval(() => {
      mallory.c.send({ t: 'ack', recv: { alice: 2 } });
      for (const honest of [alice, carol]) honest.c.send({ t: 'ping' }); // raw links: keep them alive
    }, 2000);
    try {
      expect(await mallory.c.closed).toMatchObject({ code: 1013 });
    } finally {
      clearInterval(trickle);
    }
    await waitFor('alice to be acknowledged everything', () => alice.c.pending('acked').some((f) => f.upTo === 20), 5000);
    await exchange(members, 5);
    expect(members.flatMap((m) => m.errors)).toEqual([]);
  }, 20_000);

  it('positions past anything sent never make the node emit a frame its codec refuses', async () => {
    const n = await node({ id: 'a' });
    const members = await honestPair(n, 'room');
    await exchange(members, 3);
    for (let i = 0; i < 5; i++) {
      const c = await RawClient.open(n.url);
      c.send(hello('room', `mallory-${i}`, { recv: { ann: MAX_CLIENT_POSITION, bob: MAX_CLIENT_POSITION } }));
      expect((await c.next()).t).toBe('welcome');
      c.send({ t: 'ack', recv: { ann: MAX_CLIENT_POSITION } });
    }
    await exchange(members, 3);
    expect(members.flatMap((m) => m.errors)).toEqual([]);
    expect(members.flatMap((m) => m.migrations)).toEqual([]);
  });
});
