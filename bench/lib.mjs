// Shared helpers for the benchmarks: statistics, formatting, timing guards, and the one-line
// result protocol between a benchmark child process and bench/run.mjs.
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';

export const QUICK = process.env.GRIDLINK_BENCH_QUICK === '1';
export const now = () => performance.now();
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Nearest-rank percentile of an array of numbers (p in 0..100). */
export function percentile(values, p) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export function summarize(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    n: sorted.length,
    min: sorted[0] ?? NaN,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? NaN,
    mean: sorted.length ? sum / sorted.length : NaN,
  };
}

export function ms(value) {
  if (value === undefined || value === null || Number.isNaN(value)) return '—';
  if (!Number.isFinite(value)) return '∞';
  return value >= 100 ? `${Math.round(value)} ms` : `${value.toFixed(1)} ms`;
}

export function int(value) {
  return Number.isFinite(value) ? Math.round(value).toLocaleString('en-US') : String(value);
}

/** One row of a result table: what, the figure, the goal, and whether it meets it (undefined = no goal). */
export function row(metric, value, goal = '', met = undefined) {
  return { metric, value, goal, met };
}

export function markdownTable(rows) {
  const lines = ['| metric | measured | goal | meets goal |', '|---|---:|---|:---:|'];
  for (const r of rows) {
    const mark = r.met === undefined ? '' : r.met ? '✅' : '❌';
    lines.push(`| ${r.metric} | ${r.value} | ${r.goal} | ${mark} |`);
  }
  return lines.join('\n');
}

export function textTable(rows) {
  const cells = [['metric', 'measured', 'goal', 'ok'], ...rows.map((r) => [r.metric, String(r.value), r.goal, r.met === undefined ? '' : r.met ? 'yes' : 'NO'])];
  const widths = cells[0].map((_, i) => Math.max(...cells.map((c) => c[i].length)));
  return cells.map((c) => c.map((cell, i) => cell.padEnd(widths[i])).join('  ')).join('\n');
}

/** Progress goes to stderr so stdout carries only the result line. */
export function log(...args) {
  process.stderr.write(`${args.join(' ')}\n`);
}

export const RESULT_PREFIX = '@@bench-result ';

/**
 * Runs a benchmark's main function as a standalone script: prints its result as one JSON line
 * (read by run.mjs) plus a readable table, and exits (so a stray handle cannot keep it alive).
 */
export async function main(name, run) {
  let result;
  try {
    result = await run();
  } catch (error) {
    result = { name, error: error?.stack ?? String(error) };
  }
  result.name ??= name;
  if (result.rows) log(`\n${result.title ?? name}\n${textTable(result.rows)}\n`);
  if (result.error) log(`\n${name} failed: ${result.error}\n`);
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`, () => process.exit(result.error ? 1 : 0));
}

/** Resolves when predicate() is true (polled), rejects after timeoutMs with a message. */
export async function waitFor(predicate, timeoutMs, what, everyMs = 5) {
  const deadline = now() + timeoutMs;
  while (!predicate()) {
    if (now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** Rejects if promise has not settled within timeoutMs. */
export function withTimeout(promise, timeoutMs, what) {
  let timer;
  const guard = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms: ${what}`)), timeoutMs);
  });
  return Promise.race([promise, guard]).finally(() => clearTimeout(timer));
}

/** connect(options) → `ready`, in ms (the client closed after); `connect` is the entry's, as a user imports it. */
export async function timeToReady(connect, options) {
  const started = now();
  const client = connect(options);
  try {
    await withTimeout(client.ready, 10_000, 'client ready');
    return now() - started;
  } finally {
    await closeAll([client]);
  }
}

/** Closes clients without letting one slow close hold the benchmark. */
export async function closeAll(clients, timeoutMs = 5000) {
  await withTimeout(Promise.allSettled(clients.map((c) => c.close())), timeoutMs, 'closing clients').catch(() => {});
}

/** Connects `count` clients via make(i), `batch` at a time, awaiting each batch's `ready`. */
export async function rampConnect(count, batch, make, timeoutMs = 30_000) {
  const clients = [];
  for (let i = 0; i < count; i += batch) {
    const group = [];
    for (let j = i; j < Math.min(count, i + batch); j++) group.push(make(j));
    clients.push(...group);
    await withTimeout(Promise.all(group.map((c) => c.ready)), timeoutMs, `clients ${i}..${i + group.length - 1} ready`);
  }
  return clients;
}

/** Session ids whose host (as the local cloud places them) is `nodeId`. */
export function sessionsOn(cloud, nodeId, count, prefix) {
  const ids = [];
  for (let i = 0; ids.length < count && i < count * 100; i++) {
    const id = `${prefix}-${i}`;
    if (cloud.hostOf(id)?.id === nodeId) ids.push(id);
  }
  return ids;
}

/** Spawns `node script ...args` (a server printing `{"url":…}` as its first line); stop() ends it, kill() SIGKILLs it. */
export async function spawnServer(script, timeoutMs = 15_000, args = []) {
  const { spawn } = await import('node:child_process');
  const { createInterface } = await import('node:readline');
  const child = spawn(process.execPath, [script, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const stop = async () => {
    child.stdin.end();
    const late = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(late);
  };
  try {
    const url = await withTimeout(
      new Promise((resolve, reject) => {
        const lines = createInterface({ input: child.stdout });
        lines.once('line', (line) => resolve(JSON.parse(line).url));
        child.once('exit', (code) => reject(new Error(`${script} exited (${code}) before listening`)));
      }),
      timeoutMs,
      `${script} listening`,
    );
    child.stdout.resume();
    // kill(): SIGKILL now (synchronously); resolves once the process has exited.
    const kill = () => {
      child.kill('SIGKILL');
      return exited;
    };
    return { url, pid: child.pid, stop, kill };
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    throw error;
  }
}

/**
 * A local cloud in a child process (bench/cloud-child.mjs): `{ nodes, urls, hostOf, kill, stop }`.
 * `hostOf` ranks over the nodes not killed, as the cloud's own placement does.
 */
export async function remoteCloud(nodes = 3, timeoutMs = 30_000) {
  const { fork } = await import('node:child_process');
  const { rendezvousOwner } = await import('../dist/server.js');
  const child = fork(new URL('./cloud-child.mjs', import.meta.url), { env: { ...process.env, NODES: String(nodes) }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ready = await withTimeout(new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`cloud child exited (${code})`)));
  }), timeoutMs, 'cloud child ready');
  const killed = new Set();
  let seq = 0;
  const call = (cmd, id) => withTimeout(new Promise((resolve, reject) => {
    const mine = ++seq;
    const onMessage = (msg) => {
      if (msg.seq !== mine) return;
      child.off('message', onMessage);
      if (msg.error) reject(new Error(msg.error));
      else resolve();
    };
    child.on('message', onMessage);
    child.send({ seq: mine, cmd, id });
  }), timeoutMs, `cloud ${cmd}`);
  return {
    nodes: ready.nodes,
    urls: ready.nodes.map((n) => n.url),
    hostOf: (session) => rendezvousOwner(session, ready.nodes.filter((n) => !killed.has(n.id)), (n) => n.id),
    kill: async (id) => {
      killed.add(id);
      await call('kill', id);
    },
    stop: async () => {
      await call('stop').catch(() => child.kill('SIGKILL'));
    },
  };
}

/** The median of a list (NaN for none). */
export const median = (values) => percentile(values, 50);

// Ports for servers that are told their port before they start (nodes naming their peers, HAProxy's
// config, dnsmasq), from below the kernel's ephemeral range (32768–60999 on Linux; the tests take
// 20000–32499, test/helpers/ports.ts). A port asked for with listen(0) and closed again is one the
// kernel may give next to an outgoing connection — and a benchmark opens thousands — before the
// server that was told it binds it: that server then fails to start, or a stranger answers for it.
const PORT_FIRST = 10_000;
const PORT_COUNT = 10_000;
let portCursor = process.pid % PORT_COUNT;

/** Whether `port` can be bound on 127.0.0.1 by TCP and UDP both; the TCP server is returned, held. */
async function holdPort(port) {
  const { createServer } = await import('node:net');
  const { createSocket } = await import('node:dgram');
  const udpFree = await new Promise((resolve) => {
    const socket = createSocket('udp4');
    socket.once('error', () => resolve(false));
    socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)));
  });
  if (!udpFree) return undefined;
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(undefined));
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

/** `count` distinct ports free on 127.0.0.1 for TCP and UDP right now (held together, then released). */
export async function freePorts(count) {
  const held = [];
  for (let tried = 0; held.length < count; tried++) {
    if (tried === PORT_COUNT) throw new Error(`no ${count} free ports in ${PORT_FIRST}–${PORT_FIRST + PORT_COUNT - 1}`);
    const server = await holdPort(PORT_FIRST + (portCursor++ % PORT_COUNT));
    if (server !== undefined) held.push(server);
  }
  const ports = held.map((server) => server.address().port);
  await Promise.all(held.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

/** Event-loop delay and CPU of this process from now until the returned function is called. */
export function loadMeter() {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const cpu = process.cpuUsage();
  const start = now();
  return () => {
    const used = process.cpuUsage(cpu);
    delay.disable();
    return { cpu: (used.user + used.system) / 1000 / (now() - start), p99: delay.percentile(99) / 1e6, max: delay.max / 1e6 };
  };
}

const CLI = new URL('../dist/cli.js', import.meta.url);

/** Spawns one `node dist/cli.js node --id … --port … --peer …` process; resolves once it listens. */
async function spawnCliNode(spec, peers, secret, extraArgs, timeoutMs) {
  const { spawn } = await import('node:child_process');
  const { createInterface } = await import('node:readline');
  const args = [CLI.pathname, 'node', '--id', spec.id, '--port', String(spec.port), ...extraArgs];
  for (const peer of peers) if (peer.id !== spec.id) args.push('--peer', `${peer.id}=${peer.url}`);
  // GRIDLINK_CONTROL=stdin only makes the node exit if this process dies (its stdin closes).
  // GRIDLINK_BENCH_NODE_FLAGS: node flags for the node processes, e.g. "--cpu-prof --cpu-prof-dir=/tmp/p".
  const flags = (process.env.GRIDLINK_BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...flags, ...args], { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, GRIDLINK_SECRET: secret, GRIDLINK_CONTROL: 'stdin' } });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    await withTimeout(new Promise((resolve, reject) => {
      createInterface({ input: child.stdout }).once('line', resolve);
      child.once('exit', (code) => reject(new Error(`node ${spec.id} exited (${code}) before listening`)));
    }), timeoutMs, `node ${spec.id} listening`);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  child.stdout.resume();
  return { child, exited };
}

/**
 * A cloud of `gridlink node` processes started from the CLI as a user would (no fault proxy), each
 * given the others as peers: `{ nodes, urls, hostOf, kill, restart, formed, stop }`. `kill` sends
 * SIGKILL synchronously and returns when the process is gone; `hostOf` ranks over the live nodes.
 */
export async function cliCloud(ids = ['a', 'b', 'c'], { args = [], timeoutMs = 15_000 } = {}) {
  const { randomBytes } = await import('node:crypto');
  const { rendezvousOwner } = await import('../dist/server.js');
  const ports = await freePorts(ids.length);
  const nodes = ids.map((id, i) => ({ id, port: ports[i], url: `ws://127.0.0.1:${ports[i]}` }));
  const secret = randomBytes(24).toString('hex');
  const procs = new Map();
  const start = async (node) => procs.set(node.id, await spawnCliNode(node, nodes, secret, args, timeoutMs));
  const live = () => nodes.filter((n) => procs.has(n.id));
  const cloud = {
    nodes,
    /** The cloud's secret (for keys derived from it, e.g. the publish key). */
    secret,
    urls: nodes.map((n) => n.url),
    hostOf: (session) => rendezvousOwner(session, live(), (n) => n.id),
    /** SIGKILLs the node now (the caller reads its clock just before); resolves once it has exited. */
    kill(id) {
      const proc = procs.get(id);
      procs.delete(id);
      proc.child.kill('SIGKILL');
      return proc.exited;
    },
    restart: (id) => start(nodes.find((n) => n.id === id)),
    /** The process id of a live node (for its CPU time: processCpuMs). */
    pid: (id) => procs.get(id)?.child.pid,
    /** Resolves once every live node places sessions where `hostOf` does (they see each other). */
    async formed(formTimeoutMs = 10_000) {
      const probes = live().map((owner) => ({ owner: owner.id, session: sessionsOn(cloud, owner.id, 1, `probe-${owner.id}-${Date.now()}`)[0] }));
      const agrees = async () => {
        for (const node of live()) {
          for (const { owner, session } of probes) {
            const res = await fetch(`http://127.0.0.1:${node.port}/host?session=${encodeURIComponent(session)}`).catch(() => undefined);
            if (res === undefined || !res.ok) return false;
            if ((await res.json()).host?.id !== owner) return false;
          }
        }
        return true;
      };
      const deadline = now() + formTimeoutMs;
      while (!(await agrees())) {
        if (now() > deadline) throw new Error(`cloud of ${live().length} nodes not formed within ${formTimeoutMs} ms`);
        await sleep(50);
      }
    },
    async stop() {
      await Promise.all([...procs.values()].map(async ({ child, exited }) => {
        child.stdin.end();
        const late = setTimeout(() => child.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(late);
      }));
      procs.clear();
    },
  };
  try {
    await Promise.all(nodes.map(start));
  } catch (error) {
    await cloud.stop();
    throw error;
  }
  return cloud;
}

let clockTicks;
/** CPU time (user + system, ms) another process has used so far, from /proc (Linux). */
export async function processCpuMs(pid) {
  const { readFileSync } = await import('node:fs');
  if (clockTicks === undefined) {
    const { execFileSync } = await import('node:child_process');
    clockTicks = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  }
  // Fields after the parenthesised command name; utime and stime are the 14th and 15th overall.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicks;
}
