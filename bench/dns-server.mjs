// DNS server throughput: UDP queries per second against gridlink's DNS server and, in the same run,
// against dnsmasq (Debian) serving a comparable static zone of 3 nodes (SRV + glue). Each server
// runs in its own process on 127.0.0.1; one load generator socket keeps IN_FLIGHT queries
// outstanding (`_gridlink._tcp.cloud.test SRV`), replacing each answer with a new query. Rounds
// alternate between the servers so drift on this shared machine hits both alike.
//
//   node bench/dns-server.mjs            # standalone
//   node bench/dns-server.mjs --serve    # (internal) the gridlink DNS server child
import { spawn, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { fileURLToPath } from 'node:url';
import * as dnsPacket from 'dns-packet';
import { QUICK, freePorts, int, log, main, ms, now, row, sleep, spawnServer, summarize, withTimeout } from './lib.mjs';

const ZONE = 'cloud.test';
const NODES = [
  { id: 'a', address: '10.0.0.1', port: 7001 },
  { id: 'b', address: '10.0.0.2', port: 7002 },
  { id: 'c', address: '10.0.0.3', port: 7003 },
];
const IN_FLIGHT = 64;
const ROUND_MS = QUICK ? 1500 : 5000;
const ROUNDS = QUICK ? 1 : 2;
const WARMUP_MS = 500;
const LOST_AFTER_MS = 500;

/** The gridlink side: a DNS server over a static view of the same 3 nodes, in its own process. */
async function serve() {
  const { startDnsServer } = await import('../dist/server.js');
  const nodes = NODES.map((n) => ({ ...n, load: { links: 0, sessions: 0 }, healthy: true }));
  const server = await startDnsServer({ zone: ZONE, view: { snapshot: () => ({ nodes, self: 'a' }) } });
  process.stdout.write(`${JSON.stringify({ url: server.address })}\n`);
  process.stdin.resume();
  process.stdin.on('end', () => void server.close().then(() => process.exit(0)));
}

/** This file with --serve, as a child; resolves with its DNS address once it listens. */
function startGridlink() {
  return spawnServer(fileURLToPath(import.meta.url), 15_000, ['--serve']);
}

async function startDnsmasq() {
  if (spawnSync('sh', ['-c', 'command -v dnsmasq'], { stdio: 'ignore' }).status !== 0) return undefined;
  const [port] = await freePorts(1); // dnsmasq binds it for UDP and TCP
  const args = ['--no-daemon', '--no-resolv', '--no-hosts', '--conf-file=/dev/null', '--pid-file=', '--port', String(port),
    '--listen-address', '127.0.0.1', '--bind-interfaces', '--local-ttl=5', `--local=/${ZONE}/`];
  for (const n of NODES) {
    args.push(`--srv-host=_gridlink._tcp.${ZONE},${n.id}.${ZONE},${n.port},0,1000`, `--host-record=${n.id}.${ZONE},${n.address}`);
  }
  const child = spawn('dnsmasq', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const stop = async () => {
    child.kill('SIGTERM');
    const late = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(late);
  };
  const address = `127.0.0.1:${port}`;
  try {
    await withTimeout(Promise.race([probe(address), exited.then((code) => Promise.reject(new Error(`dnsmasq exited (${code}): ${stderr.trim()}`)))]), 10_000, `dnsmasq answering`);
  } catch (error) {
    await stop();
    throw error;
  }
  return { address, stop };
}

const queryFor = (name) => dnsPacket.encode({ type: 'query', id: 0, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: 'SRV', name }] });
const queryBytes = queryFor(`_gridlink._tcp.${ZONE}`);
/** Resolvers that randomize the case of names (0x20) send a new question each time: cache misses. */
const MIXED_CASE = Array.from({ length: 8192 }, () =>
  queryFor([...`_gridlink._tcp.${ZONE}`].map((ch) => (Math.random() < 0.5 ? ch.toUpperCase() : ch)).join('')),
);

/** Resolves with the first answer's SRV count once the server answers at all. */
async function probe(address) {
  const [host, port] = address.split(':');
  const socket = createSocket('udp4');
  try {
    for (;;) {
      const answer = await new Promise((resolve) => {
        const onMessage = (message) => {
          clearTimeout(timer);
          resolve(dnsPacket.decode(message));
        };
        // An unanswered try takes its listener with it (no pile of them while a server starts).
        const timer = setTimeout(() => {
          socket.off('message', onMessage);
          resolve(undefined);
        }, 200);
        socket.once('message', onMessage);
        socket.send(queryBytes, Number(port), host);
      });
      if (answer !== undefined) return answer.answers.filter((a) => a.type === 'SRV').length;
      await sleep(50);
    }
  } finally {
    socket.close();
  }
}

/** Keeps IN_FLIGHT queries outstanding for durationMs; returns answers/s, loss and a latency sample. */
async function load(address, durationMs, variants = [queryBytes]) {
  const [host, portText] = address.split(':');
  const port = Number(portText);
  const socket = createSocket('udp4');
  socket.on('error', () => {});
  await new Promise((resolve) => socket.bind(0, '127.0.0.1', resolve));
  try {
    socket.setRecvBufferSize(1 << 20);
  } catch {}
  const sentAt = new Map();
  const latencies = [];
  let nextId = 1;
  let answered = 0;
  let lost = 0;
  let running = true;
  const send = () => {
    const id = nextId;
    nextId = nextId === 65_535 ? 1 : nextId + 1;
    const bytes = Buffer.from(variants[id % variants.length]);
    bytes.writeUInt16BE(id, 0);
    sentAt.set(id, now());
    socket.send(bytes, port, host);
  };
  socket.on('message', (message) => {
    const id = message.readUInt16BE(0);
    const t = sentAt.get(id);
    if (t === undefined) return;
    sentAt.delete(id);
    answered++;
    if ((answered & 63) === 0) latencies.push(now() - t);
    if (running) send();
  });
  // A datagram lost in a full socket buffer would shrink the window for good: refill its slot.
  const sweep = setInterval(() => {
    const cutoff = now() - LOST_AFTER_MS;
    for (const [id, t] of sentAt) {
      if (t >= cutoff) continue;
      sentAt.delete(id);
      lost++;
      if (running) send();
    }
  }, 100);
  for (let i = 0; i < IN_FLIGHT; i++) send();
  await sleep(WARMUP_MS);
  const start = now();
  const base = answered;
  const baseLost = lost;
  await sleep(durationMs);
  const elapsed = now() - start;
  const count = answered - base;
  running = false;
  clearInterval(sweep);
  socket.close();
  return { qps: (count * 1000) / elapsed, lost: lost - baseLost, latencies };
}

export async function run() {
  const gridlink = await startGridlink();
  let dnsmasq;
  const notes = [];
  try {
    dnsmasq = await startDnsmasq();
    if (dnsmasq === undefined) notes.push('dnsmasq is not installed (scripts/system-deps.sh): gridlink measured alone');
    const srvCounts = { gridlink: await probe(gridlink.url), dnsmasq: dnsmasq === undefined ? undefined : await probe(dnsmasq.address) };
    log(`SRV records per answer: gridlink ${srvCounts.gridlink}, dnsmasq ${srvCounts.dnsmasq ?? '—'}`);
    const results = { gridlink: [], dnsmasq: [] };
    for (let round = 0; round < ROUNDS; round++) {
      results.gridlink.push(await load(gridlink.url, ROUND_MS));
      log(`round ${round + 1}: gridlink ${int(results.gridlink.at(-1).qps)} q/s`);
      results.mixed ??= [];
      results.mixed.push(await load(gridlink.url, ROUND_MS, MIXED_CASE));
      log(`round ${round + 1}: gridlink, 0x20 names ${int(results.mixed.at(-1).qps)} q/s`);
      if (dnsmasq !== undefined) {
        results.dnsmasq.push(await load(dnsmasq.address, ROUND_MS));
        log(`round ${round + 1}: dnsmasq  ${int(results.dnsmasq.at(-1).qps)} q/s`);
      }
    }
    const mean = (rs) => rs.reduce((sum, r) => sum + r.qps, 0) / rs.length;
    const lat = (rs) => summarize(rs.flatMap((r) => r.latencies));
    const lostOf = (rs) => rs.reduce((sum, r) => sum + r.lost, 0);
    const g = mean(results.gridlink);
    const gl = lat(results.gridlink);
    const rows = [
      row('gridlink DNS, UDP queries/s (SRV, 3 nodes + glue)', int(g)),
      row('gridlink DNS latency p50 / p99 (64 in flight)', `${ms(gl.p50)} / ${ms(gl.p99)}`),
      row('gridlink DNS, UDP queries/s with 0x20 mixed-case names (answer cache misses)', int(mean(results.mixed))),
    ];
    if (dnsmasq !== undefined) {
      const d = mean(results.dnsmasq);
      const dl = lat(results.dnsmasq);
      rows.push(
        row('dnsmasq, UDP queries/s (same zone)', int(d)),
        row('dnsmasq latency p50 / p99 (64 in flight)', `${ms(dl.p50)} / ${ms(dl.p99)}`),
        row('gridlink / dnsmasq', `${(g / d).toFixed(2)}×`, '≥ 0.5×', g / d >= 0.5),
      );
    }
    rows.push(row('queries lost (no answer within 500 ms) gridlink / dnsmasq', `${lostOf(results.gridlink)} / ${dnsmasq === undefined ? '—' : lostOf(results.dnsmasq)}`));
    return {
      title: `DNS server throughput (UDP, loopback), ${ROUNDS} × ${ROUND_MS / 1000} s per server`,
      rows,
      how:
        `each server in its own process on 127.0.0.1: gridlink's startDnsServer over a static view of 3 nodes, and dnsmasq (--srv-host/--host-record for the same 3 nodes, TTL 5); ` +
        `one load-generator socket in this process keeps ${IN_FLIGHT} SRV queries for _gridlink._tcp.${ZONE} in flight, each answer replaced by a new query; ` +
        `${WARMUP_MS} ms warm-up, then ${ROUND_MS} ms measured, rounds alternating between the servers; the figure is the mean. ` +
        'Both answers carry 3 SRV records and their A glue. gridlink keeps each encoded answer for the rest of the second (key: query bytes, asker, cloud snapshot), so a repeated question is a cache hit; ' +
        'the 0x20 row sends 8192 case variants of the name (as case-randomizing resolvers do), so nearly every query is decoded, ranked and encoded afresh. ' +
        'The single JS load generator may itself cap the figure for the faster server.',
      notes,
    };
  } finally {
    await dnsmasq?.stop();
    await gridlink.stop();
  }
}

if (process.argv[2] === '--serve') await serve();
else if (import.meta.url === `file://${process.argv[1]}`) main('dns-server', run);
