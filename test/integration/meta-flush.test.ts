/**
 * meta, members and flush on real nodes: every member sees every other member's current meta, also
 * after the host is SIGKILLed (the new host learns it from the members' hellos); an oversized meta
 * is a typed error, never a loop; a meta from the node's `authenticate` overrides the client's; and
 * flush resolves across a host kill and is not held up by a member that leaves.
 */
import { isDeepStrictEqual } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, type Client } from '../../dist/node.js';
import { startLocalCloud, startNode, type LocalCloud } from '../../dist/server.js';
import { closeAll, commonNode, member, sendNext, type Member } from '../helpers/members.js';
import { waitFor } from '../helpers/wait.js';

let cloud: LocalCloud | undefined;
let members: Member[] = [];
const closers: Array<() => Promise<unknown>> = [];

afterEach(async () => {
  await closeAll(members);
  members = [];
  for (const close of closers.splice(0)) await close();
  await cloud?.stop();
  cloud = undefined;
});

const rotate = <T>(list: readonly T[], by: number): T[] => [...list.slice(by % list.length), ...list.slice(0, by % list.length)];

function join(c: LocalCloud, session: string, names: string[]): Member[] {
  const joined = names.map((name, i) => member(name, { session, nodes: rotate(c.urls, i), meta: { name: name.toUpperCase() } }));
  members.push(...joined);
  return joined;
}

/** What `of` knows of the others' meta, by id. */
const seen = (of: Member): Record<string, unknown> => Object.fromEntries([...of.client.members.values()].map((m) => [m.clientId, m.meta]));

describe('meta and members on real nodes', () => {
  it('every member sees every other member\'s current meta, after a setMeta and after SIGKILL of the host', async () => {
    cloud = await startLocalCloud({ nodes: 3 });
    const ms = join(cloud, 'meta-kill', ['ann', 'bob', 'cy']);
    await Promise.all(ms.map((m) => m.client.ready));
    const [ann, bob, cy] = ms as [Member, Member, Member];
    await waitFor('all to see all', () => ms.every((m) => m.client.members.size === 2));
    expect(seen(ann)).toEqual({ bob: { name: 'BOB' }, cy: { name: 'CY' } });
    const changed = new Promise((resolve) => cy.client.once('member', resolve));
    ann.client.setMeta({ name: 'ANN', role: 'lead' });
    expect(await changed).toEqual({ clientId: 'ann', meta: { name: 'ANN', role: 'lead' } });
    const victim = commonNode(ms) as string;
    await cloud.kill(victim);
    await waitFor('all to migrate', () => ms.every((m) => m.migrations.length > 0 && m.client.state === 'connected'));
    await waitFor('one new node', () => commonNode(ms) !== undefined && commonNode(ms) !== victim);
    // a change made after the migration reaches everyone too
    bob.client.setMeta({ name: 'BOB', away: true });
    const want = { ann: { name: 'ANN', role: 'lead' }, bob: { name: 'BOB', away: true }, cy: { name: 'CY' } };
    const others = (m: Member) => Object.fromEntries(Object.entries(want).filter(([id]) => id !== m.name));
    // Map order is arrival order, which a migration reshuffles: compare as sets of entries.
    await waitFor('everyone to see the current meta of the others', () => ms.every((m) => isDeepStrictEqual(seen(m), others(m))));
    for (const m of ms) expect(seen(m)).toEqual(others(m));
  });

  it('an oversized meta: setMeta throws GRIDLINK_META_TOO_LARGE; connect() fails once with it (no retry loop)', async () => {
    cloud = await startLocalCloud({ nodes: 2, maxMetaBytes: 64 });
    const [ann] = join(cloud, 'meta-big', ['ann']) as [Member];
    await ann.client.ready;
    expect(() => ann.client.setMeta({ text: 'x'.repeat(100) })).toThrow(expect.objectContaining({ code: 'GRIDLINK_META_TOO_LARGE' }));
    const big = connect({ session: 'meta-big', clientId: 'big', nodes: cloud.urls, meta: 'x'.repeat(100) });
    closers.push(() => big.close());
    big.on('error', () => {});
    await expect(big.ready).rejects.toMatchObject({ code: 'GRIDLINK_META_TOO_LARGE' });
    expect(big.state).toBe('failed');
    expect(ann.client.members.has('big')).toBe(false);
  });
});

describe('authenticate giving the member its identity', () => {
  it('the hook\'s { meta } overrides what the client claimed, for every member and for the client itself', async () => {
    const node = await startNode({
      id: 'a', port: 0, host: '127.0.0.1',
      authenticate: ({ token }) => (token === 'ann-token' ? { meta: { name: 'Ann (verified)' } } : token === 'bob-token'),
    });
    closers.push(() => node.close());
    const open = (clientId: string, token: string, meta: unknown): Client => {
      const c = connect({ session: 'auth-meta', clientId, nodes: [node.url], token, meta: meta as never });
      c.on('error', () => {});
      closers.unshift(() => c.close());
      return c;
    };
    const ann = open('ann', 'ann-token', { name: 'Admin' });
    const bob = open('bob', 'bob-token', { name: 'Bob' });
    await Promise.all([ann.ready, bob.ready]);
    await waitFor('bob to see ann', () => bob.members.has('ann'));
    expect(bob.members.get('ann')?.meta).toEqual({ name: 'Ann (verified)' });
    expect(ann.meta).toEqual({ name: 'Ann (verified)' });
    expect(ann.members.get('bob')?.meta).toEqual({ name: 'Bob' });
    expect(() => ann.setMeta({ name: 'Admin' })).toThrow(expect.objectContaining({ code: 'GRIDLINK_INVALID_ARGUMENT' }));
  });
});

describe('flush on real nodes', () => {
  it('resolves across a SIGKILL of the host, and a member that leaves does not hold it up', async () => {
    cloud = await startLocalCloud({ nodes: 3 });
    const ms = join(cloud, 'flush-kill', ['ann', 'bob', 'cy']);
    await Promise.all(ms.map((m) => m.client.ready));
    const [ann, bob, cy] = ms as [Member, Member, Member];
    await waitFor('all to see all', () => ms.every((m) => m.client.members.size === 2));
    for (let i = 0; i < 20; i++) sendNext(ann);
    await ann.client.flush({ signal: AbortSignal.timeout(10_000) });
    // A flush in flight when the host dies resolves on the new host's acknowledgement.
    for (let i = 0; i < 20; i++) sendNext(ann);
    const victim = commonNode(ms) as string;
    const flushed = ann.client.flush({ signal: AbortSignal.timeout(20_000) });
    await cloud.kill(victim);
    await flushed;
    expect(bob.received.get('ann')?.length).toBe(40);
    expect(cy.received.get('ann')?.length).toBe(40);
    // cy leaves cleanly while ann's next flush waits: it resolves on bob's confirmation alone
    for (let i = 0; i < 5; i++) sendNext(ann);
    const again = ann.client.flush({ signal: AbortSignal.timeout(10_000) });
    await cy.client.close();
    await again;
    expect(bob.received.get('ann')?.length).toBe(45);
  });
});
