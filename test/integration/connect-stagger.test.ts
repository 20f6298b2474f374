/**
 * The stagger of a connection round (session/connector.ts) counts connects, as happy eyeballs does:
 * a node whose host accepted the TCP connection is waited for (its upgrade's answer may queue
 * behind a crowd's joins), and only `connectTimeoutMs` gives up on it. Real sockets: a real node
 * behind the real fault proxy (latency), and a TCP server that accepts and never answers.
 */
import net, { type AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { connect } from '../../dist/node.js';
import { startFaultProxy, startNode } from '../../dist/server.js';
import { createNodePlatform } from '../../src/platform/node/index.js';

/** A host that accepts TCP connections and never says a word (a hung node process). */
async function silentHost(): Promise<{ url: string; accepted: number[]; close(): Promise<void> }> {
  const accepted: number[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    accepted.push(performance.now());
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    accepted,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

describe('a connection round staggers connects, not upgrades', () => {
  let node: Awaited<ReturnType<typeof startNode>>;
  let slow: Awaited<ReturnType<typeof startFaultProxy>>;
  let silent: Awaited<ReturnType<typeof silentHost>>;
  const LATENCY_MS = 150;

  beforeAll(async () => {
    node = await startNode({ id: 'a', port: 0, host: '127.0.0.1' });
    const port = Number(new URL(node.url).port);
    slow = await startFaultProxy({ target: { host: '127.0.0.1', port } });
    slow.setLatency(LATENCY_MS);
  });
  beforeEach(async () => {
    silent = await silentHost();
  });
  afterEach(async () => {
    await silent.close();
  });
  afterAll(async () => {
    await slow?.close();
    await node?.close();
  });

  it('waits for a connected node whose upgrade answers late, and dials no second node', async () => {
    const client = connect({ session: 'late-upgrade', nodes: [`ws://127.0.0.1:${slow.port}/`, silent.url], policy: 'assigned', staggerMs: 20 });
    try {
      await client.ready;
      expect(client.node?.id).toBe('a');
      // The upgrade took 2 × 150 ms to answer, far past the 20 ms stagger: the next candidate was never dialled.
      expect(silent.accepted).toEqual([]);
    } finally {
      await client.close();
    }
  });

  it('gives up on a host that accepts and never answers only after connectTimeoutMs, then joins the next', async () => {
    const started = performance.now();
    const client = connect({ session: 'hung-host', nodes: [silent.url, node.url], policy: 'assigned', staggerMs: 20, connectTimeoutMs: 300 });
    try {
      await client.ready;
      expect(client.node?.id).toBe('a');
      expect(silent.accepted).toHaveLength(1);
      // Not 20 ms (the stagger): the whole attempt's timeout passed first.
      expect(performance.now() - started).toBeGreaterThanOrEqual(280);
    } finally {
      await client.close();
    }
  });

  it('the Node platform tells of the TCP connect before the open, and never for a refused one', async () => {
    const platform = createNodePlatform();
    const events: string[] = [];
    const ws = platform.openWebSocket(`ws://127.0.0.1:${slow.port}/`, { protocols: ['gridlink.v1'], onConnected: () => events.push('connected') });
    await new Promise<void>((resolve, reject) => {
      ws.addEventListener('open', () => resolve());
      ws.addEventListener('error', () => reject(new Error('the socket failed')));
    });
    events.push('open');
    ws.close();
    expect(events).toEqual(['connected', 'open']);

    const closed = await silentHost();
    const port = new URL(closed.url).port;
    await closed.close();
    const refused: string[] = [];
    const failed = platform.openWebSocket(`ws://127.0.0.1:${port}/`, { protocols: ['gridlink.v1'], onConnected: () => refused.push('connected') });
    failed.addEventListener('error', () => refused.push('error'));
    await new Promise<void>((resolve) => failed.addEventListener('close', () => resolve()));
    expect(refused).toEqual(['error']);
  });
});
