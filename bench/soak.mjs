// The chaos soak: a local cloud of 5 nodes, 200 clients in 20 sessions sending reliable numbered
// messages, and faults from a seeded schedule (bench/soak-faults.mjs) for a while; then everything
// is repaired and the invariants are checked. Checked throughout: each receiver gets each sender's
// numbers exactly once and in order, and how long any session was split over two nodes. Checked at
// the end: every client connected again, nothing stuck, every message delivered, memory and
// handles back near where they started. Beside the broadcasts, each client sends numbered messages
// `to` the next member of its session (checked: only it gets them, exactly once, in order), asks it
// numbered requests (checked: each handler runs once, each request is answered once with the right
// reply) and writes the session's shared map (checked: every member holds the same map at the
// quiet point after repair).
//
//   node bench/soak.mjs                       # 60 s, prints the report, updates bench/RESULTS.md
//   GRIDLINK_SOAK_S=600 GRIDLINK_SOAK_SEED=42 npm run soak
//
// test/integration/soak.test.ts runs the same function and asserts the invariants.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { connect } from '../dist/node.js';
import { startLocalCloud } from '../dist/server.js';
import { FaultSchedule } from './soak-faults.mjs';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function rss(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

async function until(predicate, guardMs) {
  const deadline = Date.now() + guardMs;
  while (!predicate()) {
    if (Date.now() > deadline) return false;
    await sleep(20);
  }
  return true;
}

export async function runSoak({ seconds = 60, seed = Date.now() % 1e9, nodes = 5, sessions = 20, perSession = 10, sendEveryMs = 500, log = console.log } = {}) {
  log(`soak: seed ${seed}, ${seconds} s, ${nodes} nodes, ${sessions * perSession} clients in ${sessions} sessions`);
  // Handles are counted before the cloud exists and after it is gone: its fault proxies live in
  // this process, and their sockets (the nodes' peer links) come and go with the faults.
  const handlesBefore = process.getActiveResourcesInfo().length;
  const report = await soakWith(await startLocalCloud({ nodes }), { seconds, seed, sessions, perSession, sendEveryMs, log });
  await until(() => process.getActiveResourcesInfo().length - handlesBefore <= 5, 15_000);
  report.handleGrowth = process.getActiveResourcesInfo().length - handlesBefore;
  return report;
}

async function soakWith(cloud, { seconds, seed, sessions, perSession, sendEveryMs, log }) {
  const sessionIds = Array.from({ length: sessions }, (_, i) => `soak-${i}`);
  const members = [];
  const violations = [];
  const migrations = [];
  const errors = {};
  /** Request id -> handler runs; request promises, settled or not. */
  const handled = new Map();
  const requests = [];
  let sender;
  const gc = globalThis.gc;
  gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  try {
    for (const session of sessionIds) {
      for (let j = 0; j < perSession; j++) {
        const m = { name: `${session}-m${j}`, next: `${session}-m${(j + 1) % perSession}`, session, sent: 0, last: new Map(), received: 0, notConnectedSince: undefined, toSent: 0, toLast: 0, asked: 0 };
        m.client = connect({ session, clientId: m.name, nodes: cloud.urls, retry: { maxElapsedMs: Infinity } });
        m.client.onRequest((data, { from }) => {
          const id = `${from}:${String(data)}`;
          const runs = (handled.get(id) ?? 0) + 1;
          handled.set(id, runs);
          if (runs > 1) violations.push(`${m.name} handled request ${id} ${runs} times`);
          return `re:${String(data)}`;
        });
        m.client.on('message', (data, meta) => {
          const text = String(data);
          if (text.startsWith('to:')) {
            // `to:<target>:<n>`: only its target gets it, each n once and in order.
            const [, target, k] = text.split(':');
            const n = Number(k);
            if (target !== m.name) violations.push(`${m.name} got ${text} meant for ${target}`);
            else if (meta.from !== m.prev || n !== m.toLast + 1) violations.push(`${m.name} got ${text} from ${meta.from} after ${m.toLast}`);
            m.toLast = Math.max(m.toLast, n);
            return;
          }
          const n = Number(text.split(':')[1]);
          const last = m.last.get(meta.from) ?? 0;
          if (n !== last + 1) violations.push(`${m.name} got ${n} from ${meta.from} after ${last}`);
          m.last.set(meta.from, Math.max(last, n));
          m.received++;
        });
        m.client.on('migrated', (info) => migrations.push(info.downtimeMs));
        m.client.on('error', (error) => (errors[error.code] = (errors[error.code] ?? 0) + 1));
        members.push(m);
      }
      const ring = members.slice(-perSession);
      for (const m of ring) m.prev = ring.find((o) => o.next === m.name)?.name;
    }
    await Promise.all(members.map((m) => m.client.ready));
    log(`soak: ${members.length} clients joined`);

    // Sends are spread over the period so the cloud sees a steady stream, not bursts.
    let tick = 0;
    const ticksPerPeriod = Math.max(1, Math.round(sendEveryMs / 10));
    sender = setInterval(() => {
      tick++;
      for (let i = tick % ticksPerPeriod; i < members.length; i += ticksPerPeriod) {
        const m = members[i];
        if (m.client.state === 'connected' || m.client.state === 'migrating') {
          try {
            m.client.send(`${m.name}:${m.sent + 1}`);
            m.sent++;
            // Every few sends: a message to the next member, a request to it, a shared write.
            if (m.sent % 2 === 0) {
              m.client.send(`to:${m.next}:${m.toSent + 1}`, { to: m.next });
              m.toSent++;
            }
            if (m.sent % 4 === 1) {
              const q = `q${++m.asked}`;
              requests.push(m.client.request(q, { to: m.next, timeoutMs: (seconds + 90) * 1000 }).then(
                (reply) => (String(reply) === `re:${q}` ? 'ok' : `wrong reply ${String(reply)} to ${q}`),
                (error) => error.code,
              ));
            }
            if (m.sent % 4 === 3) {
              m.client.setShared('owner', m.name);
              m.client.setShared(m.name, m.sent);
            }
          } catch (error) {
            errors[`send:${error.code}`] = (errors[`send:${error.code}`] ?? 0) + 1;
          }
        }
      }
    }, 10);

    // One node per session, sampled: a session is split while its connected members disagree.
    const splitSince = new Map();
    let longestSplitMs = 0;
    const sampler = setInterval(() => {
      const now = performance.now();
      for (const session of sessionIds) {
        const on = new Set(members.filter((m) => m.session === session && m.client.state === 'connected').map((m) => m.client.node?.id));
        if (on.size > 1) {
          if (!splitSince.has(session)) splitSince.set(session, now);
          longestSplitMs = Math.max(longestSplitMs, now - splitSince.get(session));
        } else splitSince.delete(session);
      }
    }, 50);

    const faults = new FaultSchedule(cloud, { seed, sessions: sessionIds, log });
    const started = performance.now();
    const nodeRss = [];
    while (performance.now() - started < seconds * 1000) {
      const what = await faults.inflictOne();
      if (what !== undefined) log(`  [${((performance.now() - started) / 1000).toFixed(1)}s] ${what}`);
      for (const node of cloud.nodes) nodeRss.push(rss(cloud.node(node.id).pid));
      await sleep(faults.between(800, 2500));
    }

    log('soak: repairing everything');
    await faults.healAll();
    const healedAt = performance.now();
    const reconnected = await until(() => members.every((m) => m.client.state === 'connected'), 30_000);
    const reconnectMs = performance.now() - healedAt;
    const settled = await until(() => sessionIds.every((s) => new Set(members.filter((m) => m.session === s).map((m) => m.client.node?.id)).size === 1), 30_000);
    clearInterval(sender);
    sender = undefined;
    const delivered = await until(
      () => members.every((r) => members.every((s) => s === r || s.session !== r.session || (r.last.get(s.name) ?? 0) >= s.sent) && r.toLast >= (members.find((s) => s.name === r.prev)?.toSent ?? 0)),
      30_000,
    );
    clearInterval(sampler);
    // The quiet point: nothing in flight, every member of a session holds the same shared map.
    await Promise.allSettled(members.map((m) => m.client.flush()));
    const sharedOf = (m) => JSON.stringify([...m.client.shared].sort(([a], [b]) => (a < b ? -1 : 1)));
    const sameShared = (s) => new Set(members.filter((m) => m.session === s).map(sharedOf)).size === 1;
    await until(() => sessionIds.every(sameShared), 30_000);
    const sharedDiverged = sessionIds.filter((s) => !sameShared(s));
    let answered = 0;
    const unanswered = {};
    const settledRequests = await Promise.race([Promise.all(requests), sleep(30_000).then(() => undefined)]);
    for (const outcome of settledRequests ?? []) {
      if (outcome === 'ok') answered++;
      else unanswered[outcome] = (unanswered[outcome] ?? 0) + 1;
    }
    if (settledRequests === undefined) unanswered.pending = requests.length;
    const toSent = members.reduce((sum, m) => sum + m.toSent, 0);
    const toLost = members.reduce((sum, r) => sum + Math.max(0, (members.find((s) => s.name === r.prev)?.toSent ?? 0) - r.toLast), 0);

    let expected = 0;
    let lost = 0;
    for (const r of members) {
      for (const s of members) {
        if (s === r || s.session !== r.session) continue;
        expected += s.sent;
        lost += Math.max(0, s.sent - (r.last.get(s.name) ?? 0));
      }
    }
    const sent = members.reduce((sum, m) => sum + m.sent, 0);
    const received = members.reduce((sum, m) => sum + m.received, 0);
    // Stuck: not connected within the guard. Not an instant's look: a healed node owns sessions
    // again once its peers see it, and half a second later (rebalancing's debounce) their members
    // move there, make-before-break; a look at that moment sees them migrating, as it should.
    await until(() => members.every((m) => m.client.state === 'connected'), 30_000);
    const stuck = members.filter((m) => m.client.state !== 'connected').map((m) => `${m.name}:${m.client.state}`);
    await Promise.all(members.map((m) => m.client.close()));
    members.length = 0;
    await sleep(1000);
    gc?.();
    gc?.();
    const heapAfter = process.memoryUsage().heapUsed;
    const sorted = [...migrations].sort((a, b) => a - b);
    const pct = (p) => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]);
    return {
      seed,
      seconds,
      faults: faults.counts,
      migrations: migrations.length,
      downtime: { p50: pct(50), p95: pct(95), max: sorted.at(-1) ?? 0 },
      sent,
      expected,
      received,
      lost,
      toSent,
      toLost,
      requests: requests.length,
      answered,
      unanswered,
      handlerRuns: [...handled.values()].reduce((a, b) => a + b, 0),
      sharedDiverged,
      duplicatedOrReordered: violations.length,
      violations: violations.slice(0, 10),
      longestSplitMs,
      reconnected,
      reconnectMs,
      settled,
      delivered,
      stuck,
      errors,
      heapGrowthBytes: gc === undefined ? undefined : heapAfter - heapBefore,
      handleGrowth: 0, // measured by runSoak once the cloud is gone
      maxNodeRssBytes: Math.max(0, ...nodeRss),
    };
  } finally {
    if (sender !== undefined) clearInterval(sender);
    await Promise.allSettled(members.map((m) => m.client.close()));
    await cloud.stop();
  }
}

export function reportMarkdown(r) {
  const mb = (b) => `${(b / 1048576).toFixed(1)} MB`;
  const faults = Object.entries(r.faults).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(', ');
  return [
    `## Chaos soak (${r.seconds} s, seed ${r.seed})`,
    '',
    '| metric | measured | goal | meets goal |',
    '|---|---:|---|:---:|',
    `| faults injected | ${faults} |  |  |`,
    `| migrations; downtime p50 / p95 / max | ${r.migrations}; ${r.downtime.p50.toFixed(0)} / ${r.downtime.p95.toFixed(0)} / ${r.downtime.max.toFixed(0)} ms |  |  |`,
    `| messages sent / deliveries expected / delivered | ${r.sent} / ${r.expected} / ${r.received} |  |  |`,
    `| lost | ${r.lost} | 0 | ${r.lost === 0 ? '✅' : '❌'} |`,
    `| messages \`to\` one member sent / lost | ${r.toSent} / ${r.toLost} | 0 lost | ${r.toLost === 0 ? '✅' : '❌'} |`,
    `| requests / answered once / handler runs / not answered | ${r.requests} / ${r.answered} / ${r.handlerRuns} / ${JSON.stringify(r.unanswered)} | all, each handled once | ${r.answered === r.requests && r.handlerRuns === r.requests ? '✅' : '❌'} |`,
    `| sessions whose members' shared maps differ at the quiet point | ${r.sharedDiverged.length} | 0 | ${r.sharedDiverged.length === 0 ? '✅' : '❌'} |`,
    `| duplicated or out of order | ${r.duplicatedOrReordered} | 0 | ${r.duplicatedOrReordered === 0 ? '✅' : '❌'} |`,
    `| longest time a session was split over two nodes | ${r.longestSplitMs.toFixed(0)} ms | settles | ${r.settled ? '✅' : '❌'} |`,
    `| all clients connected again after repair | ${r.reconnected ? `yes, in ${r.reconnectMs.toFixed(0)} ms` : 'no'} | yes | ${r.reconnected ? '✅' : '❌'} |`,
    `| clients stuck | ${r.stuck.length} | 0 | ${r.stuck.length === 0 ? '✅' : '❌'} |`,
    `| heap growth in the client process (after closing) | ${r.heapGrowthBytes === undefined ? 'n/a (run with --expose-gc)' : mb(r.heapGrowthBytes)} |  |  |`,
    `| open handles in the process after closing clients and cloud, vs before | ${r.handleGrowth >= 0 ? '+' : ''}${r.handleGrowth} | ~0 | ${Math.abs(r.handleGrowth) <= 5 ? '✅' : '❌'} |`,
    `| largest node RSS seen | ${mb(r.maxNodeRssBytes)} | bounded |  |`,
    '',
    `How measured: \`npm run soak\` (bench/soak.mjs, faults from bench/soak-faults.mjs); local cloud of node processes behind fault proxies; each client sends \`name:n\` reliably every 500 ms, every 2nd time a numbered message \`to\` the next member of its session, every 4th a request to it and a shared write; a receiver checks every arrival is exactly the next number from that sender (and a \`to\` message is its own); splits sampled every 50 ms; after the fault period everything is repaired and the run waits for reconnection and delivery. Client error events: ${JSON.stringify(r.errors)}.`,
    '',
  ].join('\n');
}

/** Replaces (or appends) the soak section of bench/RESULTS.md. */
function writeResults(markdown) {
  const file = fileURLToPath(new URL('./RESULTS.md', import.meta.url));
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    text = '# gridlink benchmarks\n\n';
  }
  const start = text.indexOf('## Chaos soak');
  if (start >= 0) {
    const next = text.indexOf('\n## ', start + 1);
    text = text.slice(0, start) + (next >= 0 ? text.slice(next + 1) : '');
  }
  writeFileSync(file, `${text.trimEnd()}\n\n${markdown}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const seconds = Number(process.env.GRIDLINK_SOAK_S ?? 60);
  const seed = process.env.GRIDLINK_SOAK_SEED === undefined ? undefined : Number(process.env.GRIDLINK_SOAK_SEED);
  const report = await runSoak({ seconds, ...(seed === undefined ? {} : { seed }) });
  const markdown = reportMarkdown(report);
  console.log(`\n${markdown}`);
  writeResults(markdown);
  const ok = report.lost === 0 && report.toLost === 0 && report.answered === report.requests && report.sharedDiverged.length === 0 && report.duplicatedOrReordered === 0 && report.reconnected && report.settled && report.stuck.length === 0;
  process.exit(ok ? 0 : 1);
}
