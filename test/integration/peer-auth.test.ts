/**
 * Peer links are authenticated when the nodes share a secret: a stranger that dials a node as a
 * peer is closed before anything it says counts, and a stranger answering at a peer's address is
 * never taken for that peer. Real nodes in-process; the strangers are raw WebSocket ends.
 */
import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import type { NodeServer } from '../../src/server/node/node-server.js';
import { cleanupAll, cleanups, cloud, freePorts, node, sessionOwnedBy, sockets } from '../helpers/raw-node.js';
import { waitFor } from '../helpers/wait.js';

afterEach(cleanupAll);

type Frame = { t: string; [key: string]: unknown };

/** Dials `url` as a peer named `id` and hands back every frame and the close. */
async function dialAsPeer(url: string, hello: Frame): Promise<{ ws: WebSocket; frames: Frame[]; closed: Promise<number> }> {
  const ws = new WebSocket(url, 'gridlink.v1');
  sockets.push(ws);
  const frames: Frame[] = [];
  ws.on('message', (data) => frames.push(JSON.parse(data.toString()) as Frame));
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  ws.send(JSON.stringify(hello));
  return { ws, frames, closed };
}

/** A fake peer that welcomes every dial with `welcome(nonce)` and answers pings; counts the dials. */
async function strangerAtPeerAddress(welcome: (dialNonce: string) => Frame): Promise<{ url: string; dials: () => number }> {
  const http: Server = createServer();
  const wss = new WebSocketServer({ server: http, handleProtocols: () => 'gridlink.v1' });
  let dials = 0;
  wss.on('connection', (ws) => {
    dials++;
    ws.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as Frame;
      if (frame.t === 'peer-hello') ws.send(JSON.stringify(welcome(String(frame.nonce))));
      if (frame.t === 'ping' && frame.id !== undefined) ws.send(JSON.stringify({ t: 'pong', id: frame.id }));
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => {
    for (const ws of wss.clients) ws.terminate();
    return new Promise<void>((resolve) => http.close(() => resolve()));
  });
  return { url: `ws://127.0.0.1:${(http.address() as { port: number }).port}`, dials: () => dials };
}

describe('peer link authentication (nodes with a shared secret)', () => {
  it('closes a dialler that does not prove the secret, before its peer-drain counts', async () => {
    const ids = ['a', 'b'];
    const [a] = (await cloud(ids)) as [NodeServer, NodeServer];
    const onB = sessionOwnedBy('b', ids);
    // Pretends to be b, gets a's welcome (with a's proof), and answers with a drain instead of its own.
    const forger = await dialAsPeer(a.url, { t: 'peer-hello', id: 'b', v: 1, nonce: 'AAAAAAAAAAAAAAAAAAAAAA' });
    await waitFor('a welcome', () => forger.frames.length > 0);
    expect(forger.frames[0]).toMatchObject({ t: 'peer-welcome', id: 'a', nonce: expect.any(String), mac: expect.any(String) });
    forger.ws.send(JSON.stringify({ t: 'peer-drain' }));
    expect(await forger.closed).toBe(4004);
    // A dialler that brings no nonce cannot even start.
    const bare = await dialAsPeer(a.url, { t: 'peer-hello', id: 'b', v: 1 });
    expect(await bare.closed).toBe(4004);
    expect(a.stats().alivePeers).toEqual(['b']);
    expect(a.hostOf(onB).id).toBe('b');
  });

  it('never takes a stranger at a peer\'s address for that peer, whatever it answers', async () => {
    const forged = await strangerAtPeerAddress((dialNonce) => ({ t: 'peer-welcome', id: 'z', nonce: dialNonce, mac: 'x'.repeat(43) }));
    const silent = await strangerAtPeerAddress((dialNonce) => ({ t: 'peer-welcome', id: 'y', nonce: dialNonce }));
    const a = await node({
      id: 'a',
      secret: 'cloud-secret',
      peers: [{ id: 'z', url: forged.url }, { id: 'y', url: silent.url }],
      peerHeartbeat: { intervalMs: 100, timeoutMs: 400 },
    });
    // Each stranger was dialled again and again (each link closed at its welcome), never believed.
    await waitFor('a to redial both strangers', () => forged.dials() >= 3 && silent.dials() >= 3, 15_000);
    expect(a.stats().alivePeers).toEqual([]);
    expect(a.hostOf(sessionOwnedBy('z', ['a', 'z'])).id).toBe('a');
  });

  it('nodes with different secrets do not link; nodes without one link unauthenticated', async () => {
    const mixed = await twoNodes(['one-secret', 'another-secret']);
    await waitFor('both to try a few times', () => mixed.refusals() >= 4, 15_000);
    for (const n of mixed.nodes) expect(n.stats().alivePeers).toEqual([]);
    const open = await twoNodes([undefined, undefined]);
    await waitFor('unauthenticated peers to link', () => open.nodes.every((n) => n.stats().alivePeers.length === 1));
    expect(open.refusals()).toBe(0);
  });
});

/** Two nodes peered with each other, with the given secrets; counts the authentication failures they log. */
async function twoNodes(secrets: Array<string | undefined>): Promise<{ nodes: NodeServer[]; refusals: () => number }> {
  const ports = await freePorts(2);
  const peers = ['a', 'b'].map((id, i) => ({ id, url: `ws://127.0.0.1:${ports[i]}` }));
  let refused = 0;
  const logger = {
    debug: () => {},
    info: () => {},
    warn: (message: string) => {
      if (message.includes('authenticat')) refused++;
    },
    error: () => {},
  };
  const nodes = await Promise.all(
    ['a', 'b'].map((id, i) =>
      node({ id, port: ports[i], peers, logger, peerHeartbeat: { intervalMs: 100, timeoutMs: 400 }, ...(secrets[i] === undefined ? {} : { secret: secrets[i] }) }),
    ),
  );
  return { nodes, refusals: () => refused };
}
