// Memory: heap per connected idle client. 1,000 clients in this process (run with --expose-gc)
// against one gridlink node in a child process (so the server's and any proxy's objects are not in
// this heap). Includes everything a client holds: its session, link, timers and its `ws` WebSocket.
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { connect } from '../dist/node.js';
import { QUICK, closeAll, int, log, main, rampConnect, row, sleep, spawnServer } from './lib.mjs';

const CLIENTS = QUICK ? 300 : 1000;
const SESSIONS = CLIENTS / 10;
const GOAL_KB = 8; // issue 12: goal 8 KB, bar 16 KB
const BAR_KB = 16;

function collect() {
  globalThis.gc();
  globalThis.gc();
}

/** Diagnostic baseline: heap per bare WebSocket of the client gridlink uses in Node (`ws`), open and idle, to a plain ws relay. */
async function rawPerSocket() {
  const relay = await spawnServer(fileURLToPath(new URL('./raw-relay.mjs', import.meta.url)));
  const sockets = [];
  try {
    const open = (ws) => new Promise((resolve, reject) => {
      ws.addEventListener('open', resolve, { once: true });
      ws.addEventListener('error', () => reject(new Error('raw websocket failed')), { once: true });
    });
    const warm = new WebSocket(relay.url); // load the code paths once
    await open(warm);
    warm.close();
    await sleep(200);
    collect();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < CLIENTS; i += 100) {
      const batch = [];
      for (let j = 0; j < 100; j++) batch.push(new WebSocket(relay.url));
      sockets.push(...batch);
      await Promise.all(batch.map(open));
    }
    await sleep(1000);
    collect();
    await sleep(100);
    collect();
    return (process.memoryUsage().heapUsed - before) / CLIENTS / 1024;
  } finally {
    for (const ws of sockets) ws.close();
    await sleep(200);
    await relay.stop();
  }
}

export async function run() {
  if (typeof globalThis.gc !== 'function') throw new Error('run with node --expose-gc');
  const node = await spawnServer(fileURLToPath(new URL('./node-child.mjs', import.meta.url)));
  let clients = [];
  try {
    // Load the client code paths once (one client, closed) so code and caches are not charged to clients.
    const warm = connect({ session: 'warm', nodes: [node.url] });
    await warm.ready;
    await warm.close();
    await sleep(200);
    collect();
    const before = process.memoryUsage();
    clients = await rampConnect(CLIENTS, 100, (i) => {
      const c = connect({ session: `mem-${i % SESSIONS}`, nodes: [node.url], clientId: `m${i}` });
      c.on('error', () => {});
      return c;
    });
    await sleep(1000);
    collect();
    await sleep(100);
    collect();
    const after = process.memoryUsage();
    const connected = clients.filter((c) => c.state === 'connected').length;
    const perClient = (after.heapUsed - before.heapUsed) / CLIENTS / 1024;
    const external = (after.external + after.arrayBuffers - before.external - before.arrayBuffers) / CLIENTS / 1024;
    const rss = (after.rss - before.rss) / CLIENTS / 1024;
    await closeAll(clients, 20_000);
    clients = [];
    await sleep(500);
    const raw = await rawPerSocket();
    log(`memory: ${connected}/${CLIENTS} connected; heapUsed ${int(before.heapUsed / 1024)} KB -> ${int(after.heapUsed / 1024)} KB`);
    return {
      title: `Memory: ${int(CLIENTS)} idle connected clients in one process`,
      rows: [
        row('heap per idle client ((heapUsed after − before) / clients)', `${perClient.toFixed(1)} KB`, `≤ ${GOAL_KB} KB (bar ≤ ${BAR_KB} KB)`, perClient <= GOAL_KB),
        row('… of which a bare `ws` client WebSocket (same measure, to a plain `ws` relay)', `${raw.toFixed(1)} KB`),
        row('… so gridlink\'s own share (client, session, link, timers)', `${(perClient - raw).toFixed(1)} KB`),
        row('external + array buffers per client', `${external.toFixed(1)} KB`),
        row('RSS growth per client (process-wide, includes sockets)', `${rss.toFixed(1)} KB`),
        row('clients connected when measured', `${connected} of ${CLIENTS}`, `${CLIENTS}`, connected === CLIENTS),
      ],
      how:
        `\`node --expose-gc\`; one gridlink node in a child process (startNode, no proxy); one client connected and closed first to load the code; gc() twice, heapUsed; ` +
        `connect ${int(CLIENTS)} clients (${SESSIONS} sessions of 10) 100 at a time, await ready, wait 1 s, gc() twice, heapUsed; figure = difference / ${int(CLIENTS)}. Includes the ws WebSocket objects (gridlink's Node transport).`,
    };
  } finally {
    await closeAll(clients, 20_000);
    await node.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) main('memory', run);
