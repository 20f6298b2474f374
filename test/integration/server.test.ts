/**
 * The server kit's node against real sockets: nodes in-process on 127.0.0.1 (port 0 or ports picked
 * just before), raw `ws` clients speaking frames by hand. Every wait is a hang guard, never a timed
 * assertion; "nothing arrived" is checked after a ping/pong round trip, which the node answers in
 * order after everything it had to say.
 */
import { createServer as createHttpServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { rendezvousOwner } from '../../src/protocol/rendezvous.js';
import { isGridlinkError } from '../../src/core/errors.js';
import { startNode, type NodeServer } from '../../src/server/node/node-server.js';
import { createTokenSigner } from '../../src/server/clients/tokens.js';
import { cleanupAll, cleanups, cloud, freePorts, hello, join, node, RawClient, sessionOwnedBy, sockets, type Frame } from '../helpers/raw-node.js';
import { waitFor } from '../helpers/wait.js';

afterEach(cleanupAll);

describe('node server: handshake', () => {
  it('welcomes a hello with the node, token, nodes, heartbeat, members, base, frame limit, member metas and meta bound, shared map and its bounds', async () => {
    const peers = [{ id: 'elsewhere', url: 'ws://127.0.0.1:1' }];
    const a = await node({ id: 'a', heartbeat: { intervalMs: 700, timeoutMs: 9000 }, peers });
    const { welcome } = await join(a, 'room', 'alice');
    expect(welcome).toEqual({
      t: 'welcome',
      v: 1,
      node: { id: 'a', url: a.url },
      session: 'room',
      client: 'alice',
      resume: expect.any(String),
      nodes: [{ id: 'a', url: a.url }, ...peers],
      heartbeat: { intervalMs: 700, timeoutMs: 9000 },
      members: [],
      base: {},
      maxFrameBytes: 1024 * 1024,
      meta: {},
      maxMetaBytes: 1024,
      shared: {},
      maxSharedKeys: 1000,
      maxSharedBytes: 65_536,
    });
    expect(a.url).toBe(`ws://127.0.0.1:${a.port}`);
    expect(a.stats()).toMatchObject({ id: 'a', links: 1, sessions: 1, members: 1, alivePeers: [] });
    const health = await fetch(`http://127.0.0.1:${a.port}/healthz`);
    // The load is what the cloud's DNS ranks by: one client on one session here.
    expect(await health.json()).toEqual({ id: 'a', status: 'ok', load: { links: 1, sessions: 1 } });
  });

  it('refuses an upgrade that does not offer the gridlink.v1 subprotocol', async () => {
    const a = await node({ id: 'a' });
    const ws = new WebSocket(a.url);
    sockets.push(ws);
    const status = await new Promise<number | undefined>((resolve) => {
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode));
      ws.on('error', () => resolve(undefined));
    });
    expect(status).toBe(400);
  });

  it('answers an unsupported version with error version and 4004', async () => {
    const a = await node({ id: 'a' });
    const c = await RawClient.open(a.url);
    c.send({ ...hello('room', 'alice'), v: 2 });
    expect(await c.next()).toMatchObject({ t: 'error', code: 'version' });
    expect((await c.closed).code).toBe(4004);
  });

  it('drops a connection that never sends a frame (handshake timeout)', async () => {
    const a = await node({ id: 'a', heartbeat: { intervalMs: 100, timeoutMs: 300 } });
    const c = await RawClient.open(a.url);
    expect((await c.closed).code).toBe(4008);
  });

  it('pings an idle client, answers ping ids, and closes a silent client with 4008', async () => {
    const a = await node({ id: 'a', heartbeat: { intervalMs: 100, timeoutMs: 400 } });
    const { c } = await join(a, 'room', 'alice');
    c.send({ t: 'ping', id: 42 });
    expect(await c.next('pong')).toEqual({ t: 'pong', id: 42 });
    expect(await c.next('ping')).toEqual({ t: 'ping' });
    expect((await c.closed).code).toBe(4008);
    await waitFor('link to be gone', () => a.stats().links === 0);
    expect(a.stats().members).toBe(1); // detached, not removed
  });

  it('rejects invalid options, naming the option', async () => {
    const attempt = startNode({ id: 'a', heartbeat: { intervalMs: 1000, timeoutMs: 500 } });
    await expect(attempt).rejects.toThrow(/heartbeat\.timeoutMs/);
    await attempt.catch((error: unknown) => {
      expect(isGridlinkError(error) && error.code).toBe('GRIDLINK_INVALID_OPTION');
    });
    await expect(startNode({ id: '' })).rejects.toThrow(/^id must be/);
    await expect(startNode({ id: 'a', peers: [{ id: 'b', url: 'http://x' }] })).rejects.toThrow(/peers\[0\]\.url/);
  });
});

describe('node server: delivery', () => {
  it('relays msg to the other members with from and seq, in order, volatile and binary too', async () => {
    const a = await node({ id: 'a' });
    const alice = await join(a, 'room', 'alice');
    const bob = await join(a, 'room', 'bob');
    expect(bob.welcome.members).toEqual(['alice']);
    expect(await alice.c.next()).toEqual({ t: 'joined', client: 'bob' });
    alice.c.send({ t: 'msg', seq: 1, d: 'one' });
    alice.c.send({ t: 'msg', d: 'volatile' });
    alice.c.send({ t: 'msg', seq: 2, d: 'AAE=', b: 1 });
    alice.c.send({ t: 'msg', seq: 1, d: 'one' }); // a replay is relayed too
    expect(await bob.c.next('msg')).toEqual({ t: 'msg', from: 'alice', seq: 1, d: 'one' });
    expect(await bob.c.next('msg')).toEqual({ t: 'msg', from: 'alice', d: 'volatile' });
    expect(await bob.c.next('msg')).toEqual({ t: 'msg', from: 'alice', seq: 2, d: 'AAE=', b: 1 });
    expect(await bob.c.next('msg')).toEqual({ t: 'msg', from: 'alice', seq: 1, d: 'one' });
    await alice.c.sync();
    expect(alice.c.pending('msg')).toEqual([]); // never echoed to the sender
    expect(a.stats().relayed).toBe(4);
  });

  it('acknowledges a sender up to the minimum watermark over the other members', async () => {
    const a = await node({ id: 'a' });
    const alice = await join(a, 'room', 'alice');
    const bob = await join(a, 'room', 'bob');
    const carol = await join(a, 'room', 'carol');
    for (let seq = 1; seq <= 3; seq++) alice.c.send({ t: 'msg', seq, d: `m${seq}` });
    await bob.c.next('msg');
    bob.c.send({ t: 'ack', recv: { alice: 3 } });
    await bob.c.sync();
    await alice.c.sync();
    expect(alice.c.pending('acked')).toEqual([]); // carol's watermark is unknown: it blocks
    carol.c.send({ t: 'ack', recv: { alice: 1 } });
    expect(await alice.c.next('acked')).toEqual({ t: 'acked', upTo: 1 });
    carol.c.send({ t: 'ack', recv: { alice: 3 } });
    expect(await alice.c.next('acked')).toEqual({ t: 'acked', upTo: 3 });
  });

  it('gives a new member base = highest relayed seq, so it receives what follows', async () => {
    const a = await node({ id: 'a' });
    const alice = await join(a, 'room', 'alice');
    for (let seq = 1; seq <= 5; seq++) alice.c.send({ t: 'msg', seq, d: `m${seq}` });
    // Alone in the session, alice has delivered to everyone there is.
    const acks: unknown[] = [];
    while (acks.at(-1) !== 5) acks.push((await alice.c.next('acked')).upTo);
    expect(acks).toEqual([1, 2, 3, 4, 5]);
    const dave = await join(a, 'room', 'dave');
    expect(dave.welcome).toMatchObject({ members: ['alice'], base: { alice: 5 } });
    expect(await alice.c.next('joined')).toEqual({ t: 'joined', client: 'dave' });
    await alice.c.sync();
    expect(alice.c.pending('resend')).toEqual([]); // dave listed nothing of alice's
    alice.c.send({ t: 'msg', seq: 6, d: 'm6' });
    expect(await dave.c.next('msg')).toEqual({ t: 'msg', from: 'alice', seq: 6, d: 'm6' });
    dave.c.send({ t: 'ack', recv: { alice: 6 } });
    expect(await alice.c.next('acked')).toEqual({ t: 'acked', upTo: 6 });
  });

  it('asks senders to resend what a returning member lacks', async () => {
    const a = await node({ id: 'a' });
    const alice = await join(a, 'room', 'alice');
    const bob = await join(a, 'room', 'bob');
    for (let seq = 1; seq <= 3; seq++) alice.c.send({ t: 'msg', seq, d: `m${seq}` });
    await bob.c.next('msg');
    bob.c.ws.terminate(); // bob's link dies having delivered only seq 1
    await waitFor('bob to detach', () => a.stats().links === 1);
    const back = await join(a, 'room', 'bob', { recv: { alice: 1 }, members: ['alice'], resume: bob.welcome.resume as string });
    expect(back.welcome.members).toEqual(['alice']);
    expect(await alice.c.next('joined')).toEqual({ t: 'joined', client: 'bob' });
    expect(await alice.c.next('resend')).toEqual({ t: 'resend', from: 2 });
    alice.c.send({ t: 'msg', seq: 2, d: 'm2' });
    expect(await back.c.next('msg')).toEqual({ t: 'msg', from: 'alice', seq: 2, d: 'm2' });
  });

  it('holds acks for a placeholder member (announced by a migrating member) until it joins', async () => {
    const a = await node({ id: 'a', settleMs: 100, secret: 'shared-secret' });
    const alice = await join(a, 'room', 'alice', { members: ['ghost'] });
    expect(alice.welcome.members).toEqual(['ghost']);
    const bob = await join(a, 'room', 'bob');
    expect((bob.welcome.members as string[]).sort()).toEqual(['alice', 'ghost']);
    alice.c.send({ t: 'msg', seq: 1, d: 'm1' });
    await bob.c.next('msg');
    bob.c.send({ t: 'ack', recv: { alice: 1 } });
    await bob.c.sync();
    await alice.c.sync();
    expect(alice.c.pending('acked')).toEqual([]);
    // The placeholder is claimed with a token another node of the cloud issued it.
    const resume = createTokenSigner('shared-secret', 60_000).issue('room', 'ghost');
    const ghost = await join(a, 'room', 'ghost', { recv: { alice: 0 }, members: ['alice', 'bob'], resume });
    expect(await alice.c.next('resend')).toEqual({ t: 'resend', from: 1 });
    alice.c.send({ t: 'msg', seq: 1, d: 'm1' });
    expect(await ghost.c.next('msg')).toMatchObject({ from: 'alice', seq: 1 });
    ghost.c.send({ t: 'ack', recv: { alice: 1 } });
    expect(await alice.c.next('acked')).toEqual({ t: 'acked', upTo: 1 });
  });

  it('holds acks for a placeholder member (announced by a migrating member) until it expires', async () => {
    const a = await node({ id: 'a', settleMs: 100, memberGraceMs: 300 });
    const alice = await join(a, 'room', 'alice', { members: ['ghost'] });
    const bob = await join(a, 'room', 'bob');
    alice.c.send({ t: 'msg', seq: 1, d: 'm1' });
    await bob.c.next('msg');
    bob.c.send({ t: 'ack', recv: { alice: 1 } });
    await bob.c.sync();
    await alice.c.sync();
    expect(alice.c.pending('acked')).toEqual([]);
    expect(await alice.c.next('left')).toEqual({ t: 'left', client: 'ghost', reason: 'timeout' });
    expect(await alice.c.next('acked')).toEqual({ t: 'acked', upTo: 1 });
  });

  it('acknowledges nothing while a migrated session settles', async () => {
    const a = await node({ id: 'a', settleMs: 400 });
    const alice = await join(a, 'room', 'alice', { via: 'old-node' });
    const bob = await join(a, 'room', 'bob', { via: 'old-node', members: ['alice'] });
    alice.c.send({ t: 'msg', seq: 1, d: 'm1' });
    await bob.c.next('msg');
    bob.c.send({ t: 'ack', recv: { alice: 1 } });
    await bob.c.sync();
    await alice.c.sync();
    expect(alice.c.pending('acked')).toEqual([]);
    expect(await alice.c.next('acked')).toEqual({ t: 'acked', upTo: 1 }); // once settled
  });

  it('removes a member on bye at once, and a detached one only after the grace period', async () => {
    const a = await node({ id: 'a', memberGraceMs: 300 });
    const alice = await join(a, 'room', 'alice');
    const bob = await join(a, 'room', 'bob');
    const carol = await join(a, 'room', 'carol');
    bob.c.send({ t: 'bye' });
    expect(await alice.c.next('left')).toEqual({ t: 'left', client: 'bob', reason: 'bye' });
    expect((await bob.c.closed).code).toBe(1000);
    expect(a.stats().members).toBe(2);
    carol.c.ws.close(1000); // no bye: detached, expected back
    await waitFor('carol to detach', () => a.stats().links === 1);
    await alice.c.sync();
    expect(alice.c.pending('left')).toEqual([]);
    expect(a.stats().members).toBe(2);
    expect(await alice.c.next('left')).toEqual({ t: 'left', client: 'carol', reason: 'timeout' });
    alice.c.send({ t: 'bye' });
    await waitFor('empty session to be deleted', () => a.stats().sessions === 0);
  });
});

describe('node server: resume tokens', () => {
  it('replaces a live link for a valid token and rejects the same id without one', async () => {
    const a = await node({ id: 'a' });
    const first = await join(a, 'room', 'alice');
    const token = first.welcome.resume as string;
    const bob = await join(a, 'room', 'bob');

    const intruder = await RawClient.open(a.url);
    intruder.send(hello('room', 'alice', { resume: 'g1.zzzz.forged' }));
    expect(await intruder.next()).toMatchObject({ t: 'error', code: 'rejected' });
    expect((await intruder.closed).code).toBe(4004);

    const wrongClient = await RawClient.open(a.url);
    wrongClient.send(hello('room', 'bob', { resume: token })); // alice's token does not prove bob
    expect(await wrongClient.next()).toMatchObject({ t: 'error', code: 'rejected' });

    const second = await join(a, 'room', 'alice', { resume: token });
    expect((await first.c.closed).code).toBe(4005);
    bob.c.send({ t: 'msg', seq: 1, d: 'hi' });
    expect(await second.c.next('msg')).toMatchObject({ from: 'bob', seq: 1 });
    expect(a.stats().members).toBe(2);
  });

  it('accepts a token issued by another node of the same cloud', async () => {
    const a = await node({ id: 'a', secret: 'shared-secret' });
    const b = await node({ id: 'b', secret: 'shared-secret' });
    const { welcome } = await join(a, 'room', 'alice');
    await join(b, 'room', 'alice');
    await join(b, 'room', 'alice', { resume: welcome.resume as string });
  });
});

describe('node server: hostile input', () => {
  it('closes only the offending link on bad frames; other clients keep working', async () => {
    const a = await node({ id: 'a', maxFrameBytes: 4096 });
    const alice = await join(a, 'room', 'alice');
    const bob = await join(a, 'room', 'bob');
    const cases: Array<{ send: string | Buffer; code: number }> = [
      { send: 'not json', code: 4001 },
      { send: '[1,2]', code: 4001 },
      { send: JSON.stringify({ t: 'launch' }), code: 4001 },
      { send: JSON.stringify({ t: 'msg', d: 'x'.repeat(5000) }), code: 4006 },
      { send: Buffer.from([1, 2, 3]), code: 4001 },
      { send: JSON.stringify({ ...hello('room', 'eve'), session: 5 }), code: 4001 },
      { send: JSON.stringify({ ...hello('room', 'eve'), recv: { alice: -1 } }), code: 4001 },
      { send: JSON.stringify({ t: 'msg', d: 'before hello' }), code: 4001 },
    ];
    for (const { send, code } of cases) {
      const eve = await RawClient.open(a.url);
      eve.ws.send(send, { binary: Buffer.isBuffer(send) });
      expect(await eve.next()).toMatchObject({ t: 'error', code: 'protocol' });
      expect((await eve.closed).code).toBe(code);
    }
    // After a welcome too: a bad frame ends that member's link only.
    const eve = await join(a, 'room', 'eve');
    eve.c.send({ t: 'msg', d: 5 } as unknown as Frame);
    expect(await eve.c.next('error')).toMatchObject({ code: 'protocol' });
    expect((await eve.c.closed).code).toBe(4001);
    const late = await join(a, 'room', 'mallory');
    late.c.send(hello('room', 'mallory'));
    expect((await late.c.closed).code).toBe(4001); // a second hello

    alice.c.send({ t: 'msg', seq: 1, d: 'still here' });
    expect(await bob.c.next('msg')).toMatchObject({ from: 'alice', seq: 1, d: 'still here' });
    expect(a.stats().links).toBe(2);
  });
});

describe('node server: placement', () => {
  it('redirects a hello to the rendezvous host, which welcomes it', async () => {
    const ids = ['a', 'b', 'c'];
    const cl = await cloud(ids);
    const session = sessionOwnedBy('b', ids);
    for (const n of cl) expect(n.hostOf(session).id).toBe('b');
    const c = await RawClient.open(cl[0]!.url);
    c.send(hello(session, 'alice'));
    expect(await c.next()).toEqual({ t: 'redirect', node: cl[1]!.info, reason: 'not-host' });
    expect((await c.closed).code).toBe(4002);
    await join(cl[1]!, session, 'alice');
  });

  it('steers a failed report away from a closed node, not away from a live one', async () => {
    const ids = ['a', 'b', 'c'];
    const [a, b, c] = (await cloud(ids)) as [NodeServer, NodeServer, NodeServer];
    const onA = sessionOwnedBy('a', ids);
    // A false report about a live node changes nothing: b probes a, a answers.
    const liar = await RawClient.open(b.url);
    liar.send(hello(onA, 'liar', { failed: ['a'] }));
    expect(await liar.next()).toMatchObject({ t: 'redirect', node: { id: 'a' } });

    await a.close();
    const survivor = rendezvousOwner(onA, [b, c], (n) => n.id)!;
    const other = survivor === b ? c : b;
    const migrant = await RawClient.open(other.url);
    migrant.send(hello(onA, 'alice', { failed: ['a'], via: 'a' }));
    expect(await migrant.next()).toMatchObject({ t: 'redirect', node: { id: survivor.id } });
    await join(survivor, onA, 'alice', { failed: ['a'], via: 'a' });
  });

  it('probes a silent peer that a client reports failed and places without it', async () => {
    // A fake node that answers peer pings until told to fall silent (a hung process).
    const http: Server = createHttpServer();
    const wss = new WebSocketServer({ server: http, handleProtocols: () => 'gridlink.v1' });
    let answering = true;
    wss.on('connection', (ws) => {
      ws.on('message', (data) => {
        const frame = JSON.parse(data.toString()) as Frame;
        if (answering && frame.t === 'ping' && frame.id !== undefined) ws.send(JSON.stringify({ t: 'pong', id: frame.id }));
      });
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => {
      for (const ws of wss.clients) ws.terminate();
      return new Promise<void>((resolve) => http.close(() => resolve()));
    });
    const zUrl = `ws://127.0.0.1:${(http.address() as { port: number }).port}`;
    const b = await node({ id: 'b', peers: [{ id: 'z', url: zUrl }], peerHeartbeat: { intervalMs: 200, timeoutMs: 5000 } });
    await waitFor('z to be alive', () => b.stats().alivePeers.includes('z'));
    const onZ = sessionOwnedBy('z', ['b', 'z']);

    answering = false;
    const plain = await RawClient.open(b.url);
    plain.send(hello(onZ, 'alice'));
    expect(await plain.next()).toMatchObject({ t: 'redirect', node: { id: 'z' } }); // no report, no probe
    await join(b, onZ, 'alice', { failed: ['z'] });
    expect(b.stats().alivePeers).toEqual([]);
    expect(b.hostOf(onZ).id).toBe('b');
  });

  it('moves a hosted session to a peer that comes back and owns it', async () => {
    const ids = ['a', 'b'];
    const ports = await freePorts(2);
    const peers = ids.map((id, i) => ({ id, url: `ws://127.0.0.1:${ports[i]}` }));
    const b = await node({ id: 'b', port: ports[1], peers, peerHeartbeat: { intervalMs: 100, timeoutMs: 400 } });
    const onA = sessionOwnedBy('a', ids);
    const alice = await join(b, onA, 'alice'); // a is not up: b hosts
    await node({ id: 'a', port: ports[0], peers, peerHeartbeat: { intervalMs: 100, timeoutMs: 400 } });
    expect(await alice.c.next('redirect')).toMatchObject({ node: { id: 'a' }, reason: 'rebalance' });
    expect((await alice.c.closed).code).toBe(4002);
    expect(b.stats().sessions).toBe(0);
  });
});

describe('node server: drain', () => {
  it('sends drain, leaves placement, redirects new hellos, and closes once clients left', async () => {
    const ids = ['a', 'b'];
    const [a, b] = (await cloud(ids)) as [NodeServer, NodeServer];
    const onA = sessionOwnedBy('a', ids);
    const alice = await join(a, onA, 'alice');
    const draining = a.drain({ deadlineMs: 10_000 });
    // The drain names the session's next host, so the client can move in one hop.
    expect(await alice.c.next('drain')).toEqual({ t: 'drain', deadlineMs: 10_000, to: b.info });
    expect(await (await fetch(`http://127.0.0.1:${a.port}/healthz`)).json()).toMatchObject({ id: 'a', status: 'draining' });
    await waitFor('b to take a out of placement', () => !b.stats().alivePeers.includes('a'));
    expect(b.hostOf(onA).id).toBe('b');

    const newcomer = await RawClient.open(a.url);
    newcomer.send(hello(onA, 'bob'));
    expect(await newcomer.next()).toEqual({ t: 'redirect', node: b.info, reason: 'draining' });

    // Make-before-break: join the new host, then close the old link without bye.
    await join(b, onA, 'alice', { via: 'a' });
    expect(a.stats().members).toBe(1);
    alice.c.ws.close(1000);
    await draining;
    expect(a.stats().links).toBe(0);
  });

  it('closes what is left with 4003 at the deadline, and refuses when no other node is alive', async () => {
    const a = await node({ id: 'a' });
    const alice = await join(a, 'room', 'alice');
    const draining = a.drain({ deadlineMs: 300 });
    await alice.c.next('drain');
    const late = await RawClient.open(a.url);
    late.send(hello('room', 'bob'));
    expect(await late.next()).toMatchObject({ t: 'error', code: 'draining' });
    expect((await alice.c.closed).code).toBe(4003);
    await draining;
  });
});
