// Joins per second one node accepts from fresh clients: a client is created, joins a session of its
// own and is closed once ready, CONCURRENCY at a time, for DURATION_MS or COUNT joins. Side by side:
// (a) gridlink clients given the session's host, (b) gridlink clients given the other node, so every
// join is redirected, (c) a bare `ws` server: open, one message, its answer (the same shape as a
// hello and its welcome), close. Nodes: 2 `gridlink node` CLI processes.
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { connect } from '../dist/node.js';
import { QUICK, cliCloud, int, log, main, ms, now, processCpuMs, row, sessionsOn, spawnServer, summarize, withTimeout } from './lib.mjs';

const CONCURRENCY = 50;
const COUNT = QUICK ? 500 : 2000;
const DURATION_MS = QUICK ? 2000 : 5000;
const WARMUP = 200; // joins before timing starts (JIT, the nodes' first sessions)

/**
 * Runs join() with CONCURRENCY workers until COUNT joins or DURATION_MS; returns rate, latencies and
 * the CPU time the server process (`pid`) spent per join: the node's own cost, whatever limits the
 * rate (with every client in this one process, the clients may be what limits it).
 */
async function measure(join, pid) {
  const latencies = [];
  let failed = 0;
  let next = 0;
  const firstError = [];
  const worker = async (limit, deadline) => {
    while (next < limit && now() < deadline) {
      const i = next++;
      const t = now();
      try {
        await withTimeout(join(i), 10_000, 'join');
        latencies.push(now() - t);
      } catch (error) {
        failed++;
        if (firstError.length === 0) firstError.push(error.code ?? error.message);
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, () => worker(WARMUP, Infinity)));
  latencies.length = 0;
  failed = 0;
  const start = now();
  const cpuBefore = await processCpuMs(pid);
  const ownBefore = process.cpuUsage();
  await Promise.all(Array.from({ length: CONCURRENCY }, () => worker(WARMUP + COUNT, start + DURATION_MS)));
  const elapsed = now() - start;
  const serverCpuMs = (await processCpuMs(pid)) - cpuBefore;
  const own = process.cpuUsage(ownBefore);
  const perJoinUs = (cpu) => (latencies.length === 0 ? NaN : (cpu * 1000) / latencies.length);
  return {
    rate: (latencies.length / elapsed) * 1000,
    count: latencies.length,
    failed,
    firstError: firstError[0],
    latency: summarize(latencies),
    elapsed,
    serverUs: perJoinUs(serverCpuMs),
    clientUs: perJoinUs((own.user + own.system) / 1000),
  };
}

function gridlinkJoin(sessions, urls) {
  return async (i) => {
    const client = connect({ session: sessions[i], nodes: urls, clientId: `j${i}` });
    client.on('error', () => {});
    try {
      await client.ready;
    } finally {
      await client.close();
    }
  };
}

function wsJoin(url) {
  return (i) => new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.on('open', () => ws.send(`jroom-${i}`));
    ws.on('message', () => {
      ws.close();
      resolve();
    });
    ws.on('error', reject);
  });
}

async function withCloud(args, body) {
  const cloud = await cliCloud(['a', 'b'], { args });
  try {
    await cloud.formed();
    const sessions = sessionsOn(cloud, 'a', WARMUP + COUNT, `joins-${process.pid}-${args.length}`);
    const [a, b] = cloud.nodes;
    return await body(sessions, a.url, b.url, cloud.pid('a'));
  } finally {
    await cloud.stop();
  }
}

export async function run() {
  const results = {};
  await withCloud(['--max-joins-per-second', 'off'], async (sessions, host, other, pid) => {
    results.direct = await measure(gridlinkJoin(sessions, [host]), pid);
    log(`joins (a) straight to the host: ${results.direct.rate.toFixed(0)}/s`);
    // The redirecting node's CPU is not counted here; the host's (a) is, as for (a).
    results.redirect = await measure(gridlinkJoin(sessions, [other]), pid);
    log(`joins (b) redirected: ${results.redirect.rate.toFixed(0)}/s`);
  });
  const server = await spawnServer(fileURLToPath(new URL('./peer-server.mjs', import.meta.url)), 15_000, ['ws']);
  try {
    results.ws = await measure(wsJoin(server.url), server.pid);
    log(`joins (c) bare ws: ${results.ws.rate.toFixed(0)}/s`);
  } finally {
    await server.stop();
  }
  await withCloud([], async (sessions, host, _other, pid) => {
    results.limited = await measure(gridlinkJoin(sessions, [host]), pid);
    log(`joins (a) with the default join limit: ${results.limited.rate.toFixed(0)}/s`);
  });
  const line = (r) => `${int(r.rate)}/s (p50 ${ms(r.latency.p50)}, p95 ${ms(r.latency.p95)}; ${int(r.count)} joins${r.failed ? `, ${r.failed} failed: ${r.firstError}` : ''})`;
  const cpu = (r) => `${int(r.serverUs)} µs / ${int(r.clientUs)} µs`;
  return {
    title: 'Joins per second one node accepts from fresh clients',
    rows: [
      row('(a) gridlink, straight to the session\'s host', line(results.direct)),
      row('(b) gridlink, to the other node, redirected to the host', line(results.redirect)),
      row('(c) bare `ws` server: open + one message + its answer', line(results.ws)),
      row('gridlink (a) ÷ bare `ws` (c)', `${(results.direct.rate / results.ws.rate).toFixed(2)}×`),
      row('gridlink (b) ÷ (a): the cost of a redirect', `${(results.redirect.rate / results.direct.rate).toFixed(2)}×`),
      row('CPU per join, server process / client process: (a) gridlink host', cpu(results.direct)),
      row('CPU per join, server process / client process: (b) gridlink host (redirected joins)', cpu(results.redirect)),
      row('CPU per join, server process / client process: (c) bare `ws`', cpu(results.ws)),
      row('diagnostic: (a) with the node\'s default join limit (200/s per address)', line(results.limited)),
    ],
    how:
      `2 \`gridlink node\` processes from the CLI (\`--max-joins-per-second off\`, since every client here is 127.0.0.1, except the diagnostic row, which keeps the default) and the clients in this process; ` +
      `${CONCURRENCY} joins at a time, each a fresh client (\`connect()\` with its own session, hosted on node a) awaited to \`ready\` and then closed; ${WARMUP} untimed joins first, then ${int(COUNT)} joins or ${DURATION_MS / 1000} s, whichever ends first. ` +
      'Latency = connect() to `ready` (for `ws`: constructor to the answer). joins/s counts completed joins over the timed window, closes included. ' +
      'CPU per join: the server process\'s user + system time over the timed window (from /proc) and this process\'s, divided by the joins; the server figure is what a join costs a node, since with every client in one process the clients are what limits the rate.',
    notes: [],
  };
}

if (import.meta.url === `file://${process.argv[1]}`) main('joins', run);
