import net, { type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startFaultProxy, type FaultProxy } from '../../src/cloud/fault-proxy.js';
import { sleep, waitFor } from '../helpers/wait.js';

// Real sockets on loopback: an echo server behind the proxy, a client in front of it. Waits are
// bounded (hang guards), never timing assertions, except the black-hole "nothing happens" window.

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function echoServer(): Promise<{ server: Server; port: number; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    socket.pipe(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  );
  return { server, port: (server.address() as AddressInfo).port, sockets };
}

async function proxyTo(port: number): Promise<FaultProxy> {
  const proxy = await startFaultProxy({ target: { port } });
  cleanups.push(() => proxy.close());
  return proxy;
}

interface Client {
  socket: Socket;
  received(): string;
  closed: Promise<{ error: NodeJS.ErrnoException | undefined }>;
  isClosed(): boolean;
}

async function connect(port: number): Promise<Client> {
  const socket = net.connect({ port, host: '127.0.0.1' });
  let text = '';
  let error: NodeJS.ErrnoException | undefined;
  let done = false;
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => (text += chunk));
  socket.on('error', (e: NodeJS.ErrnoException) => (error = e));
  const closed = new Promise<{ error: NodeJS.ErrnoException | undefined }>((resolve) =>
    socket.on('close', () => {
      done = true;
      resolve({ error });
    }),
  );
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  cleanups.push(() => {
    socket.destroy();
  });
  return { socket, received: () => text, closed, isClosed: () => done };
}

describe('fault proxy', () => {
  it('forwards both ways', async () => {
    const echo = await echoServer();
    const proxy = await proxyTo(echo.port);
    const client = await connect(proxy.port);
    client.socket.write('hello');
    await waitFor('echo through the proxy', () => client.received() === 'hello');
    expect(proxy.connections).toBe(1);
  });

  it('black hole: data stops both ways and the socket stays open without FIN or RST', async () => {
    const echo = await echoServer();
    const proxy = await proxyTo(echo.port);
    const client = await connect(proxy.port);
    client.socket.write('a');
    await waitFor('first echo', () => client.received() === 'a');

    proxy.blackhole();
    client.socket.write('lost');
    // The server side too: what it sends now must not arrive.
    for (const socket of echo.sockets) socket.write('from-server');
    await sleep(300); // the one window that asserts nothing happens
    expect(client.received()).toBe('a');
    expect(client.isClosed()).toBe(false);
    expect(proxy.connections).toBe(1);

    // New connections are accepted and just as silent.
    const late = await connect(proxy.port);
    late.socket.write('late');
    await sleep(100);
    expect(late.received()).toBe('');
    expect(late.isClosed()).toBe(false);
  });

  it('heal: delivers what the black hole held, in order, then forwards again (as TCP would)', async () => {
    const echo = await echoServer();
    const proxy = await proxyTo(echo.port);
    const client = await connect(proxy.port);
    proxy.blackhole();
    client.socket.write('held,');
    await sleep(100);
    expect(client.received()).toBe('');
    proxy.heal();
    client.socket.write('then');
    await waitFor('echo after heal', () => client.received() === 'held,then');

    // A connection accepted during the black hole gets its upstream on heal.
    proxy.blackhole();
    const late = await connect(proxy.port);
    proxy.heal();
    late.socket.write('late');
    await waitFor('echo on a connection made while black-holed', () => late.received() === 'late');
  });

  it('latency delays chunks but keeps their order', async () => {
    const echo = await echoServer();
    const proxy = await proxyTo(echo.port);
    const client = await connect(proxy.port);
    proxy.setLatency(40);
    const expected: string[] = [];
    for (let i = 0; i < 20; i++) {
      const part = `${i},`;
      expected.push(part);
      client.socket.write(part);
      // Changing the latency mid-stream must not let a later chunk overtake an earlier one.
      if (i === 10) proxy.setLatency(0);
      await sleep(2);
    }
    await waitFor('all chunks in order', () => client.received() === expected.join(''));
    expect(() => proxy.setLatency(-1)).toThrow(/latency/);
  });

  it('resetAll gives the client ECONNRESET', async () => {
    const echo = await echoServer();
    const proxy = await proxyTo(echo.port);
    const client = await connect(proxy.port);
    client.socket.write('x');
    await waitFor('echo', () => client.received() === 'x');
    proxy.resetAll();
    const { error } = await client.closed;
    expect(error?.code).toBe('ECONNRESET');
    await waitFor('upstream side closed too', () => echo.sockets.size === 0);
  });

  it('a refused upstream closes the client at once', async () => {
    const echo = await echoServer();
    const proxy = await proxyTo(echo.port);
    await new Promise<void>((resolve) => echo.server.close(() => resolve()));
    const client = await connect(proxy.port);
    const { error } = await client.closed; // the test timeout is the hang guard
    expect(error?.code).toBe('ECONNRESET');
    await waitFor('connection forgotten', () => proxy.connections === 0);
  });

  it('an upstream reset resets the client; an upstream FIN ends it', async () => {
    const echo = await echoServer();
    const proxy = await proxyTo(echo.port);
    const reset = await connect(proxy.port);
    const ended = await connect(proxy.port);
    ended.socket.write('bye');
    await waitFor('both connected', () => ended.received() === 'bye' && echo.sockets.size === 2);
    const [first, second] = [...echo.sockets];
    // Which server socket belongs to which client is not known; tell them apart by what they echoed.
    const serverOfEnded = first?.bytesRead === 3 ? first : second;
    const serverOfReset = serverOfEnded === first ? second : first;
    serverOfReset?.resetAndDestroy();
    serverOfEnded?.end();
    expect((await reset.closed).error?.code).toBe('ECONNRESET');
    expect((await ended.closed).error).toBeUndefined();
  });

  it('setTarget sends new connections to the new target', async () => {
    const first = await echoServer();
    const proxy = await proxyTo(first.port);
    const second = await echoServer();
    proxy.setTarget({ port: second.port });
    const client = await connect(proxy.port);
    client.socket.write('hi');
    await waitFor('echo from the new target', () => client.received() === 'hi');
    expect(second.sockets.size).toBe(1);
    expect(first.sockets.size).toBe(0);
  });

  it('close destroys open connections and is idempotent', async () => {
    const echo = await echoServer();
    const proxy = await startFaultProxy({ target: { port: echo.port } });
    const client = await connect(proxy.port);
    await Promise.all([proxy.close(), proxy.close()]);
    await client.closed;
    expect(proxy.connections).toBe(0);
  });
});

describe('fault proxy black hole and closes', () => {
  it('holds back an upstream reset while black-holed and delivers it on heal', async () => {
    const echo = await echoServer();
    const proxy = await proxyTo(echo.port);
    const client = await connect(proxy.port);
    client.socket.write('x');
    await waitFor('echo', () => client.received() === 'x');
    proxy.blackhole();
    for (const socket of echo.sockets) socket.resetAndDestroy();
    await sleep(200); // a pulled cable carries no RST
    expect(client.isClosed()).toBe(false);
    proxy.heal();
    expect((await client.closed).error?.code).toBe('ECONNRESET');
  });
});

describe('fault proxy buffers', () => {
  it('pushes back on a sender whose receiver does not read, instead of buffering without bound', async () => {
    const stalled = new Set<Socket>();
    const server = net.createServer((socket) => {
      stalled.add(socket);
      socket.pause(); // never reads
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          for (const socket of stalled) socket.destroy();
          server.close(() => resolve());
        }),
    );
    const proxy = await proxyTo((server.address() as AddressInfo).port);
    const client = await connect(proxy.port);
    const total = 64 * 1024 * 1024;
    const chunk = Buffer.alloc(1024 * 1024);
    for (let sent = 0; sent < total; sent += chunk.length) client.socket.write(chunk);
    // Let everything that can flow, flow: loopback kernel buffers hold a few MiB per hop. What the
    // client still holds in user space is what nobody downstream would take.
    const flushed = (): number => total - client.socket.writableLength;
    let last = -1;
    for (let guard = 0; guard < 100 && flushed() !== last; guard++) {
      last = flushed();
      await sleep(100);
    }
    expect(flushed()).toBeLessThan(total / 2);
    expect(client.isClosed()).toBe(false);
  });
});
