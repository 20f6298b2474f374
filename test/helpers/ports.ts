/**
 * Loopback ports for processes that must be told their port before they start (nodes name their
 * peers by URL; HAProxy's config names every port).
 *
 * The ports come from below the kernel's ephemeral range (32768–60999 on Linux), from a slice of
 * 500 per vitest worker: no `listen(0)` or outgoing connection anywhere on the machine is ever given
 * one, and two workers never share one. A port asked for by `listen(0)` and closed again could be
 * handed to someone else's `listen(0)` before our process binds it, and a proxy whose port was taken
 * that way does not fail: the stranger answers in its place.
 */
import { createServer, type Server } from 'node:net';

const FIRST = 20_000;
const SLICE = 500;
const slice = Number(process.env.VITEST_POOL_ID ?? 0) % Math.floor((32_768 - FIRST) / SLICE);
let cursor = 0;

function listenOn(port: number): Promise<Server | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(undefined));
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

/** `count` distinct free ports (each checked by binding it; all closed again before returning). */
export async function freePorts(count: number): Promise<number[]> {
  const held: Server[] = [];
  const ports: number[] = [];
  for (let tried = 0; ports.length < count; tried++) {
    if (tried === SLICE) throw new Error(`no ${count} free ports in ${FIRST + slice * SLICE}–${FIRST + (slice + 1) * SLICE - 1}`);
    // The cursor moves on across calls, so a port a finished test just closed is not reused at once.
    const port = FIRST + slice * SLICE + (cursor++ % SLICE);
    const server = await listenOn(port);
    if (server === undefined) continue;
    held.push(server);
    ports.push(port);
  }
  await Promise.all(held.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}
