/**
 * `to`, requests and shared state on real node processes: a message `to` one member reaches it
 * exactly once and in order and nobody else, and a request's handler runs exactly once, across a
 * SIGKILL of the host and a black hole; shared writes racing a kill converge to one map on every
 * member, writes whose flush resolved survive it, and a late joiner has the whole map before any
 * message sent after it joined; bounds and bad input are typed errors, and a hostile client's
 * malformed frames are refused by the node, which carries on.
 */
import { isDeepStrictEqual } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startLocalCloud, startNode, type LocalCloud, type NodeServer } from '../../dist/server.js';
import { closeAll, commonNode, member, type Member } from '../helpers/members.js';
import { sleep, waitFor } from '../helpers/wait.js';

let cloud: LocalCloud | undefined;
let node: NodeServer | undefined;
let members: Member[] = [];

afterEach(async () => {
  await closeAll(members);
  members = [];
  await cloud?.stop();
  cloud = undefined;
  await node?.close();
  node = undefined;
});

const rotate = <T>(list: readonly T[], by: number): T[] => [...list.slice(by % list.length), ...list.slice(0, by % list.length)];

function join(urls: readonly string[], session: string, names: string[]): Member[] {
  const joined = names.map((name, i) => member(name, { session, nodes: rotate(urls, i) }));
  members.push(...joined);
  return joined;
}

const sharedOf = (m: Member): Record<string, unknown> => Object.fromEntries(m.client.shared);

/**
 * ann sends numbered messages `to` bob and asks bob numbered requests while `failure` happens;
 * bob's handler counts its runs per request. Returns what each side saw.
 */
async function toAndRequestsAround(c: LocalCloud, session: string, failure: (victim: string) => Promise<void>): Promise<void> {
  const [ann, bob, cy] = join(c.urls, session, ['ann', 'bob', 'cy']) as [Member, Member, Member];
  await Promise.all([ann, bob, cy].map((m) => m.client.ready));
  await waitFor('all to see all', () => [ann, bob, cy].every((m) => m.client.members.size === 2));
  const runs = new Map<string, number>();
  bob.client.onRequest((data, { from }) => {
    runs.set(String(data), (runs.get(String(data)) ?? 0) + 1);
    return `${from}:${String(data)}:ok`;
  });
  const replies: Array<Promise<string | Uint8Array>> = [];
  let sent = 0;
  const pump = setInterval(() => {
    sent++;
    ann.client.send(`ann:${sent}`, { to: 'bob' });
    replies.push(ann.client.request(`q${sent}`, { to: 'bob', timeoutMs: 30_000 }));
  }, 5);
  const victim = commonNode([ann, bob, cy]) as string;
  try {
    await sleep(200);
    await failure(victim);
    await waitFor('all to move off the victim', () => commonNode([ann, bob, cy]) !== undefined && commonNode([ann, bob, cy]) !== victim);
    await sleep(200);
  } finally {
    clearInterval(pump);
  }
  const answers = await Promise.all(replies);
  expect(answers).toEqual(Array.from({ length: sent }, (_, i) => `ann:q${i + 1}:ok`));
  // Every request handled exactly once, whatever the migration replayed.
  expect(runs.size).toBe(sent);
  expect([...runs.values()].every((n) => n === 1)).toBe(true);
  await waitFor('bob to get every message to him', () => (bob.received.get('ann') ?? []).length >= sent);
  await sleep(100); // room for a late duplicate
  expect(bob.received.get('ann')).toEqual(Array.from({ length: sent }, (_, i) => i + 1));
  expect(cy.received.get('ann')).toBeUndefined();
  expect(ann.errors.filter((e) => e !== 'GRIDLINK_LINK_LOST' && e !== 'GRIDLINK_HEARTBEAT_TIMEOUT')).toEqual([]);
}

describe('to and requests across failures', () => {
  it('across SIGKILL of the host: each `to` message once, in order, only to its target; each request handled once', async () => {
    cloud = await startLocalCloud({ nodes: 3 });
    const c = cloud;
    await toAndRequestsAround(c, 'to-kill', (victim) => c.kill(victim));
  });

  it('across a drain of the host (make-before-break): the same', async () => {
    cloud = await startLocalCloud({ nodes: 3 });
    const c = cloud;
    await toAndRequestsAround(c, 'to-drain', async (victim) => void c.drain(victim).catch(() => {}));
  });

  it('across a black-holed host (detected by heartbeat): the same', async () => {
    cloud = await startLocalCloud({ nodes: 3 });
    const c = cloud;
    await toAndRequestsAround(c, 'to-hole', async (victim) => c.blackhole(victim));
  });
});

describe('shared state on real nodes', () => {
  it('writes racing a SIGKILL of the host converge to one map on every member; flushed writes survive', async () => {
    cloud = await startLocalCloud({ nodes: 3 });
    const ms = join(cloud.urls, 'shared-kill', ['ann', 'bob', 'cy']);
    await Promise.all(ms.map((m) => m.client.ready));
    await waitFor('all to see all', () => ms.every((m) => m.client.members.size === 2));
    const flushed = new Map<string, string>();
    let i = 0;
    const pump = setInterval(() => {
      i++;
      for (const m of ms) {
        if (m.client.state !== 'connected') continue;
        m.client.setShared('owner', m.name); // contended: one winner, the same everywhere
        m.client.setShared(`${m.name}-${i % 40}`, i);
        const key = `${m.name}-${i % 40}`;
        const value = i;
        m.client.flush().then(() => flushed.set(key, String(value)), () => {});
      }
    }, 5);
    const victim = commonNode(ms) as string;
    try {
      await sleep(200);
      await cloud.kill(victim);
      await waitFor('all to move', () => commonNode(ms) !== undefined && commonNode(ms) !== victim);
      await sleep(200);
      // Every key index (i % 40, index 0 at i = 40) is written at least once, however slow the timer runs.
      await waitFor('two rounds of keys', () => i >= 80);
    } finally {
      clearInterval(pump);
    }
    await Promise.all(ms.map((m) => m.client.flush()));
    await waitFor('every member to hold the same map', () => ms.every((m) => isDeepStrictEqual(sharedOf(m), sharedOf(ms[0] as Member))));
    const map = sharedOf(ms[0] as Member);
    expect(['ann', 'bob', 'cy']).toContain(map.owner);
    // A key is written again later; a flushed write is there unless a later write of its key replaced it.
    for (const [key, value] of flushed) expect(Number(map[key])).toBeGreaterThanOrEqual(Number(value));
    expect(Object.keys(map).length).toBe(1 + 3 * 40);
  });

  it('a late joiner has the whole map when ready, before any message sent after it joined', async () => {
    node = await startNode({ id: 'a', port: 0, host: '127.0.0.1' });
    const [ann] = join([node.url], 'late', ['ann']) as [Member];
    await ann.client.ready;
    for (let k = 0; k < 20; k++) ann.client.setShared(`k${k}`, { k });
    ann.client.setShared('k3', undefined);
    await ann.client.flush();
    await waitFor('ann to see her writes ordered', () => ann.client.shared.size === 19);
    const dee = member('dee', { session: 'late', nodes: [node.url] });
    members.push(dee);
    const atFirstMessage: number[] = [];
    dee.client.on('message', () => atFirstMessage.push(dee.client.shared.size));
    await dee.client.ready;
    expect(dee.client.shared.size).toBe(19);
    expect(dee.client.shared.has('k3')).toBe(false);
    expect(dee.client.shared.get('k7')).toEqual({ k: 7 });
    await waitFor('ann to see dee', () => ann.client.members.has('dee'));
    ann.client.send('ann:1');
    await waitFor('dee to get the message', () => atFirstMessage.length === 1);
    expect(atFirstMessage).toEqual([19]);
  });

  it('a member back after its grace period (removed meanwhile) gets the whole current map in its welcome', async () => {
    node = await startNode({ id: 'a', port: 0, host: '127.0.0.1', memberGraceMs: 200 });
    const [ann, bob] = join([node.url], 'regrace', ['ann', 'bob']) as [Member, Member];
    await Promise.all([ann.client.ready, bob.client.ready]);
    ann.client.setShared('v', 1);
    await waitFor('bob to have v=1', () => bob.client.shared.get('v') === 1);
    // carl joins, vanishes without a bye and stays away past the grace period; ann writes meanwhile.
    const raw = new WebSocket(node.url, 'gridlink.v1');
    raw.on('error', () => {});
    await new Promise<void>((resolve) => raw.once('open', () => resolve()));
    raw.send(JSON.stringify({ t: 'hello', v: 1, session: 'regrace', client: 'carl', recv: {}, members: [], shared: {} }));
    await waitFor('ann to see carl', () => ann.client.members.has('carl'));
    raw.terminate();
    await waitFor('carl removed after his grace period', () => !ann.client.members.has('carl'));
    ann.client.setShared('v', 2);
    ann.client.setShared('w', 'new');
    await ann.client.flush();
    const again = new WebSocket(node.url, 'gridlink.v1');
    again.on('error', () => {});
    await new Promise<void>((resolve) => again.once('open', () => resolve()));
    const welcome = new Promise<Record<string, unknown>>((resolve) => again.once('message', (data) => resolve(JSON.parse(String(data)) as Record<string, unknown>)));
    // Back with its stale copy: the newer writes win, the map is whole.
    again.send(JSON.stringify({ t: 'hello', v: 1, session: 'regrace', client: 'carl', recv: {}, members: [], shared: { v: [1, 1] } }));
    const w = await welcome;
    expect(Object.fromEntries(Object.entries(w.shared as Record<string, unknown[]>).map(([k, e]) => [k, e[1]]))).toEqual({ v: 2, w: 'new' });
    again.terminate();
  });
});

describe('bounds and bad input', () => {
  it('shared bounds, non-JSON values, unknown `to`, and every way a request fails are typed errors', async () => {
    node = await startNode({ id: 'a', port: 0, host: '127.0.0.1', maxSharedKeys: 3, maxSharedBytes: 200 });
    const [ann, bob] = join([node.url], 'bounds', ['ann', 'bob']) as [Member, Member];
    await Promise.all([ann.client.ready, bob.client.ready]);
    await waitFor('ann to see bob', () => ann.client.members.has('bob'));
    for (const k of ['a', 'b', 'c']) ann.client.setShared(k, 1);
    await waitFor('three keys', () => ann.client.shared.size === 3);
    expect(() => ann.client.setShared('d', 1)).toThrow(expect.objectContaining({ code: 'GRIDLINK_SHARED_TOO_LARGE' }));
    expect(() => ann.client.setShared('a', 'x'.repeat(300))).toThrow(expect.objectContaining({ code: 'GRIDLINK_SHARED_TOO_LARGE' }));
    expect(() => ann.client.setShared('a', new Date() as unknown as string)).toThrow(expect.objectContaining({ code: 'GRIDLINK_INVALID_ARGUMENT' }));
    expect(() => ann.client.setShared('a', Number.NaN)).toThrow(expect.objectContaining({ code: 'GRIDLINK_INVALID_ARGUMENT' }));
    expect(() => ann.client.send('x', { to: 'nobody' })).toThrow(expect.objectContaining({ code: 'GRIDLINK_NO_SUCH_MEMBER' }));
    expect(() => ann.client.request('x', { to: 'nobody' })).toThrow(expect.objectContaining({ code: 'GRIDLINK_NO_SUCH_MEMBER' }));
    // No handler yet.
    await expect(ann.client.request('x', { to: 'bob' })).rejects.toMatchObject({ code: 'GRIDLINK_NO_HANDLER' });
    // A coded error passes its code and message; anything else a generic message, never a stack.
    bob.client.onRequest((data) => {
      if (data === 'coded') throw Object.assign(new Error('no seats left'), { code: 'APP_FULL' });
      if (data === 'plain') throw new Error('secret internals');
      if (data === 'slow') return new Promise(() => {});
      return 'fine';
    });
    await expect(ann.client.request('coded', { to: 'bob' })).rejects.toMatchObject({ code: 'GRIDLINK_REQUEST_FAILED', remoteCode: 'APP_FULL', message: 'no seats left' });
    const plain = await ann.client.request('plain', { to: 'bob' }).catch((e: Error) => e);
    expect(plain).toMatchObject({ code: 'GRIDLINK_REQUEST_FAILED', message: 'the request handler failed' });
    expect(String((plain as Error).message)).not.toContain('secret');
    await expect(ann.client.request('slow', { to: 'bob', timeoutMs: 200 })).rejects.toMatchObject({ code: 'GRIDLINK_REQUEST_TIMEOUT' });
    const aborter = new AbortController();
    const aborted = ann.client.request('slow', { to: 'bob', signal: aborter.signal });
    aborter.abort();
    await expect(aborted).rejects.toMatchObject({ code: 'GRIDLINK_ABORTED' });
    const orphan = ann.client.request('slow', { to: 'bob' });
    await bob.client.close();
    await expect(orphan).rejects.toMatchObject({ code: 'GRIDLINK_MEMBER_LEFT' });
    // bob is gone from ann's members: asking him now is a synchronous typed error.
    expect(() => ann.client.request('fine', { to: 'bob' })).toThrow(expect.objectContaining({ code: 'GRIDLINK_NO_SUCH_MEMBER' }));
    await ann.client.close();
    await expect(ann.client.request('x', { to: 'bob' }).catch((e: { code: string }) => Promise.reject(e))).rejects.toMatchObject({ code: 'GRIDLINK_CLOSED' });
  });

  it('a message to a member that vanished and was removed after its grace period is reported, never dropped in silence', async () => {
    node = await startNode({ id: 'a', port: 0, host: '127.0.0.1', memberGraceMs: 300 });
    const [ann] = join([node.url], 'left', ['ann']) as [Member];
    await ann.client.ready;
    // rob joins, never confirms anything, and vanishes without a bye.
    const rob = new WebSocket(node.url, 'gridlink.v1');
    rob.on('error', () => {});
    await new Promise<void>((resolve) => rob.once('open', () => resolve()));
    rob.send(JSON.stringify({ t: 'hello', v: 1, session: 'left', client: 'rob', recv: {}, members: [], shared: {} }));
    await waitFor('ann to see rob', () => ann.client.members.has('rob'));
    ann.client.send('one', { to: 'rob' });
    ann.client.send('everyone');
    const flushed = ann.client.flush();
    rob.terminate();
    // Removed after its grace period: the message to it was never delivered, and ann is told.
    await waitFor('ann to hear rob left', () => !ann.client.members.has('rob'));
    await waitFor('the undelivered message reported', () => ann.errors.includes('GRIDLINK_MEMBER_LEFT'));
    expect(ann.errors.filter((e) => e === 'GRIDLINK_MEMBER_LEFT')).toEqual(['GRIDLINK_MEMBER_LEFT']);
    await flushed; // nobody holds it back any more
  });

  it('a hostile client sending malformed `to`, request and shared frames is refused with a code; the node carries on', async () => {
    node = await startNode({ id: 'a', port: 0, host: '127.0.0.1' });
    const [ann, bob] = join([node.url], 'hostile', ['ann', 'bob']) as [Member, Member];
    await Promise.all([ann.client.ready, bob.client.ready]);
    const bad = [
      { t: 'msg', seq: 1, d: 'x', to: '' },
      { t: 'msg', seq: 1, d: 'x', to: 7 },
      { t: 'msg', d: 'x', to: 'ann', q: 1 },
      { t: 'msg', seq: 1, d: 'x', to: 'ann', q: -1 },
      { t: 'msg', seq: 1, d: 'x', to: 'ann', q: 1, r: 1 },
      { t: 'msg', seq: 1, d: 'x', to: 'ann', e: 'X' },
      { t: 'msg', seq: 1, d: '{not json', k: 'key' },
      { t: 'msg', seq: 1, d: '1', k: 'key', to: 'ann' },
      { t: 'msg', d: '1', k: 'key' },
      { t: 'msg', seq: 1, d: '1', k: 'x'.repeat(200) },
    ];
    const closes: number[] = [];
    for (const [i, frame] of bad.entries()) {
      const ws = new WebSocket(node.url, 'gridlink.v1');
      ws.on('error', () => {});
      await new Promise<void>((resolve) => ws.once('open', () => resolve()));
      ws.send(JSON.stringify({ t: 'hello', v: 1, session: 'hostile', client: `h${i}`, recv: {}, members: [], shared: { ok: [1, 'x'] } }));
      await new Promise<void>((resolve) => ws.once('message', () => resolve()));
      const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
      ws.send(JSON.stringify(frame));
      closes.push(await closed);
    }
    expect(closes.every((code) => code === 4001)).toBe(true);
    // A hostile seed with a far-future version is not believed; a seed of a malformed map is refused.
    const seeder = new WebSocket(node.url, 'gridlink.v1');
    seeder.on('error', () => {});
    await new Promise<void>((resolve) => seeder.once('open', () => resolve()));
    seeder.send(JSON.stringify({ t: 'hello', v: 1, session: 'hostile', client: 'seeder', recv: {}, members: [], shared: { owner: [Number.MAX_SAFE_INTEGER, 'mallory'] } }));
    await new Promise<void>((resolve) => seeder.once('message', () => resolve()));
    ann.client.setShared('owner', 'ann');
    await waitFor('ann to see her write ordered', () => ann.client.shared.get('owner') === 'ann');
    await waitFor('bob to agree', () => bob.client.shared.get('owner') === 'ann');
    seeder.terminate();
    // The node still serves the session.
    ann.client.send('ann:1', { to: 'bob' });
    await waitFor('bob to get it', () => (bob.received.get('ann') ?? []).length === 1);
  });
});
