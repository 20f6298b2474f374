/**
 * The client's state machine, in isolation: a scripted in-memory platform plays the nodes, so the
 * tests can assert exact state sequences and single-flight migration. Real nodes are the
 * integration ring's job; this ring pins down the transitions.
 */
import { describe, expect, it } from 'vitest';
import { createClient } from '../../src/client/create-client.js';
import type { ConnectOptions } from '../../src/client/options.js';
import type { OpenWebSocketOptions, Platform, WebSocketLike } from '../../src/platform/types.js';
import { FakeSocket, welcomeOn } from '../helpers/fake-socket.js';
import { rendezvousOwner } from '../../src/protocol/rendezvous.js';

interface World {
  platform: Platform;
  frozen: Set<string>;
  lifecycle: { wake(): void; online(): void; offline(): void } | undefined;
  offline: boolean;
  sockets: FakeSocket[];
  /** Node behaviour per URL: 'up' welcomes, 'down' refuses the connection. */
  nodes: Map<string, 'up' | 'down'>;
  /** How many more hellos a node answers `busy` (its join rate limit). */
  busy: Map<string, number>;
  /** Every hello, in order: where it went and whom it reported failed. */
  hellos: Array<{ url: string; failed: string[] }>;
}

const A = 'ws://a.test/';
const B = 'ws://b.test/';

function world(): World {
  const w: World = { sockets: [], nodes: new Map([[A, 'up'], [B, 'up']]), busy: new Map(), hellos: [], platform: undefined as unknown as Platform, frozen: new Set(), lifecycle: undefined, offline: false };
  const onFrame = (socket: FakeSocket, frame: Record<string, unknown>) => {
    if (w.frozen.has(socket.url)) return; // a node that went silent (a pulled cable)
    if (frame.t === 'ping' && frame.id !== undefined) socket.push({ t: 'pong', id: frame.id });
    if (frame.t !== 'hello') return;
    w.hellos.push({ url: socket.url, failed: (frame.failed as string[] | undefined) ?? [] });
    if ((w.busy.get(socket.url) ?? 0) > 0) {
      w.busy.set(socket.url, (w.busy.get(socket.url) ?? 0) - 1);
      socket.push({ t: 'error', code: 'busy', message: 'too many joins from this address' });
      socket.close(1013, 'busy');
      return;
    }
    welcomeOn(socket, frame, [...w.nodes.keys()], ['peer']);
  };
  const watchers = new Set<{ wake(): void; online(): void; offline(): void }>();
  w.lifecycle = {
    wake: () => watchers.forEach((h) => h.wake()),
    online: () => watchers.forEach((h) => h.online()),
    offline: () => watchers.forEach((h) => h.offline()),
  };
  w.platform = {
    name: 'node',
    now: () => performance.now(),
    watchLifecycle: (handlers) => {
      watchers.add(handlers);
      return () => watchers.delete(handlers);
    },
    isOffline: () => w.offline,
    openWebSocket(url: string, _options: OpenWebSocketOptions): WebSocketLike {
      const socket = new FakeSocket(url, onFrame);
      w.sockets.push(socket);
      queueMicrotask(() => (w.nodes.get(url) === 'up' ? socket.open() : socket.drop()));
      return socket;
    },
  };
  return w;
}

const fast: Partial<ConnectOptions> = { retry: { minDelayMs: 1, maxDelayMs: 5, maxElapsedMs: 200 }, staggerMs: 1000, cooldown: { baseMs: 50, maxMs: 50 } };

function start(w: World, extra: Partial<ConnectOptions> = {}) {
  const client = createClient(w.platform, { session: 's', clientId: 'me', nodes: [A, B], ...fast, ...extra });
  const states: string[] = [];
  const reasons: string[] = [];
  client.on('state', (state, change) => {
    states.push(state);
    reasons.push(change.reason.code);
  });
  const migrations: Array<{ from: string; to: string; reason: string }> = [];
  client.on('migrated', (m) => migrations.push({ from: m.from.id, to: m.to.id, reason: m.reason.code }));
  client.on('error', () => {});
  return { client, states, reasons, migrations };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));
async function until(predicate: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !predicate(); i++) await tick();
  expect(predicate()).toBe(true);
}

const socketTo = (w: World, url: string) => w.sockets.filter((s) => s.url === url && s.readyState === 1).at(-1) as FakeSocket;

describe('client state machine', () => {
  it('connecting -> connected on the first welcome', async () => {
    const w = world();
    const { client, states } = start(w);
    await client.ready;
    expect(states).toEqual(['connected']);
    expect(client.node?.id).toBe('a');
    expect([...client.members.values()]).toEqual([{ clientId: 'peer', meta: null }]);
  });

  it("a joined link's socket has one listener per event, its transport's: the dial adds none and removes none", async () => {
    const w = world();
    const { client } = start(w);
    await client.ready;
    const socket = socketTo(w, A);
    expect(['open', 'error', 'close', 'message'].map((type) => socket.listenerCount(type))).toEqual([1, 1, 1, 1]);
  });

  it('a lost link migrates once: connected -> migrating -> connected, reason link-lost', async () => {
    const w = world();
    const { client, states, reasons, migrations } = start(w);
    await client.ready;
    w.nodes.set(A, 'down');
    socketTo(w, A).drop();
    await until(() => migrations.length === 1);
    expect(states).toEqual(['connected', 'migrating', 'connected']);
    expect(reasons).toEqual(['joined', 'link-lost', 'migrated']);
    expect(migrations).toEqual([{ from: 'a', to: 'b', reason: 'link-lost' }]);
  });

  it("after a reset, the first node dialled is the session's successor (the cloud's next host), not the list's next", async () => {
    const w = world();
    const C = 'ws://c.test/';
    w.nodes.set(C, 'up');
    // A session whose successor after 'a' is the node listed last, so list order would not find it.
    const session = Array.from({ length: 200 }, (_, i) => `s${i}`).find((s) => rendezvousOwner(s, ['b', 'c'], (id) => id) === 'c') as string;
    const { client, migrations } = start(w, { session, nodes: [A, B, C] });
    await client.ready;
    expect(client.node?.id).toBe('a');
    const before = w.sockets.length;
    w.nodes.set(A, 'down');
    socketTo(w, A).drop();
    await until(() => migrations.length === 1);
    expect(w.sockets[before]?.url).toBe(C);
    expect(migrations).toEqual([{ from: 'a', to: 'c', reason: 'link-lost' }]);
  });

  it('a custom policy keeps its own order after a reset', async () => {
    const w = world();
    const C = 'ws://c.test/';
    w.nodes.set(C, 'up');
    const session = Array.from({ length: 200 }, (_, i) => `s${i}`).find((s) => rendezvousOwner(s, ['b', 'c'], (id) => id) === 'c') as string;
    const { client, migrations } = start(w, { session, nodes: [A, B, C], policy: (nodes) => nodes });
    await client.ready;
    const before = w.sockets.length;
    w.nodes.set(A, 'down');
    socketTo(w, A).drop();
    await until(() => migrations.length === 1);
    expect(w.sockets[before]?.url).toBe(B);
    expect(migrations[0]?.to).toBe('b');
  });

  it("downtimeMs counts from the old link's last sign of life (noticing included); migratingMs from noticing", async () => {
    const w = world();
    const { client } = start(w);
    await client.ready;
    const infos: Array<{ downtimeMs: number; migratingMs: number }> = [];
    client.on('migrated', (info) => infos.push(info));
    await new Promise((resolve) => setTimeout(resolve, 120)); // nothing arrives: the welcome is the last frame
    w.nodes.set(A, 'down');
    socketTo(w, A).drop();
    await until(() => infos.length === 1);
    const [info] = infos;
    expect(info!.downtimeMs).toBeGreaterThanOrEqual(120);
    expect(info!.migratingMs).toBeLessThan(info!.downtimeMs);
  });

  it('a busy node (its join rate limit) is retried, never reported to the cloud as failed', async () => {
    const w = world();
    w.busy.set(A, 2);
    w.nodes.set(B, 'down');
    const { client } = start(w, { retry: { minDelayMs: 1, maxDelayMs: 5, maxElapsedMs: 2000 } });
    await client.ready;
    expect(client.node?.id).toBe('a');
    expect(w.hellos.filter((h) => h.url === A)).toHaveLength(3);
    expect(w.hellos.flatMap((h) => h.failed)).not.toContain('a');
  });

  it('a drain notice and a close arriving together make one migration, make-before-break', async () => {
    const w = world();
    const { client, states, migrations } = start(w);
    await client.ready;
    const old = socketTo(w, A);
    old.push({ t: 'drain', deadlineMs: 1000, to: { id: 'b', url: B } });
    old.push({ t: 'drain', deadlineMs: 1000 });
    await until(() => migrations.length === 1);
    old.drop();
    await tick();
    expect(states).toEqual(['connected', 'migrating', 'connected']);
    expect(migrations).toEqual([{ from: 'a', to: 'b', reason: 'drain' }]);
    // The old link was closed by the client only after the new one was joined.
    expect(old.readyState).toBe(3);
    expect(client.node?.id).toBe('b');
  });

  it('sends made while migrating are buffered, then replayed in order after the welcome', async () => {
    const w = world();
    const { client, migrations } = start(w);
    await client.ready;
    client.send('one');
    w.nodes.set(A, 'down');
    w.nodes.set(B, 'down');
    socketTo(w, A).drop();
    await until(() => client.state === 'migrating');
    client.send('two');
    expect(client.bufferedBytes).toBeGreaterThan(0);
    w.nodes.set(B, 'up');
    await until(() => migrations.length === 1);
    const replayed = socketTo(w, B).sent.filter((f) => f.t === 'msg').map((f) => [f.seq, f.d]);
    expect(replayed).toEqual([
      [1, 'one'],
      [2, 'two'],
    ]);
  });

  it('acked frees the buffer; resend replays from the seq asked', async () => {
    const w = world();
    const { client } = start(w);
    await client.ready;
    for (const d of ['1', '2', '3']) client.send(d);
    const link = socketTo(w, A);
    link.push({ t: 'acked', upTo: 2 });
    await tick();
    const oneLeft = client.bufferedBytes;
    link.push({ t: 'resend', from: 3 });
    await tick();
    expect(link.sent.filter((f) => f.t === 'msg').map((f) => f.seq)).toEqual([1, 2, 3, 3]);
    link.push({ t: 'acked', upTo: 3 });
    await tick();
    expect(oneLeft).toBeGreaterThan(0);
    expect(client.bufferedBytes).toBe(0);
  });

  it('gives up after retry.maxElapsedMs: connecting -> failed, ready rejects with GRIDLINK_NO_NODES', async () => {
    const w = world();
    w.nodes.set(A, 'down');
    w.nodes.set(B, 'down');
    const { client, states, reasons } = start(w);
    await expect(client.ready).rejects.toMatchObject({ code: 'GRIDLINK_NO_NODES' });
    expect(states).toEqual(['failed']);
    // A failure's reason is the ErrorCode that ended the client.
    expect(reasons).toEqual(['GRIDLINK_NO_NODES']);
    expect(() => client.send('x')).toThrowError(expect.objectContaining({ code: 'GRIDLINK_CLOSED' }));
  });

  it('close() while migrating ends in closed, and a late welcome cannot revive the client', async () => {
    const w = world();
    const { client, states } = start(w);
    await client.ready;
    w.nodes.set(A, 'down');
    w.nodes.set(B, 'down');
    socketTo(w, A).drop();
    await until(() => client.state === 'migrating');
    await client.close();
    w.nodes.set(B, 'up');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(states).toEqual(['connected', 'migrating', 'closed']);
    expect(w.sockets.every((s) => s.readyState !== 1)).toBe(true);
  });

  it('close() says bye and is idempotent', async () => {
    const w = world();
    const { client, states } = start(w);
    await client.ready;
    const link = socketTo(w, A);
    await client.close();
    await client.close();
    expect(link.sent.at(-1)).toEqual({ t: 'bye' });
    expect(states).toEqual(['connected', 'closed']);
  });

  it('a duplicate or early message is held back: delivery stays exactly once and in order', async () => {
    const w = world();
    const { client } = start(w);
    const got: Array<[string, number | undefined]> = [];
    client.on('message', (data, meta) => got.push([String(data), meta.seq]));
    await client.ready;
    const link = socketTo(w, A);
    for (const seq of [1, 3, 2, 2, 1, 4]) link.push({ t: 'msg', from: 'peer', seq, d: `m${seq}` });
    await tick();
    expect(got).toEqual([
      ['m1', 1],
      ['m2', 2],
      ['m3', 3],
      ['m4', 4],
    ]);
  });

  it('a gap notice from a sender is reported as GRIDLINK_MESSAGE_GAP and delivery moves on', async () => {
    const w = world();
    const { client } = start(w);
    const errors: string[] = [];
    const got: number[] = [];
    client.on('error', (e) => errors.push(e.code));
    client.on('message', (_d, meta) => got.push(meta.seq as number));
    await client.ready;
    const link = socketTo(w, A);
    link.push({ t: 'msg', from: 'peer', seq: 1, d: 'x' });
    link.push({ t: 'gap', from: 'peer', upTo: 4 });
    link.push({ t: 'msg', from: 'peer', seq: 5, d: 'x' });
    await tick();
    expect(errors).toEqual(['GRIDLINK_MESSAGE_GAP']);
    expect(got).toEqual([1, 5]);
  });

  it('asked to resend what it no longer holds, a sender says gap before replaying the rest', async () => {
    const w = world();
    const { client } = start(w);
    await client.ready;
    for (const d of ['1', '2', '3']) client.send(d);
    const link = socketTo(w, A);
    link.push({ t: 'acked', upTo: 2 });
    link.push({ t: 'resend', from: 1 });
    await tick();
    const after = link.sent.slice(link.sent.findIndex((f) => f.t === 'gap'));
    expect(after.map((f) => (f.t === 'gap' ? `gap<=${f.upTo}` : `msg${f.seq}`))).toEqual(['gap<=2', 'msg3']);
  });

  it('after a migration, the state event comes before any message from the new node', async () => {
    const w = world();
    const { client, migrations } = start(w);
    const events: string[] = [];
    client.on('state', (s) => events.push(`state:${s}`));
    client.on('message', () => events.push('message'));
    await client.ready;
    events.length = 0;
    // The new node greets with a message in the same breath as its welcome.
    const original = w.platform.openWebSocket.bind(w.platform);
    w.platform.openWebSocket = (url, options) => {
      const socket = original(url, options) as FakeSocket;
      const send = socket.send.bind(socket);
      socket.send = (data: string) => {
        send(data);
        if ((JSON.parse(data) as { t: string }).t === 'hello') queueMicrotask(() => socket.push({ t: 'msg', from: 'peer', seq: 1, d: 'hi' }));
      };
      return socket;
    };
    w.nodes.set(A, 'down');
    socketTo(w, A).drop();
    await until(() => migrations.length === 1 && events.includes('message'));
    expect(events).toEqual(['state:migrating', 'state:connected', 'message']);
  });

  it('on wake, a link that does not answer a check is given up at once (not after the heartbeat timeout)', async () => {
    const w = world();
    const { client, migrations } = start(w, { heartbeat: { intervalMs: 1000, timeoutMs: 60_000 } });
    await client.ready;
    w.frozen.add(A); // silent, but no close: only a check can tell
    w.lifecycle?.wake();
    await until(() => migrations.length === 1);
    expect(migrations).toEqual([{ from: 'a', to: 'b', reason: 'heartbeat-timeout' }]);
  });

  it('on wake, a link that answers the check is kept', async () => {
    const w = world();
    const { client, states } = start(w, { heartbeat: { intervalMs: 1000, timeoutMs: 60_000 } });
    await client.ready;
    w.lifecycle?.wake();
    w.lifecycle?.online();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(states).toEqual(['connected']);
  });

  it('while offline it waits for the network instead of burning attempts', async () => {
    const w = world();
    w.offline = true;
    const { client, states } = start(w);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(w.sockets).toEqual([]);
    expect(client.state).toBe('connecting');
    w.offline = false;
    w.lifecycle?.online();
    await client.ready;
    expect(states).toEqual(['connected']);
  });

  it('regression (found by the soak): a member that never heard from a sender still tells the next host where it stands', async () => {
    const w = world();
    const { client, migrations } = start(w);
    await client.ready;
    // 'quiet' joined after us and has sent nothing we received yet; then our node dies.
    socketTo(w, A).push({ t: 'joined', client: 'quiet', base: 0 });
    await tick();
    w.nodes.set(A, 'down');
    socketTo(w, A).drop();
    await until(() => migrations.length === 1);
    const hello = socketTo(w, B).sent.find((f) => f.t === 'hello') as { recv: Record<string, number>; sent: number };
    // Without the 0, the new host would take us for a newcomer and skip quiet's first messages.
    expect(hello.recv).toEqual({ quiet: 0 });
    expect(hello.sent).toBe(0);
  });

  it('a drain is reason drain, a redirect reason redirect; close() is reason closed', async () => {
    const w = world();
    const { client, states, reasons, migrations } = start(w);
    await client.ready;
    socketTo(w, A).push({ t: 'drain', deadlineMs: 1000, to: { id: 'b', url: B } });
    await until(() => migrations.length === 1);
    socketTo(w, B).push({ t: 'redirect', node: { id: 'a', url: A }, reason: 'rebalance' });
    await until(() => migrations.length === 2);
    await client.close();
    expect(states).toEqual(['connected', 'migrating', 'connected', 'migrating', 'connected', 'closed']);
    expect(reasons).toEqual(['joined', 'drain', 'migrated', 'redirect', 'migrated', 'closed']);
    expect(migrations).toEqual([
      { from: 'a', to: 'b', reason: 'drain' },
      { from: 'b', to: 'a', reason: 'redirect' },
    ]);
  });

  it('an aborted signal closes the client with reason aborted', async () => {
    const w = world();
    const abort = new AbortController();
    const { client, states, reasons } = start(w, { signal: abort.signal });
    await client.ready;
    abort.abort();
    await until(() => client.state === 'closed');
    expect(states).toEqual(['connected', 'closed']);
    expect(reasons).toEqual(['joined', 'aborted']);
  });

  it('heartbeat death, socket close and drain together: one migration, the first cause is its reason', async () => {
    const w = world();
    const { client, states, reasons, migrations } = start(w, { heartbeat: { intervalMs: 1000, timeoutMs: 60_000 } });
    await client.ready;
    const old = socketTo(w, A);
    w.frozen.add(A);
    w.nodes.set(A, 'down');
    w.lifecycle?.wake(); // the check goes unanswered: heartbeat-timeout
    old.push({ t: 'drain', deadlineMs: 1000 });
    old.drop();
    await until(() => migrations.length === 1);
    await tick();
    expect(states).toEqual(['connected', 'migrating', 'connected']);
    expect(reasons).toEqual(['joined', 'drain', 'migrated']);
    expect(migrations).toEqual([{ from: 'a', to: 'b', reason: 'drain' }]);
    expect(w.sockets.filter((s) => s.url === B)).toHaveLength(1);
  });

  it('regression: a new link that dies between its welcome and the session listening still moves the session', async () => {
    const w = world();
    const { client, states, migrations } = start(w);
    await client.ready;
    const original = w.platform.openWebSocket.bind(w.platform);
    let dropped = false;
    w.platform.openWebSocket = (url, options) => {
      const socket = original(url, options) as FakeSocket;
      const send = socket.send.bind(socket);
      socket.send = (data: string) => {
        send(data);
        if (url !== B || dropped || (JSON.parse(data) as { t: string }).t !== 'hello') return;
        // B welcomes and dies at once; A is back by then, and the only node up.
        dropped = true;
        w.nodes.set(A, 'up');
        w.nodes.set(B, 'down');
        queueMicrotask(() => socket.drop());
      };
      return socket;
    };
    w.nodes.set(A, 'down');
    socketTo(w, A).drop();
    await until(() => migrations.length === 2);
    expect(migrations).toEqual([
      { from: 'a', to: 'b', reason: 'link-lost' },
      { from: 'b', to: 'a', reason: 'link-lost' },
    ]);
    expect(states).toEqual(['connected', 'migrating', 'connected', 'migrating', 'connected']);
    expect(client.node?.id).toBe('a');
  });

  it('a migration that finds no node ends in failed with the error code, and closes the draining link', async () => {
    const w = world();
    const { client, states, reasons } = start(w);
    await client.ready;
    const old = socketTo(w, A);
    w.nodes.set(A, 'down');
    w.nodes.set(B, 'down');
    old.push({ t: 'drain', deadlineMs: 1000 });
    await until(() => client.state === 'failed');
    expect(states).toEqual(['connected', 'migrating', 'failed']);
    expect(reasons).toEqual(['joined', 'drain', 'GRIDLINK_NO_NODES']);
    // The old link delivered until the end of the migration; a failed client holds none.
    expect(old.readyState).toBe(3);
    expect(() => client.send('x')).toThrowError(expect.objectContaining({ code: 'GRIDLINK_CLOSED', cause: expect.objectContaining({ code: 'GRIDLINK_NO_NODES' }) }));
  });
});
