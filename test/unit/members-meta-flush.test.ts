/**
 * meta, members and flush on the client, against a scripted in-memory node: the members map and
 * its events, meta validation and the node's bound, and flush resolving on `acked`, aborting,
 * rejecting on close, and waiting across a migration. The wire side is codec.test.ts's and
 * session-host's; real nodes are the integration ring's.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createClient } from '../../src/client/create-client.js';
import type { Client, MemberInfo } from '../../src/client/client.js';
import type { Platform, WebSocketLike } from '../../src/platform/types.js';
import { Flushes } from '../../src/session/flush.js';
import { ClosedError } from '../../src/core/errors.js';
import { decodeClientFrame, decodeNodeFrame } from '../../src/protocol/codec.js';
import { FakeSocket } from '../helpers/fake-socket.js';

const A = 'ws://a.test/';
const B = 'ws://b.test/';

/** A node that welcomes every hello with `welcome` (members, meta, maxMetaBytes) and records hellos. */
function world(welcome: Record<string, unknown>) {
  const sockets: FakeSocket[] = [];
  const hellos: Array<Record<string, unknown>> = [];
  const onFrame = (socket: FakeSocket, frame: Record<string, unknown>) => {
    if (frame.t !== 'hello') return;
    hellos.push(frame);
    const id = new URL(socket.url).hostname.split('.')[0] as string;
    socket.push({ t: 'welcome', v: 1, node: { id, url: socket.url }, session: frame.session, client: frame.client, resume: 'token', nodes: [{ id: 'a', url: A }, { id: 'b', url: B }], heartbeat: { intervalMs: 1000, timeoutMs: 10000 }, members: [], base: {}, ...welcome });
  };
  const platform: Platform = {
    name: 'node',
    now: () => performance.now(),
    openWebSocket(url: string): WebSocketLike {
      const socket = new FakeSocket(url, onFrame);
      sockets.push(socket);
      queueMicrotask(() => {
        socket.readyState = 1;
        socket.emit('open', {});
      });
      return socket;
    },
  };
  const open = () => sockets.filter((s) => s.readyState === 1).at(-1) as FakeSocket;
  return { platform, sockets, hellos, open };
}

function events(client: Client) {
  const seen: Array<[string, MemberInfo]> = [];
  for (const kind of ['joined', 'left', 'member'] as const) client.on(kind, (m) => seen.push([kind, m]));
  client.on('error', () => {});
  return seen;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('meta and members', () => {
  it('members is a map of the others with their meta: welcome, joined, meta, left each update it and say so', async () => {
    const w = world({ members: ['ann', 'bob'], meta: { ann: { name: 'Ann' } }, maxMetaBytes: 1024 });
    const client = createClient(w.platform, { session: 's', clientId: 'me', nodes: [A], meta: { name: 'Me' } });
    const seen = events(client);
    await client.ready;
    expect(w.hellos[0]?.meta).toEqual({ name: 'Me' });
    // bob is in the list but said no meta (a member still on its way): null until its joined
    expect([...client.members.values()]).toEqual([{ clientId: 'ann', meta: { name: 'Ann' } }, { clientId: 'bob', meta: null }]);
    const node = w.open();
    node.push({ t: 'joined', client: 'bob', meta: { name: 'Bob' } });
    node.push({ t: 'joined', client: 'cy' });
    node.push({ t: 'meta', client: 'ann', meta: { name: 'Ann', role: 'lead' } });
    node.push({ t: 'meta', client: 'ann', meta: { name: 'Ann', role: 'lead' } }); // no change: no event
    node.push({ t: 'meta', client: 'ghost', meta: 1 }); // not a member: ignored
    node.push({ t: 'left', client: 'cy', reason: 'bye' });
    expect(seen).toEqual([
      ['member', { clientId: 'bob', meta: { name: 'Bob' } }],
      ['joined', { clientId: 'cy', meta: null }],
      ['member', { clientId: 'ann', meta: { name: 'Ann', role: 'lead' } }],
      ['left', { clientId: 'cy', meta: null }],
    ]);
    expect(client.members.get('bob')).toEqual({ clientId: 'bob', meta: { name: 'Bob' } });
    expect(client.members.has('cy')).toBe(false);
    await client.close();
  });

  it('setMeta sends a meta frame, is refused past the welcome\'s maxMetaBytes with nothing sent, and takes only plain JSON', async () => {
    const w = world({ maxMetaBytes: 32 });
    const client = createClient(w.platform, { session: 's', clientId: 'me', nodes: [A] });
    events(client);
    await client.ready;
    client.setMeta({ name: 'Ann' });
    expect(client.meta).toEqual({ name: 'Ann' });
    expect(w.open().sent.filter((f) => f.t === 'meta')).toEqual([{ t: 'meta', meta: { name: 'Ann' } }]);
    expect(() => client.setMeta({ name: 'x'.repeat(40) })).toThrow(expect.objectContaining({ code: 'GRIDLINK_META_TOO_LARGE' }));
    expect(client.meta).toEqual({ name: 'Ann' });
    for (const bad of [{ at: new Date(0) }, { n: Number.NaN }, { f: undefined }, [() => 1], 1n]) {
      expect(() => client.setMeta(bad as never)).toThrow(expect.objectContaining({ code: 'GRIDLINK_INVALID_ARGUMENT' }));
    }
    expect(w.open().sent.filter((f) => f.t === 'meta')).toHaveLength(1);
    await client.close();
    expect(() => client.setMeta(1)).toThrow(expect.objectContaining({ code: 'GRIDLINK_CLOSED' }));
  });

  it('a welcome naming our own meta (the server\'s authenticate gave it) overrides ours, which setMeta then may not change', async () => {
    const w = world({ members: ['ann'], meta: { ann: null, me: { name: 'From token' } } });
    const client = createClient(w.platform, { session: 's', clientId: 'me', nodes: [A], meta: { name: 'Claimed' } });
    events(client);
    await client.ready;
    expect(client.meta).toEqual({ name: 'From token' });
    expect(client.members.has('me')).toBe(false);
    expect(() => client.setMeta('other')).toThrow(expect.objectContaining({ code: 'GRIDLINK_INVALID_ARGUMENT' }));
    expect(w.open().sent.filter((f) => f.t === 'meta')).toEqual([]);
    await client.close();
  });

  it('connect() refuses a meta that is not plain JSON, naming the option', () => {
    const w = world({});
    expect(() => createClient(w.platform, { session: 's', nodes: [A], meta: { at: new Date() } as never })).toThrow(/meta must be a JSON value/);
  });

  it('a node refusing the hello for its meta fails the client with GRIDLINK_META_TOO_LARGE after one attempt, not a loop', async () => {
    const w = world({});
    const platform: Platform = {
      ...w.platform,
      openWebSocket(url) {
        const socket = new FakeSocket(url, (s, frame) => {
          if (frame.t !== 'hello') return;
          w.hellos.push(frame);
          s.push({ t: 'error', code: 'meta-too-large', message: "'meta' is over maxMetaBytes" });
          s.close(4004, 'rejected');
        });
        queueMicrotask(() => {
          socket.readyState = 1;
          socket.emit('open', {});
        });
        return socket;
      },
    };
    const client = createClient(platform, { session: 's', nodes: [A, B], meta: 'x'.repeat(2000) });
    client.on('error', () => {});
    await expect(client.ready).rejects.toMatchObject({ code: 'GRIDLINK_META_TOO_LARGE' });
    expect(client.state).toBe('failed');
    expect(w.hellos.length).toBeLessThanOrEqual(2);
  });

  it('after a migration the new welcome\'s meta replaces what changed (a member event), and our hello carries our current meta', async () => {
    const welcome: Record<string, unknown> = { members: ['ann'], meta: { ann: 1 } };
    const w = world(welcome);
    const client = createClient(w.platform, { session: 's', clientId: 'me', nodes: [A, B], staggerMs: 1000 });
    const seen = events(client);
    await client.ready;
    client.setMeta('mine');
    const first = w.open();
    // the next welcome (on whichever node) tells ann's new meta
    w.hellos.length = 0;
    const migrated = new Promise((resolve) => client.once('migrated', resolve));
    first.push({ t: 'drain', deadlineMs: 1000 });
    welcome.meta = { ann: 2 };
    await migrated;
    expect(w.hellos[0]?.meta).toBe('mine');
    expect(client.members.get('ann')?.meta).toBe(2);
    expect(seen).toEqual([['member', { clientId: 'ann', meta: 2 }]]);
    await client.close();
  });
});

describe('flush', () => {
  it('resolves at once with nothing outstanding, else when acked reaches the last seq sent', async () => {
    const w = world({ members: ['ann'] });
    const client = createClient(w.platform, { session: 's', clientId: 'me', nodes: [A] });
    events(client);
    await client.ready;
    await client.flush();
    client.send('one');
    client.send('two');
    let done = false;
    const flushed = client.flush().then(() => (done = true));
    client.send('three'); // after the flush: not waited for
    const node = w.open();
    node.push({ t: 'acked', upTo: 1 });
    await Promise.resolve();
    expect(done).toBe(false);
    node.push({ t: 'acked', upTo: 2 });
    await flushed;
    expect(done).toBe(true);
    await client.close();
  });

  it('an abort rejects with GRIDLINK_ABORTED; a close rejects the others (and later ones) with GRIDLINK_CLOSED', async () => {
    const w = world({ members: ['ann'] });
    const client = createClient(w.platform, { session: 's', clientId: 'me', nodes: [A] });
    events(client);
    await client.ready;
    client.send('one');
    const controller = new AbortController();
    const aborted = client.flush({ signal: controller.signal });
    const closed = client.flush();
    controller.abort();
    await expect(aborted).rejects.toMatchObject({ code: 'GRIDLINK_ABORTED' });
    await client.close();
    await expect(closed).rejects.toMatchObject({ code: 'GRIDLINK_CLOSED' });
    await expect(client.flush()).rejects.toMatchObject({ code: 'GRIDLINK_CLOSED' });
    expect(() => client.flush({ signal: 'no' } as never)).toThrow(expect.objectContaining({ code: 'GRIDLINK_INVALID_ARGUMENT' }));
  });

  it('waits across a migration and resolves on the new host\'s acked', async () => {
    const w = world({ members: ['ann'] });
    const client = createClient(w.platform, { session: 's', clientId: 'me', nodes: [A, B], staggerMs: 1000 });
    events(client);
    await client.ready;
    client.send('one');
    const flushed = client.flush();
    const first = w.open();
    const migrated = new Promise((resolve) => client.once('migrated', resolve));
    first.push({ t: 'drain', deadlineMs: 1000 });
    await migrated;
    const second = w.open();
    expect(second).not.toBe(first);
    second.push({ t: 'acked', upTo: 1 });
    await flushed;
    await client.close();
  });
});

describe('Flushes (fake timers)', () => {
  it('settles waiters in any order of watermarks; an abort after the fact changes nothing', async () => {
    vi.useFakeTimers();
    const flushes = new Flushes();
    const order: string[] = [];
    const controller = new AbortController();
    const a = flushes.wait(3, 0, controller.signal).then(() => order.push('a'));
    const b = flushes.wait(5, 0, undefined).then(() => order.push('b'));
    flushes.confirmed(4);
    await a;
    controller.abort();
    setTimeout(() => flushes.confirmed(5), 1000);
    await vi.advanceTimersByTimeAsync(1000);
    await b;
    expect(order).toEqual(['a', 'b']);
    flushes.fail(() => new ClosedError('GRIDLINK_CLOSED', 'closed'));
    await expect(flushes.wait(9, 0, undefined)).rejects.toMatchObject({ code: 'GRIDLINK_CLOSED' });
  });
});

describe('meta on the wire', () => {
  const limits = { maxFrameBytes: 65_536, maxMetaBytes: 16 };
  it('the node refuses an oversized meta in hello or meta frames with GRIDLINK_META_TOO_LARGE; a client reads any JSON meta', () => {
    const hello = { t: 'hello', v: 1, session: 's', client: 'c', recv: {}, members: [] };
    expect(decodeClientFrame(JSON.stringify({ ...hello, meta: { n: 'short' } }), limits)).toMatchObject({ meta: { n: 'short' } });
    expect(() => decodeClientFrame(JSON.stringify({ ...hello, meta: 'x'.repeat(20) }), limits)).toThrow(expect.objectContaining({ code: 'GRIDLINK_META_TOO_LARGE' }));
    expect(() => decodeClientFrame(JSON.stringify({ t: 'meta', meta: 'é'.repeat(8) }), limits)).toThrow(expect.objectContaining({ code: 'GRIDLINK_META_TOO_LARGE' })); // 16 chars, 18 bytes of JSON text
    expect(() => decodeClientFrame('{"t":"meta"}', limits)).toThrow(expect.objectContaining({ code: 'GRIDLINK_PROTOCOL' }));
    expect(decodeNodeFrame(JSON.stringify({ t: 'meta', client: 'ann', meta: [1, { a: null }] }), limits)).toEqual({ t: 'meta', client: 'ann', meta: [1, { a: null }] });
    expect(decodeNodeFrame(JSON.stringify({ t: 'joined', client: 'ann', meta: 'x'.repeat(100) }), limits)).toMatchObject({ meta: 'x'.repeat(100) });
    expect(() => decodeNodeFrame(JSON.stringify({ t: 'meta', client: '', meta: 1 }), limits)).toThrow(expect.objectContaining({ code: 'GRIDLINK_PROTOCOL' }));
  });
});
