/**
 * Dial by IP, keep the name: the Node platform, given a node's resolved `address`, connects there
 * while the WebSocket upgrade (and a health probe) carry `Host: <name>` and TLS carries SNI
 * `<name>`. The names used here exist in no DNS, so a connection proves the address was used.
 */
import { createServer as createHttpServer, type IncomingMessage } from 'node:http';
import { createServer as createTlsServer } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { createNodePlatform } from '../../src/platform/node/index.js';
import { probeHealth } from '../../src/dial/health.js';
import { dial } from '../../src/dial/transport.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

function listen<T extends { listen: (port: number, host: string, cb: () => void) => unknown; address: () => unknown; close: (cb: () => void) => unknown }>(server: T): Promise<number> {
  closers.push(() => new Promise((resolve) => server.close(() => resolve())));
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

describe('Node platform: dial by IP', () => {
  it('opens the WebSocket at the address with Host: <name>:<port>', async () => {
    const hosts: Array<string | undefined> = [];
    const http = createHttpServer();
    const wss = new WebSocketServer({ server: http, handleProtocols: () => 'gridlink.v1' });
    wss.on('connection', (socket, request: IncomingMessage) => {
      hosts.push(request.headers.host);
      socket.close();
    });
    closers.push(async () => void wss.close());
    const port = await listen(http);
    const transport = await dial(createNodePlatform(), `ws://node-a.cloud.test:${port}/`, { timeoutMs: 5000, signal: new AbortController().signal, address: '127.0.0.1' });
    transport.close(1000, 'done');
    expect(hosts).toEqual([`node-a.cloud.test:${port}`]);
  });

  it('without an address the name is resolved as usual (and here fails: the name exists nowhere)', async () => {
    const error = await dial(createNodePlatform(), 'ws://node-a.cloud.test:9/', { timeoutMs: 5000, signal: new AbortController().signal }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'GRIDLINK_CONNECT_FAILED' });
  });

  it('probes /healthz at the address with Host: <name>, and reads the body', async () => {
    const seen: Array<[string | undefined, string | undefined]> = [];
    const http = createHttpServer((request, response) => {
      seen.push([request.url, request.headers.host]);
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ id: 'a', status: 'ok', load: { links: 3, sessions: 1 } }));
    });
    const port = await listen(http);
    const probe = await probeHealth(createNodePlatform(), { id: 'a', url: `ws://node-a.cloud.test:${port}/`, address: '127.0.0.1' }, { timeoutMs: 5000 });
    expect(seen).toEqual([['/healthz', `node-a.cloud.test:${port}`]]);
    expect(probe.health).toEqual({ id: 'a', status: 'ok', load: { links: 3, sessions: 1 } });
    expect(probe.rttMs).toBeGreaterThanOrEqual(0);
  });

  it('for wss, TLS carries SNI <name> while dialling the address', async () => {
    const names: string[] = [];
    // No certificate at all: the handshake fails, but only after the server has read the SNI.
    const tls = createTlsServer({ SNICallback: (name, callback) => {
      names.push(name);
      callback(new Error('no certificate here'), undefined);
    } });
    const port = await listen(tls);
    const error = await dial(createNodePlatform(), `wss://node-a.cloud.test:${port}/`, { timeoutMs: 5000, signal: new AbortController().signal, address: '127.0.0.1' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'GRIDLINK_CONNECT_FAILED' });
    expect(names).toEqual(['node-a.cloud.test']);
  });
});
