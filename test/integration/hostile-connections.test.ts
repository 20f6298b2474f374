/**
 * Connection exhaustion: idle sockets from one address cannot starve a node or its DNS server. The
 * attacker shares 127.0.0.1 with the honest clients (one NAT), so what keeps them in is that a
 * pending connection displaces the oldest pending one of its address, and that a socket without a
 * hello is closed at its deadline. Loopback only, bounded counts, every wait a hang guard.
 */
import net from 'node:net';
import * as dnsPacket from 'dns-packet';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startNode, type NodeServer } from '../../dist/server.js';
import { closeAll, member, sendNext, type Member } from '../helpers/members.js';
import { sleep, waitFor } from '../helpers/wait.js';

const GUARD_MS = 15_000;
let node: NodeServer | undefined;
let members: Member[] = [];
const sockets: Array<{ destroy(): void }> = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await closeAll(members);
  members = [];
  await node?.close();
  node = undefined;
});

/** `count` TCP sockets that connect and never say a word; `closed()` counts those the other end closed. */
async function idleSockets(port: number, count: number, localAddress = '127.0.0.1'): Promise<{ closed(): number }> {
  let closed = 0;
  const opened: Array<Promise<void>> = [];
  for (let i = 0; i < count; i++) {
    const socket = net.connect({ port, host: '127.0.0.1', localAddress });
    socket.on('error', () => {});
    socket.once('close', () => closed++);
    sockets.push(socket);
    opened.push(new Promise((resolve) => {
      socket.once('connect', () => resolve());
      socket.once('close', () => resolve());
    }));
    // A few at a time: the attack is a crowd of idle sockets, not a SYN flood of the test machine.
    if (i % 50 === 49) await Promise.all(opened.splice(0));
  }
  await Promise.all(opened);
  return { closed: () => closed };
}

/** An honest pair, ann sending numbered messages to bob every 20 ms until stopped. */
async function honestPair(url: string): Promise<{ stop(): Promise<void>; ann: Member; bob: Member }> {
  const ann = member('ann', { session: 'honest', nodes: [url] });
  const bob = member('bob', { session: 'honest', nodes: [url] });
  members.push(ann, bob);
  await Promise.all([ann.client.ready, bob.client.ready]);
  await waitFor('ann to see bob', () => ann.client.members.has('bob'), GUARD_MS);
  const timer = setInterval(() => sendNext(ann), 20);
  return {
    ann,
    bob,
    async stop() {
      clearInterval(timer);
      await waitFor('bob to get all ann sent', () => (bob.received.get('ann') ?? []).length >= ann.sent, GUARD_MS);
    },
  };
}

describe('hostile connections', () => {
  it('600 idle sockets from the clients own address: new clients still join, /healthz answers, the idle ones are closed by the deadline', async () => {
    node = await startNode({ id: 'a', memberGraceMs: 500, maxPendingConnections: 300, maxPendingConnectionsPerAddress: 150, helloTimeoutMs: 1500 });
    const port = Number(new URL(node.url).port);
    const pair = await honestPair(node.url);

    const idle = await idleSockets(port, 600);
    // Displaced as the crowd arrived: at most the per-address pending cap of it is still open.
    await waitFor('all but the pending cap of the idle sockets to be closed', () => idle.closed() >= 600 - 150, GUARD_MS);

    // A newcomer from the same address gets in (it displaces an idle socket, and says hello at once).
    const carl = member('carl', { session: 'honest', nodes: [node.url] });
    members.push(carl);
    await carl.client.ready;
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(200);

    // Nobody but the node closes them: the hello deadline does.
    await waitFor('every idle socket to be closed by the node', () => idle.closed() === 600, GUARD_MS);
    await pair.stop();
    expect(pair.bob.received.get('ann')).toEqual(Array.from({ length: pair.ann.sent }, (_, i) => i + 1));
    expect(pair.ann.sent).toBeGreaterThan(0);
  });

  it('a WebSocket that never says hello is displaced by a newer one from its address (1013), then the newcomer is served', async () => {
    node = await startNode({ id: 'a', maxPendingConnectionsPerAddress: 2 });
    const open = async (): Promise<{ ws: WebSocket; closed: Promise<number> }> => {
      const ws = new WebSocket(node!.url, 'gridlink.v1');
      sockets.push({ destroy: () => ws.terminate() });
      ws.on('error', () => {});
      const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
      await new Promise<void>((resolve) => ws.once('open', () => resolve()));
      return { ws, closed };
    };
    const first = await open();
    await open();
    const third = await open();
    expect(await first.closed).toBe(1013);
    third.ws.send(JSON.stringify({ t: 'hello', v: 1, session: 's', client: 'c', recv: {}, members: [] }));
    const welcome = await new Promise<{ t: string }>((resolve) => third.ws.once('message', (data) => resolve(JSON.parse(String(data)) as { t: string })));
    expect(welcome.t).toBe('welcome');
  });

  it('past maxConnectionsPerAddress, an upgrade is refused with 503; a closed link frees its slot', async () => {
    node = await startNode({ id: 'a', maxConnectionsPerAddress: 3 });
    const links = await Promise.all(['c1', 'c2', 'c3'].map(async (client) => {
      const ws = new WebSocket(node!.url, 'gridlink.v1');
      sockets.push({ destroy: () => ws.terminate() });
      await new Promise<void>((resolve) => ws.once('open', () => resolve()));
      ws.send(JSON.stringify({ t: 'hello', v: 1, session: 's', client, recv: {}, members: [] }));
      await new Promise<void>((resolve) => ws.once('message', () => resolve()));
      return ws;
    }));
    const status = (): Promise<number | undefined> =>
      new Promise((resolve) => {
        const ws = new WebSocket(node!.url, 'gridlink.v1');
        sockets.push({ destroy: () => ws.terminate() });
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode));
        ws.on('error', () => resolve(undefined));
        ws.on('open', () => resolve(101));
      });
    expect(await status()).toBe(503);
    links[0]!.terminate();
    await waitFor('the freed slot to be usable', async () => (await status()) === 101, GUARD_MS);
  });

  it("the DNS server's TCP slots: one address holds at most its share, other hosts are answered, idle sockets are cut", async () => {
    node = await startNode({ id: 'a', cloud: 'cloud.test' });
    const dns = node.dns!;
    const idle = await idleSockets(dns.port, 300);
    // Past the per-address cap (32 by default) the rest are closed at once.
    await waitFor('the idle sockets past the per-address cap to be closed', () => idle.closed() >= 300 - 32, GUARD_MS);
    const answer = await tcpQuery(dns.port, '127.0.0.2');
    expect(answer.rcode).toBe('NOERROR');
    expect(answer.answers?.length).toBe(1);
    await waitFor('every idle DNS socket to be cut by the first-query deadline', () => idle.closed() === 300, GUARD_MS);
    // The attacking address is served again once its sockets are gone.
    await sleep(10);
    expect((await tcpQuery(dns.port, '127.0.0.1')).rcode).toBe('NOERROR');
  });
});

/** One SRV query over TCP from `localAddress`. */
function tcpQuery(port: number, localAddress: string): Promise<dnsPacket.DecodedPacket & { rcode?: string }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1', localAddress });
    sockets.push(socket);
    let data = Buffer.alloc(0);
    socket.on('error', reject);
    socket.on('close', () => reject(new Error('closed before an answer')));
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      if (data.length >= 2 && data.length >= 2 + data.readUInt16BE(0)) {
        resolve(dnsPacket.decode(data.subarray(2, 2 + data.readUInt16BE(0))) as dnsPacket.DecodedPacket & { rcode?: string });
        socket.destroy();
      }
    });
    socket.on('connect', () => socket.write(dnsPacket.streamEncode({ type: 'query', id: 9, questions: [{ type: 'SRV', name: '_gridlink._tcp.cloud.test' }] })));
  });
}
