// A silent host (black hole: no FIN, no RST) beside the peers tuned to a 1 s ping, in one run:
// gridlink with default settings (its heartbeat 1000/3000 ms plus asking the cloud), mqtt.js
// (keepalive 1 s, two aedes brokers, the client's `servers` list) and socket.io-client (server
// pingInterval/pingTimeout 1 s, two servers, the client switched to the second on disconnect).
// Each trial: a sender publishes a numbered message every 20 ms to a receiver through the host; the
// host's fault proxy (src/cloud/fault-proxy.ts) black-holes it; we time fault → first message *sent
// after the fault* delivered, and fault → both clients moved; then count lost, duplicated, split.
// Idle frames per second each way are counted on one idle client through a counting TCP proxy.
import net from 'node:net';
import http from 'node:http';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';
import { Server as IoServer } from 'socket.io';
import { io as ioClient } from 'socket.io-client';
import { connect } from '../dist/node.js';
import { startFaultProxy, startLocalCloud } from '../dist/server.js';
import { QUICK, log, main, ms, now, row, sleep, summarize, waitFor } from './lib.mjs';

const TRIALS = QUICK ? 4 : 12;
const SEND_MS = 20;
const IDLE_MS = QUICK ? 4000 : 8000;
const AFTER_MS = 600; // keep sending this long after recovery
const DRAIN_MS = 1500; // stragglers (replays) before counting
const GUARD_MS = 15_000;

// ---- shared --------------------------------------------------------------------------------

/** A TCP proxy that counts data chunks each way (on an idle link, one chunk is one frame). */
async function countingProxy(port) {
  const counts = { up: 0, down: 0 };
  const sockets = new Set();
  const server = net.createServer((down) => {
    const up = net.connect(port, '127.0.0.1');
    sockets.add(down).add(up);
    down.on('data', (d) => (counts.up++, up.write(d)));
    up.on('data', (d) => (counts.down++, down.write(d)));
    const end = () => (down.destroy(), up.destroy());
    down.on('close', end).on('error', end);
    up.on('close', end).on('error', end);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: server.address().port,
    counts,
    reset: () => ((counts.up = 0), (counts.down = 0)),
    close: () => new Promise((resolve) => (sockets.forEach((s) => s.destroy()), server.close(resolve))),
  };
}

/** Idle frames per second each way for one client made by `open(port)` through a counting proxy to `port`. */
async function idleRate(port, open) {
  const proxy = await countingProxy(port);
  const close = await open(proxy.port);
  await sleep(1500); // past the handshake
  proxy.reset();
  await sleep(IDLE_MS);
  const rate = { up: proxy.counts.up / (IDLE_MS / 1000), down: proxy.counts.down / (IDLE_MS / 1000) };
  await close();
  await proxy.close();
  return rate;
}

/** The tally of one trial from what the receiver got: lost, duplicated, recovery. */
function tally(sent, got, t0) {
  const seen = new Map();
  for (const { n } of got) seen.set(n, (seen.get(n) ?? 0) + 1);
  let lost = 0;
  for (let n = 1; n <= sent.length; n++) if (!seen.has(n)) lost++;
  const dup = got.length - seen.size;
  const after = got.filter(({ n }) => sent[n - 1] >= t0).map(({ at }) => at - t0);
  return { lost, dup, recovered: after.length === 0 ? undefined : Math.min(...after) };
}

/** Runs one trial: `sys` sets up a sender/receiver pair on its host and reports its moves. */
async function trial(sys, i) {
  const pair = await sys.pair(i);
  const sent = []; // send time by number - 1
  const got = []; // { n, at }
  pair.onMessage((n) => got.push({ n, at: now() }));
  const send = () => {
    sent.push(now());
    pair.send(sent.length);
  };
  let timer;
  try {
    timer = setInterval(send, SEND_MS);
    await sleep(300 + Math.random() * 1000); // a random point of the heartbeat cycle
    const t0 = now();
    pair.fault();
    await waitFor(() => got.some(({ n }) => sent[n - 1] >= t0) && pair.moved() !== undefined, GUARD_MS, `${sys.name}: recovery`);
    await sleep(AFTER_MS);
    clearInterval(timer);
    await sleep(DRAIN_MS);
    const t = tally(sent, got, t0);
    return { ...t, migrated: pair.moved() - t0, split: pair.split() ? 1 : 0 };
  } finally {
    clearInterval(timer);
    await pair.close();
  }
}

// ---- gridlink --------------------------------------------------------------------------------

async function gridlinkSystem() {
  const cloud = await startLocalCloud({ nodes: 3 });
  return {
    name: 'gridlink (defaults)',
    async idle() {
      const session = `idle-${process.pid}`;
      const host = cloud.nodes.find((n) => n.id === cloud.hostOf(session).id);
      return idleRate(Number(new URL(host.url).port), async (port) => {
        const client = connect({ session, clientId: 'idle', nodes: [`ws://127.0.0.1:${port}`] });
        client.on('error', () => {});
        await client.ready;
        return () => client.close();
      });
    },
    async pair(i) {
      const session = `silent-peers-${i}-${process.pid}`;
      const host = cloud.hostOf(session).id;
      const common = { session, nodes: cloud.urls, retry: { maxElapsedMs: Infinity } };
      const sender = connect({ ...common, clientId: 'sender' });
      const receiver = connect({ ...common, clientId: 'receiver' });
      const moved = {};
      for (const [who, c] of [['s', sender], ['r', receiver]]) {
        c.on('error', () => {});
        c.on('migrated', () => (moved[who] = now()));
      }
      await Promise.all([sender.ready, receiver.ready]);
      if (sender.node.id !== host || receiver.node.id !== host) throw new Error('pair not on its host');
      return {
        onMessage: (fn) => receiver.on('message', (data) => fn(Number(data))),
        send: (n) => sender.send(String(n)),
        fault: () => cloud.blackhole(host),
        moved: () => (moved.s === undefined || moved.r === undefined ? undefined : Math.max(moved.s, moved.r)),
        split: () => sender.node?.id !== receiver.node?.id,
        close: async () => {
          await Promise.allSettled([sender.close(), receiver.close()]);
          cloud.heal(host);
          await sleep(2000); // peers see the healed node again
        },
      };
    },
    stop: () => cloud.stop(),
  };
}

// ---- mqtt.js + aedes --------------------------------------------------------------------------

async function broker() {
  const aedes = await Aedes.createBroker();
  const server = net.createServer(aedes.handle);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: server.address().port, close: () => new Promise((resolve) => aedes.close(() => server.close(resolve))) };
}

async function mqttSystem() {
  const [a, b] = [await broker(), await broker()];
  const tuned = { keepalive: 1, reschedulePings: false, reconnectPeriod: 100, connectTimeout: 1000, clean: true };
  const open = (port, id, servers) =>
    mqtt.connect({ ...tuned, clientId: id, host: '127.0.0.1', port, ...(servers ? { servers } : {}) });
  return {
    name: 'mqtt.js 5 (keepalive 1 s)',
    async idle() {
      return idleRate(a.port, async (port) => {
        const c = open(port, `idle-${process.pid}`);
        await new Promise((resolve) => c.once('connect', resolve));
        return () => c.endAsync(true);
      });
    },
    async pair(i) {
      const proxy = await startFaultProxy({ target: { port: a.port } });
      const servers = [{ host: '127.0.0.1', port: proxy.port }, { host: '127.0.0.1', port: b.port }];
      const topic = `t/${i}`;
      const sender = open(proxy.port, `s${i}`, servers);
      const receiver = open(proxy.port, `r${i}`, servers);
      let t0;
      const moved = {};
      for (const [who, c] of [['s', sender], ['r', receiver]]) {
        c.on('error', () => {});
        c.on('connect', () => {
          if (t0 !== undefined) moved[who] ??= now();
        });
      }
      await Promise.all([sender, receiver].map((c) => new Promise((resolve) => c.once('connect', resolve))));
      await receiver.subscribeAsync(topic, { qos: 1 });
      return {
        onMessage: (fn) => receiver.on('message', (_t, payload) => fn(Number(String(payload)))),
        send: (n) => sender.publish(topic, String(n), { qos: 1 }),
        fault: () => {
          t0 = now();
          proxy.blackhole();
        },
        moved: () => (moved.s === undefined || moved.r === undefined ? undefined : Math.max(moved.s, moved.r)),
        split: () => false, // both follow the same servers list
        close: async () => {
          await Promise.allSettled([sender.endAsync(true), receiver.endAsync(true)]);
          await proxy.close();
        },
      };
    },
    stop: async () => {
      await a.close();
      await b.close();
    },
  };
}

// ---- socket.io ---------------------------------------------------------------------------------

async function ioServer() {
  const server = http.createServer();
  const io = new IoServer(server, { pingInterval: 1000, pingTimeout: 1000 });
  io.on('connection', (socket) => socket.on('m', (n) => socket.broadcast.emit('m', n)));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: server.address().port, close: () => new Promise((resolve) => io.close(() => resolve())) };
}

async function socketIoSystem() {
  const [a, b] = [await ioServer(), await ioServer()];
  const tuned = { transports: ['websocket'], reconnectionDelay: 100, reconnectionDelayMax: 100, timeout: 1000 };
  return {
    name: 'socket.io-client 4 (ping 1 s)',
    async idle() {
      return idleRate(a.port, async (port) => {
        const s = ioClient(`http://127.0.0.1:${port}`, tuned);
        await new Promise((resolve) => s.once('connect', resolve));
        return () => s.close();
      });
    },
    async pair() {
      const proxy = await startFaultProxy({ target: { port: a.port } });
      const urlA = `http://127.0.0.1:${proxy.port}`;
      const sender = ioClient(urlA, { ...tuned, forceNew: true });
      const receiver = ioClient(urlA, { ...tuned, forceNew: true });
      let t0;
      const moved = {};
      for (const [who, s] of [['s', sender], ['r', receiver]]) {
        // As a user would fail over: the manager reconnects to the other server (emits buffered
        // while disconnected are flushed there).
        s.on('disconnect', () => (s.io.uri = `http://127.0.0.1:${b.port}`));
        s.on('connect', () => {
          if (t0 !== undefined) moved[who] ??= now();
        });
      }
      await Promise.all([sender, receiver].map((s) => new Promise((resolve) => s.once('connect', resolve))));
      return {
        onMessage: (fn) => receiver.on('m', (n) => fn(Number(n))),
        send: (n) => sender.emit('m', n),
        fault: () => {
          t0 = now();
          proxy.blackhole();
        },
        moved: () => (moved.s === undefined || moved.r === undefined ? undefined : Math.max(moved.s, moved.r)),
        split: () => false,
        close: async () => {
          sender.close();
          receiver.close();
          await proxy.close();
        },
      };
    },
    stop: async () => {
      await a.close();
      await b.close();
    },
  };
}

// ---- run ------------------------------------------------------------------------------------------

export async function run() {
  const rows = [];
  const notes = [];
  const figures = {};
  for (const make of [gridlinkSystem, mqttSystem, socketIoSystem]) {
    const sys = await make();
    const results = [];
    try {
      const idle = await sys.idle();
      for (let i = 0; i < TRIALS; i++) {
        try {
          const r = await trial(sys, i);
          results.push(r);
          log(`${sys.name} trial ${i + 1}/${TRIALS}: recovered ${r.recovered?.toFixed(0)} ms, moved ${r.migrated.toFixed(0)} ms, lost ${r.lost}, dup ${r.dup}, split ${r.split}`);
        } catch (error) {
          notes.push(`${sys.name} trial ${i + 1}: ${error.message}`);
          log(`${sys.name} trial ${i + 1} failed: ${error.message}`);
        }
      }
      const rec = summarize(results.map((r) => r.recovered).filter((v) => v !== undefined));
      const mig = summarize(results.map((r) => r.migrated));
      const sum = (k) => results.reduce((a, r) => a + r[k], 0);
      figures[sys.name] = { rec, mig, idle, lost: sum('lost'), dup: sum('dup'), split: sum('split'), n: results.length };
    } finally {
      await sys.stop();
    }
  }
  for (const [name, f] of Object.entries(figures)) {
    const mine = name.startsWith('gridlink');
    rows.push(
      row(`${name}: fault → first message sent after it delivered, p50 / p95 (${f.n} trials)`, `${ms(f.rec.p50)} / ${ms(f.rec.p95)}`, mine ? '≤ 1500 ms (bar ≤ 2000 ms)' : '', mine ? f.rec.p50 <= 1500 && f.rec.p95 <= 2000 : undefined),
      row(`${name}: fault → both clients moved, p50 / p95`, `${ms(f.mig.p50)} / ${ms(f.mig.p95)}`),
      row(`${name}: idle frames per second, client → server / server → client`, `${f.idle.up.toFixed(2)} / ${f.idle.down.toFixed(2)}`, mine ? '≤ 1 each way' : '', mine ? f.idle.up <= 1.05 && f.idle.down <= 1.05 : undefined),
      row(`${name}: lost / duplicated / split (all trials)`, `${f.lost} / ${f.dup} / ${f.split}`, mine ? '0 / 0 / 0' : '', mine ? f.lost + f.dup + f.split === 0 : undefined),
    );
  }
  return {
    title: `Silent host beside peers tuned to 1 s pings (black hole), ${TRIALS} trials each`,
    rows,
    how:
      `one run, three systems in turn. gridlink: local cloud of 3 node processes, default client settings, a fresh two-member session per trial on its host; ` +
      `mqtt.js ${'5'}: two aedes brokers in this process, clients with keepalive 1 s, reschedulePings false (so a busy publisher still pings), reconnectPeriod 100 ms and servers [A via the fault proxy, B], QoS 1; ` +
      `socket.io 4: two servers in this process with pingInterval/pingTimeout 1000 ms, websocket transport, reconnectionDelay 100 ms, the manager pointed at B on disconnect. ` +
      `Per trial the sender sends a numbered message every ${SEND_MS} ms; after a random 0.3–1.3 s the host's fault proxy (src/cloud/fault-proxy.ts) black-holes it (both ways, no FIN/RST); ` +
      `recovery = fault → the first message sent after the fault received; moved = fault → both clients joined elsewhere (gridlink 'migrated', mqtt/socket.io 'connect'); ` +
      `sending continues ${AFTER_MS} ms after recovery, then ${DRAIN_MS} ms to drain; lost/duplicated over every message sent in the trial. ` +
      `Idle frames: one idle client through a counting TCP proxy for ${IDLE_MS / 1000} s (data chunks each way; on an idle link one chunk is one frame).`,
    notes,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) main('silent-peers', run);
