/**
 * Publishing into a session from the backend (issue 15): `node.publish()` and
 * `POST /sessions/{id}/messages` on any node, forwarded to the session's host, delivered from
 * `@server` to every member present exactly once — retries with the same idempotency key
 * included, across the host's SIGKILL. Bad requests are refused with a code and change nothing.
 * In-process nodes for the HTTP rules; child-process nodes (the local cloud) for the kill.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { connect, type Client } from '../../dist/node.js';
import { publishKey, startLocalCloud, type LocalCloud } from '../../dist/server.js';
import type { NodeServer } from '../../src/server/node/node-server.js';
import { cleanupAll, cleanups, cloud, HANG_GUARD_MS, hello, join, RawClient, sessionOwnedBy } from '../helpers/raw-node.js';
import { waitFor } from '../helpers/wait.js';

afterEach(cleanupAll);

const SECRET = 'cloud-secret';
const KEY = publishKey(SECRET);

interface Heard {
  readonly client: Client;
  readonly got: Array<{ data: string | Uint8Array; from: string; id: string | undefined }>;
}

function member(session: string, urls: string[], clientId: string): Heard {
  const client = connect({ session, nodes: urls, clientId });
  const heard: Heard = { client, got: [] };
  client.on('message', (data, meta) => heard.got.push({ data, from: meta.from, id: meta.id }));
  cleanups.push(() => client.close());
  return heard;
}

async function post(node: { url: string }, session: string, body: string | Uint8Array, headers: Record<string, string> = {}, query = ''): Promise<{ status: number; body: Record<string, unknown> }> {
  const url = `${node.url.replace(/^ws/, 'http')}/sessions/${encodeURIComponent(session)}/messages${query}`;
  const type = typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/octet-stream';
  const res = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': type, ...headers }, body: body as BodyInit });
  const text = await res.text();
  return { status: res.status, body: text.startsWith('{') ? (JSON.parse(text) as Record<string, unknown>) : { text } };
}

describe('publish (in-process nodes)', () => {
  async function threeNodes(): Promise<NodeServer[]> {
    return cloud(['a', 'b', 'c'], { secret: SECRET, publish: true });
  }

  it('node.publish on the host and HTTP on another node reach every member once, from @server', async () => {
    const [a, b] = (await threeNodes()) as [NodeServer, NodeServer, NodeServer];
    const session = sessionOwnedBy('a', ['a', 'b', 'c'], 'pub');
    const ann = member(session, [a.url], 'ann');
    const bob = member(session, [a.url], 'bob');
    await Promise.all([ann.client.ready, bob.client.ready]);
    await waitFor('both members seen', () => ann.client.members.size === 1 && bob.client.members.size === 1, HANG_GUARD_MS);

    expect(await a.publish(session, 'from the host', { idempotencyKey: 'k1' })).toEqual({ status: 'delivered', id: 'k1', members: 2, away: 0 });
    const viaB = await post(b, session, new Uint8Array([1, 2, 3]), { 'idempotency-key': 'k2' });
    expect(viaB).toEqual({ status: 200, body: { status: 'delivered', id: 'k2', members: 2, away: 0 } });
    for (const m of [ann, bob]) {
      expect(m.got).toEqual([
        { data: 'from the host', from: '@server', id: 'k1' },
        { data: new Uint8Array([1, 2, 3]), from: '@server', id: 'k2' },
      ]);
    }
    // A retry with a key already delivered, through a third node: answered, never delivered twice.
    expect((await post(b, session, 'from the host', { 'idempotency-key': 'k1' })).body).toMatchObject({ status: 'delivered', members: 2 });
    await a.publish(session, 'marker');
    await waitFor('the marker', () => ann.got.length === 3 && bob.got.length === 3, HANG_GUARD_MS);
    expect(ann.got.map((g) => g.id?.startsWith('k') ? g.id : 'other')).toEqual(['k1', 'k2', 'other']);
  });

  it('a session with no members is a clear status, not an error', async () => {
    const [a, b] = (await threeNodes()) as [NodeServer, NodeServer, NodeServer];
    expect(await a.publish('nobody-here', 'x')).toMatchObject({ status: 'no-members', members: 0 });
    expect(await post(b, 'nobody-here', 'x')).toMatchObject({ status: 200, body: { status: 'no-members', members: 0 } });
  });

  it('refuses bad requests with a code, and delivers nothing for them', async () => {
    const [a] = (await threeNodes()) as [NodeServer, NodeServer, NodeServer];
    const session = sessionOwnedBy('a', ['a', 'b', 'c'], 'bad');
    const ann = member(session, [a.url], 'ann');
    await ann.client.ready;
    const cases: Array<[Promise<{ status: number; body: Record<string, unknown> }>, number, string]> = [
      [post(a, session, 'x', { authorization: '' }), 401, 'GRIDLINK_UNAUTHORIZED'],
      [post(a, session, 'x', { authorization: `Bearer ${publishKey('another-secret')}` }), 401, 'GRIDLINK_UNAUTHORIZED'],
      [post(a, session, 'x', { 'content-type': 'application/json' }), 415, 'GRIDLINK_INVALID_ARGUMENT'],
      [post(a, session, 'x'.repeat(2 * 1024 * 1024)), 413, 'GRIDLINK_MESSAGE_TOO_LARGE'],
      [post(a, 's'.repeat(200), 'x'), 400, 'GRIDLINK_INVALID_ARGUMENT'],
      [post(a, session, 'x', { 'idempotency-key': 'k'.repeat(200) }), 400, 'GRIDLINK_INVALID_ARGUMENT'],
      [post(a, session, 'x', {}, '?timeoutMs=0'), 400, 'GRIDLINK_INVALID_ARGUMENT'],
      [post(a, session, new Uint8Array([0xff, 0xfe]), { 'content-type': 'text/plain' }), 400, 'GRIDLINK_INVALID_ARGUMENT'],
    ];
    for (const [request, status, code] of cases) expect(await request).toMatchObject({ status, body: { code } });
    const get = await fetch(`${a.url.replace(/^ws/, 'http')}/sessions/${session}/messages`, { headers: { authorization: `Bearer ${KEY}` } });
    expect(get.status).toBe(405);
    await get.text();
    expect(() => a.publish(session, 42 as unknown as string)).toThrow(expect.objectContaining({ code: 'GRIDLINK_INVALID_ARGUMENT' }));
    expect(() => a.publish(session, 'x'.repeat(2 * 1024 * 1024))).toThrow(expect.objectContaining({ code: 'GRIDLINK_MESSAGE_TOO_LARGE' }));
    // The node still works, and nothing above reached the member.
    expect(await a.publish(session, 'after')).toMatchObject({ status: 'delivered', members: 1 });
    await waitFor('the one good publish', () => ann.got.length === 1, HANG_GUARD_MS);
    expect(ann.got.map((g) => g.data)).toEqual(['after']);
  });

  it('is off without the option (404), and never on without a key', async () => {
    const [a] = (await cloud(['a', 'b'], { secret: SECRET })) as [NodeServer, NodeServer];
    expect((await post(a, 'room', 'x')).status).toBe(404);
  });

  it('a member that never confirms makes the publish time out; the retry by key reaches the others once', async () => {
    const [a] = (await threeNodes()) as [NodeServer, NodeServer, NodeServer];
    const session = sessionOwnedBy('a', ['a', 'b', 'c'], 'slow');
    const ann = member(session, [a.url], 'ann');
    await ann.client.ready;
    // A raw member that says it takes publishes, and then never confirms one.
    const silent = await RawClient.open(a.url);
    silent.send({ ...hello(session, 'silent', { members: ['ann'] }), pub: 1 });
    expect((await silent.next()).t).toBe('welcome');
    await expect(a.publish(session, 'one', { idempotencyKey: 'once', timeoutMs: 1000 })).rejects.toMatchObject({ code: 'GRIDLINK_TIMEOUT', retriable: true });
    expect((await silent.next('pub')).id).toBe('once');
    // The silent member leaves; the backend retries by key: delivered, and ann still has it once.
    silent.send({ t: 'bye' });
    await silent.closed;
    expect(await a.publish(session, 'one', { idempotencyKey: 'once', timeoutMs: 1000 })).toMatchObject({ status: 'delivered', members: 1 });
    await a.publish(session, 'marker');
    await waitFor('the marker', () => ann.got.length === 2, HANG_GUARD_MS);
    expect(ann.got.map((g) => g.data)).toEqual(['one', 'marker']);
  });

  it('a member away within its grace period does not hold the answer up, and is sent the publish when it comes back', async () => {
    const [a] = (await threeNodes()) as [NodeServer, NodeServer, NodeServer];
    const session = sessionOwnedBy('a', ['a', 'b', 'c'], 'away');
    const ann = member(session, [a.url], 'ann');
    await ann.client.ready;
    const bob = await RawClient.open(a.url);
    bob.send({ ...hello(session, 'bob', { members: ['ann'] }), pub: 1 });
    const welcome = await bob.next('welcome');
    await waitFor('ann sees bob', () => ann.client.members.size === 1, HANG_GUARD_MS);
    bob.ws.terminate(); // its link is lost (as when a tab is closed); it is still a member for its grace period
    await bob.closed;
    await waitFor('the host saw the link go', () => a.stats().links === 1, HANG_GUARD_MS);

    expect(await a.publish(session, 'while bob is away', { idempotencyKey: 'away-1', timeoutMs: 4000 })).toEqual({ status: 'delivered', id: 'away-1', members: 1, away: 1 });
    expect(ann.got.map((g) => g.id)).toEqual(['away-1']);
    const back = await RawClient.open(a.url);
    back.send({ ...hello(session, 'bob', { members: ['ann'], resume: welcome.resume as string }), pub: 1 });
    expect((await back.next()).t).toBe('welcome');
    expect(await back.next('pub')).toMatchObject({ id: 'away-1', d: 'while bob is away' });
    // Its confirmation ends the node's copy; a retry by key is answered, not sent again.
    back.send({ t: 'got', id: 'away-1' });
    await back.sync();
    expect(await a.publish(session, 'while bob is away', { idempotencyKey: 'away-1' })).toEqual({ status: 'delivered', id: 'away-1', members: 1, away: 1 });
    await back.sync();
    expect(back.pending('pub')).toEqual([]);
  });

  it('a raw client that claims @server is refused; a member without `pub` is neither sent publishes nor waited for', async () => {
    const [a] = (await threeNodes()) as [NodeServer, NodeServer, NodeServer];
    const session = sessionOwnedBy('a', ['a', 'b', 'c'], 'raw');
    const impostor = await RawClient.open(a.url);
    impostor.send(hello(session, '@server'));
    expect(await impostor.next('error')).toMatchObject({ code: 'rejected' });
    const { c: old } = await join(a, session, 'old-client');
    expect(await a.publish(session, 'x', { timeoutMs: 1000 })).toMatchObject({ status: 'no-members', members: 0 });
    await old.sync();
    expect(old.pending('pub')).toEqual([]);
  });
});

describe('publish across a SIGKILL of the host (local cloud)', () => {
  let local: LocalCloud | undefined;
  afterEach(async () => {
    await local?.stop();
    local = undefined;
  });

  it('a retry with the same key after the host died is delivered once to every member', async () => {
    local = await startLocalCloud({ nodes: 3, secret: SECRET, publish: true, memberGraceMs: 30_000 });
    const session = 'kill-pub';
    const host = local.hostOf(session);
    if (host === undefined) throw new Error('no host');
    const entry = local.nodes.find((n) => n.id !== host.id) as { id: string; url: string };
    // Members that arrive after a `no-members` answer must get the retry: that answer is not remembered by key.
    const members = ['ann', 'bob'].map((id) => member(session, local?.urls ?? [], id));
    await Promise.all(members.map((m) => m.client.ready));
    await waitFor('both on the host', () => members.every((m) => m.client.node?.id === host.id && m.client.members.size === 1), HANG_GUARD_MS);
    expect((await post(entry, session, 'before', { 'idempotency-key': 'p1' })).body).toMatchObject({ status: 'delivered', members: 2 });

    await local.kill(host);
    // The backend retries one publish by its key until it is delivered (bounded: the hang guard).
    // Until the first member reaches the new host the answer is `no-members` or a retriable error;
    // the first `delivered` covers both members: confirmed by the one there, kept for the one on its way.
    let result: Record<string, unknown> = {};
    const deadline = Date.now() + 20_000;
    while (result.status !== 'delivered' && Date.now() < deadline) {
      result = (await post(entry, session, 'after the kill', { 'idempotency-key': 'p2' })).body;
      if (result.status !== 'delivered') await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(result).toMatchObject({ status: 'delivered' });
    expect((result.members as number) + (result.away as number)).toBe(2);
    await waitFor('both members to have p2', () => members.every((m) => m.got.some((g) => g.id === 'p2')), HANG_GUARD_MS);
    for (const m of members) {
      expect(m.got.filter((g) => g.id === 'p1')).toHaveLength(1);
      expect(m.got.filter((g) => g.id === 'p2')).toEqual([{ data: 'after the kill', from: '@server', id: 'p2' }]);
    }
  });
});
