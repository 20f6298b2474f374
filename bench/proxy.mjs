// Behind HAProxy: failover time through the proxy (SIGKILL of the backend hosting a two-member
// session -> first echo over another backend) with the seeds' configuration and the recommended
// one, and the round-trip cost the proxy adds to a message (echo RTT through HAProxy vs straight to
// a node, same run). Nodes are `dist/cli.js node` processes on fixed loopback ports; HAProxy runs
// examples/haproxy/{seed,haproxy}.cfg adapted only in addresses and ports (as the tests do, in
// test/helpers/haproxy.ts; repeated here because a benchmark runs without a TypeScript loader).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { echoPair } from './echo-pair.mjs';
import { QUICK, closeAll, freePorts, log, main, ms, now, row, sleep, summarize, waitFor, withTimeout } from './lib.mjs';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const TRIALS = QUICK ? 5 : 20;
const RTT_SAMPLES = QUICK ? 50 : 300;
const SETTLE_MS = 1200; // the restarted node is back in its peers' view (and HAProxy's checks) before the next trial

function adapt(name, http, servers) {
  const text = readFileSync(join(ROOT, 'examples/haproxy', name === 'seed' ? 'seed.cfg' : 'haproxy.cfg'), 'utf8');
  const out = [];
  for (const line of text.split('\n')) {
    if (/^\s*log\s+\/dev\/log/.test(line)) continue;
    if (/^\s*bind \*:80\b/.test(line)) out.push(`       bind 127.0.0.1:${http}`);
    else if (/^\s*bind \*:443\b/.test(line)) continue; // TLS is not what this benchmark measures
    else if (/^\s*server s1 /.test(line)) servers.forEach((port, i) => out.push(line.replace(/server s1 \S+ cookie S1/, `server s${i + 1} 127.0.0.1:${port} cookie S${i + 1}`)));
    else if (!/^\s*server s\d+ /.test(line)) out.push(line);
  }
  return out.join('\n');
}

function spawnLogged(command, args, env = {}) {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return { child, exited, output: () => output };
}

async function startCloud(config) {
  const dir = mkdtempSync(join(tmpdir(), 'gridlink-bench-haproxy-'));
  const ids = ['a', 'b', 'c'];
  const [http, ...ports] = await freePorts(1 + ids.length);
  const url = `ws://127.0.0.1:${http}`;
  const nodes = [];
  for (const [i, id] of ids.entries()) nodes.push({ id, port: ports[i], cookie: `SRVNAME=S${i + 1}`, proc: undefined });
  const running = (node) => node.proc.child.exitCode === null && node.proc.child.signalCode === null;
  const startNode = async (node) => {
    const args = [join(ROOT, 'dist/cli.js'), 'node', '--id', node.id, '--port', String(node.port), '--proxy-url', url, '--proxy-cookie', node.cookie, '--trusted-proxy', '127.0.0.1'];
    for (const peer of nodes) if (peer !== node) args.push('--peer', `${peer.id}=ws://127.0.0.1:${peer.port}`, '--peer-cookie', `${peer.id}=${peer.cookie}`);
    node.proc = spawnLogged(process.execPath, args, { GRIDLINK_SECRET: `bench-${process.pid}` });
    await waitFor(() => node.proc.output().includes('"event":"listening"') || !running(node), 20_000, `node ${node.id} listening`);
    if (!running(node)) throw new Error(`node ${node.id} exited: ${node.proc.output().slice(-500)}`);
  };
  await Promise.all(nodes.map(startNode));
  writeFileSync(join(dir, 'haproxy.cfg'), adapt(config, http, nodes.map((n) => n.port)));
  const haproxy = spawnLogged('haproxy', ['-f', join(dir, 'haproxy.cfg'), '-db']);
  await sleep(300);
  if (haproxy.child.exitCode !== null) throw new Error(`haproxy exited: ${haproxy.output()}`);
  const kill = async (node) => {
    node.proc.child.kill('SIGKILL');
    await node.proc.exited;
  };
  return {
    url,
    nodes,
    running: (id) => running(nodes.find((n) => n.id === id)),
    kill: (id) => kill(nodes.find((n) => n.id === id)),
    restart: (id) => startNode(nodes.find((n) => n.id === id)),
    stop: async () => {
      haproxy.child.kill('SIGKILL');
      await haproxy.exited;
      await Promise.all(nodes.map((n) => (running(n) ? kill(n) : undefined)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function failover(config) {
  const cloud = await startCloud(config);
  const echo = [];
  const failures = [];
  try {
    await sleep(SETTLE_MS);
    for (let trial = 0; trial < TRIALS; trial++) {
      const session = `proxy-${config}-${trial}-${process.pid}`;
      let pair;
      let timer;
      let victim;
      try {
        pair = await echoPair([cloud.url], session);
        victim = pair.prober.node.id;
        pair.victim = victim;
        let n = 0;
        pair.t0 = now();
        const killed = cloud.kill(victim);
        timer = setInterval(() => pair.prober.send(`p${++n}`), 1);
        await waitFor(() => pair.firstEcho !== undefined, 20_000, 'first echo after the kill', 1);
        await killed;
        echo.push(pair.firstEcho);
        log(`${config} trial ${trial + 1}/${TRIALS}: ${victim} -> ${pair.firstEchoNode}, first echo ${pair.firstEcho.toFixed(1)} ms`);
      } catch (error) {
        failures.push(`${config} trial ${trial + 1}: ${error.message}`);
        log(`${config} trial ${trial + 1}/${TRIALS} failed: ${error.message}`);
      } finally {
        clearInterval(timer);
        if (pair !== undefined) await closeAll([pair.echoer, pair.prober]);
        if (victim !== undefined && !cloud.running(victim)) await cloud.restart(victim);
        await sleep(SETTLE_MS);
      }
    }
  } finally {
    await cloud.stop();
  }
  return { echo: summarize(echo), failures };
}

/** Sequential echo round trips of one pair: send, wait for the echo, repeat. */
async function roundTrips(pair, samples) {
  const out = [];
  for (let i = 0; i < samples; i++) {
    const tag = `rtt${i}`;
    const started = now();
    await withTimeout(new Promise((resolve) => {
      const waiter = (data) => {
        if (data === `e:${tag}`) {
          pair.waiters.delete(waiter);
          resolve();
        }
      };
      pair.waiters.add(waiter);
      pair.prober.send(tag);
    }), 5000, 'echo');
    out.push(now() - started);
  }
  return summarize(out);
}

async function rtt() {
  const cloud = await startCloud('recommended');
  try {
    await sleep(SETTLE_MS);
    const viaProxy = await echoPair([cloud.url], `rtt-proxy-${process.pid}`);
    // Straight to the host by id (affinity): a redirect would name the proxy, as the nodes advertise it.
    const direct = await echoPair(cloud.nodes.map((n) => ({ id: n.id, url: `ws://127.0.0.1:${n.port}` })), `rtt-direct-${process.pid}`, { policy: 'affinity' });
    if (direct.prober.node.url === `${cloud.url}/`) throw new Error('the direct pair went through the proxy');
    try {
      await roundTrips(viaProxy, 20); // warm-up
      await roundTrips(direct, 20);
      // Interleaved halves, so a slow moment of the machine hits both sides alike.
      const half = Math.ceil(RTT_SAMPLES / 2);
      const p1 = await roundTrips(viaProxy, half);
      const d1 = await roundTrips(direct, half);
      const d2 = await roundTrips(direct, half);
      const p2 = await roundTrips(viaProxy, half);
      const avg = (a, b, k) => (a[k] + b[k]) / 2;
      return { proxy: { p50: avg(p1, p2, 'p50'), p95: avg(p1, p2, 'p95') }, direct: { p50: avg(d1, d2, 'p50'), p95: avg(d1, d2, 'p95') } };
    } finally {
      await closeAll([viaProxy.echoer, viaProxy.prober, direct.echoer, direct.prober]);
    }
  } finally {
    await cloud.stop();
  }
}

export async function run() {
  const seed = await failover('seed');
  const recommended = await failover('recommended');
  const r = await rtt();
  const line = (label, s) => row(`${label}: kill → first echo, p50 / p95 / max (n=${s.n})`, `${ms(s.p50)} / ${ms(s.p95)} / ${ms(s.max)}`);
  const failures = [...seed.failures, ...recommended.failures];
  return {
    title: `Behind HAProxy: failover through the proxy, ${TRIALS} trials per config, and the proxy's round-trip cost`,
    rows: [
      line('seed config', seed.echo),
      line('recommended config', recommended.echo),
      row('echo RTT through HAProxy, p50 / p95', `${ms(r.proxy.p50)} / ${ms(r.proxy.p95)}`),
      row('echo RTT direct to a node, p50 / p95', `${ms(r.direct.p50)} / ${ms(r.direct.p95)}`),
      row('added by the proxy (echo = 2 hops each way through it), p50', ms(r.proxy.p50 - r.direct.p50)),
      row('failed trials', `${failures.length} of ${2 * TRIALS}`, '0', failures.length === 0),
    ],
    how:
      `HAProxy ${'2.6'} with examples/haproxy/seed.cfg and haproxy.cfg adapted to loopback; 3 node processes (dist/cli.js node) with --proxy-url/--proxy-cookie; ` +
      'per trial a fresh two-member session (echoer, prober) joined through the proxy URL only; the clock starts at SIGKILL of the host backend, the prober sends a reliable probe every ~1 ms, ' +
      `and stops at the first echo received over another backend; the victim is restarted on its port and the cloud settles ${SETTLE_MS} ms between trials. ` +
      `RTT: ${RTT_SAMPLES} sequential echo round trips per side (prober → node → echoer → node → prober), through the proxy and straight to the nodes, interleaved.`,
    notes: failures,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) main('proxy', run);
