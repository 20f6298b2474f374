/**
 * Hostile clients cost a node little: a crowd of slow-loris connections and a member that never
 * reads do not stop it serving everyone else, and its buffers stay bounded.
 */
import net from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startNode, type NodeServer } from '../../dist/server.js';
import { closeAll, member, sendNext, type Member } from '../helpers/members.js';
import { sleep, waitFor } from '../helpers/wait.js';

let node: NodeServer;
let members: Member[] = [];
const sockets: Array<{ destroy(): void }> = [];

beforeEach(async () => {
  node = await startNode({ id: 'a', port: 0, memberGraceMs: 500 });
});

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await closeAll(members);
  members = [];
  await node.close();
});

describe('hostile clients', () => {
  it('a crowd of slow-loris connections does not stop the node serving a real session', async () => {
    const port = new URL(node.url).port;
    for (let i = 0; i < 200; i++) {
      const socket = net.connect(Number(port), '127.0.0.1');
      socket.on('error', () => {});
      // Half an upgrade request, then nothing: the classic slow-loris.
      socket.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n`);
      sockets.push(socket);
    }
    const ann = member('ann', { session: 'loris', nodes: [node.url] });
    const bob = member('bob', { session: 'loris', nodes: [node.url] });
    members.push(ann, bob);
    await Promise.all([ann.client.ready, bob.client.ready]);
    await waitFor('ann to see bob', () => ann.client.members.has('bob'));
    for (let i = 0; i < 50; i++) sendNext(ann);
    await waitFor('bob to get all 50', () => (bob.received.get('ann') ?? []).length === 50);
    expect(bob.received.get('ann')).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
  });

  it('a member that stops reading (and confirming) is cut after the stall period; the others carry on, nothing lost', async () => {
    const ann = member('ann', { session: 'flood', nodes: [node.url] });
    const bob = member('bob', { session: 'flood', nodes: [node.url] });
    members.push(ann, bob);
    await Promise.all([ann.client.ready, bob.client.ready]);
    // A raw WebSocket member that joins and then stops reading its socket.
    const lazy = new WebSocket(node.url, 'gridlink.v1');
    sockets.push({ destroy: () => lazy.terminate() });
    await new Promise<void>((resolve) => lazy.once('open', () => resolve()));
    lazy.send(JSON.stringify({ t: 'hello', v: 1, session: 'flood', client: 'lazy', recv: {}, members: [] }));
    await new Promise<void>((resolve) => lazy.once('message', () => resolve()));
    (lazy as unknown as { _socket: net.Socket })._socket.pause();
    // It keeps pinging (so no heartbeat timeout will save the session): it just never reads.
    const pinger = setInterval(() => lazy.send(JSON.stringify({ t: 'ping' })), 200);
    sockets.push({ destroy: () => clearInterval(pinger) });
    await waitFor('ann to see lazy', () => ann.client.members.has('lazy'));

    // Flood with 4 KiB messages. A full buffer (GRIDLINK_BUFFER_FULL) is backpressure, not loss:
    // ann waits and tries again. Without the node cutting lazy, she would wait forever.
    const chunk = 'x'.repeat(4096);
    let sent = 0;
    let refused = 0;
    const deadline = Date.now() + 45_000;
    while (ann.client.members.has('lazy') && Date.now() < deadline) {
      try {
        ann.client.send(`ann:${sent + 1}:${chunk}`);
        sent++;
      } catch {
        refused++;
        await sleep(20);
      }
      if (sent % 200 === 0) await sleep(1);
    }
    expect(refused).toBeGreaterThan(0); // the flood did reach the bound
    expect(ann.client.members.has('lazy')).toBe(false); // the node cut the member that never read
    await waitFor('the buffer of ann to drain', () => ann.client.bufferedBytes === 0, 30_000);
    await waitFor('bob to get everything ann sent', () => (bob.received.get('ann') ?? []).length >= sent, 30_000);
    expect(bob.received.get('ann')).toEqual(Array.from({ length: sent }, (_, i) => i + 1));
  });
});
