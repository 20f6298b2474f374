// What one join costs a node, cold and warm, beside a bare `ws` server: the measured reason behind
// the crowd's figures. A crowd re-homing after a SIGKILL meets nodes that have run no join yet, so
// it pays the node's code before V8 has optimized it. Per round, one fresh server process — a
// `gridlink node` from the CLI (`--max-joins-per-second off`) or the `ws` echo server — pinned to
// CPU 0, and minimal protocol clients in this process pinned to CPU 1: each opens a WebSocket,
// sends one message (for gridlink a hello carrying a valid resume token for a session new to the
// node, as a member re-homing does; for `ws` a join message) and waits for the answer (the welcome),
// keeping the connection open. The server's CPU time, all threads, comes from
// /proc/<pid>/task/*/schedstat (nanoseconds) over its first JOINS joins, then over the next JOINS
// after WARM more, less what its open links cost idle over the same span. Rounds alternate between the servers; the figures are medians over rounds.
import { execFileSync, spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { QUICK, main, row, sleep, summarize, withTimeout } from './lib.mjs';

const ROUNDS = QUICK ? 3 : 7;
const JOINS = 200;
const WARM = 1000;
const CONCURRENCY = 50;
const IDLE_MS = 400;
const SECRET = 'bench-join-cost-secret-0123456789abcdef';
const here = (file) => fileURLToPath(new URL(file, import.meta.url));

/** A resume token as a node of a cloud with SECRET signs it (docs/protocol.md, "Resume tokens"). */
function resumeToken(session, client) {
  const expiry = (Date.now() + 3_600_000).toString(36);
  return `g1.${expiry}.${createHmac('sha256', SECRET).update(`g1\0${session}\0${client}\0${expiry}`).digest('base64url')}`;
}

/** CPU time (ms) of every thread of `pid` so far. */
function threadsCpuMs(pid) {
  let ns = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return ns / 1e6;
}

async function round(kind) {
  const args = kind === 'gridlink' ? [here('../dist/cli.js'), 'node', '--id', 'a', '--max-joins-per-second', 'off'] : [here('./peer-server.mjs'), 'ws'];
  const child = spawn('taskset', ['-c', '0', process.execPath, ...args], { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, GRIDLINK_SECRET: SECRET } });
  const sockets = [];
  try {
    const url = JSON.parse(await withTimeout(new Promise((resolve) => createInterface({ input: child.stdout }).once('line', resolve)), 15_000, `${kind} server listening`)).url;
    await sleep(300);
    const join = (i) =>
      withTimeout(
        new Promise((resolve, reject) => {
          const ws = kind === 'gridlink' ? new WebSocket(url, 'gridlink.v1', { perMessageDeflate: false }) : new WebSocket(url, { perMessageDeflate: false });
          sockets.push(ws);
          const session = `jc-${i}`;
          const client = `c${i}`;
          ws.on('open', () => ws.send(kind === 'gridlink' ? JSON.stringify({ t: 'hello', v: 1, session, client, resume: resumeToken(session, client), recv: {}, members: [] }) : `j${session}`));
          ws.once('message', (data) => (kind === 'gridlink' && !String(data).includes('"welcome"') ? reject(new Error(`no welcome: ${String(data).slice(0, 200)}`)) : resolve()));
          ws.on('error', reject);
        }),
        10_000,
        `${kind} join`,
      );
    const joins = async (from, count) => {
      let next = from;
      await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
        while (next < from + count) await join(next++);
      }));
      await sleep(100); // the server's last writes and timers
    };
    // Less what the open links cost meanwhile anyway (gridlink's heartbeats), at the rate measured
    // over an idle moment just before.
    const timed = async (from) => {
      const idleStart = threadsCpuMs(child.pid);
      const idleT0 = performance.now();
      await sleep(IDLE_MS);
      const idleRate = (threadsCpuMs(child.pid) - idleStart) / (performance.now() - idleT0);
      const before = threadsCpuMs(child.pid);
      const t0 = performance.now();
      await joins(from, JOINS);
      const spent = threadsCpuMs(child.pid) - before - idleRate * (performance.now() - t0);
      return (spent * 1000) / JOINS;
    };
    const cold = await timed(0);
    await joins(JOINS, WARM);
    const warm = await timed(JOINS + WARM);
    return { cold, warm };
  } finally {
    for (const ws of sockets) ws.terminate();
    child.kill('SIGKILL');
  }
}

export async function run() {
  execFileSync('taskset', ['-a', '-p', '-c', '1', String(process.pid)], { stdio: 'ignore' }); // every thread of this process, CPU 1
  const out = { gridlink: { cold: [], warm: [] }, ws: { cold: [], warm: [] } };
  for (let r = 0; r < ROUNDS; r++) {
    for (const kind of ['gridlink', 'ws']) {
      const { cold, warm } = await round(kind);
      out[kind].cold.push(cold);
      out[kind].warm.push(warm);
    }
  }
  const p50 = (values) => summarize(values).p50;
  const us = (value) => `${Math.round(value).toLocaleString('en-US')} µs`;
  const line = (label, key) =>
    row(`${label}: gridlink / bare \`ws\` (ratio), median of ${ROUNDS} rounds`, `${us(p50(out.gridlink[key]))} / ${us(p50(out.ws[key]))} (${(p50(out.gridlink[key]) / p50(out.ws[key])).toFixed(2)}×)`);
  return {
    title: `Server CPU per join, cold and warm, beside a bare \`ws\` server`,
    rows: [line(`a fresh process's first ${JOINS} joins`, 'cold'), line(`joins ${JOINS + WARM + 1}–${2 * JOINS + WARM} of the process`, 'warm')],
    how:
      `per round a fresh server process pinned to CPU 0 (\`gridlink node\` from the CLI with \`--max-joins-per-second off\` and a secret, or the \`ws\` echo server of the crowd benchmark), the clients in this process pinned to CPU 1, ${CONCURRENCY} joins at a time; ` +
      'a gridlink join is a hello with a valid resume token for a session new to the node (as a member re-homing after a failover) answered by its welcome, a `ws` join one message answered by one; connections stay open; ' +
      `CPU = the server's time on every thread (/proc/<pid>/task/*/schedstat) over ${JOINS} joins, first right after start, then after ${WARM} more, less the idle rate of the open links (measured over ${IDLE_MS} ms just before) for as long as the joins took; rounds alternate between the servers.`,
    notes: [`per round, cold µs: gridlink ${out.gridlink.cold.map(Math.round).join(', ')}; ws ${out.ws.cold.map(Math.round).join(', ')}`, `per round, warm µs: gridlink ${out.gridlink.warm.map(Math.round).join(', ')}; ws ${out.ws.warm.map(Math.round).join(', ')}`],
  };
}

if (import.meta.url === `file://${process.argv[1]}`) main('join-cost', run);
