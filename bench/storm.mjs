// Storm: 1,000 clients in 100 sessions (10 members each), every session hosted on one node, each
// client sending a reliable numbered message every ~500 ms. The host is SIGKILLed; we time how
// long each client takes to be joined on a new node, then stop sending, let delivery finish, and
// check every receiver got every other member's numbers exactly once (and in order).
// A second, diagnostic run repeats the kill with the same clients idle (no traffic), to separate
// the cost of 1,000 reconnections from the cost of the traffic around them.
import { connect } from '../dist/node.js';
import { QUICK, closeAll, int, loadMeter, log, main, ms, now, rampConnect, remoteCloud, row, sleep, summarize, sessionsOn } from './lib.mjs';

const SESSIONS = QUICK ? 30 : 100;
const PER_SESSION = 10;
const CLIENTS = SESSIONS * PER_SESSION;
const SEND_EVERY_MS = 500;
const TICK_MS = 10; // one timer drives all sends: each tick, 1/50 of the clients send
const BEFORE_KILL_MS = 3000;
const AFTER_KILL_MIN_MS = 3000; // keep sending at least this long after the kill...
const AFTER_KILL_MAX_MS = 20_000; // ...and until every client is re-homed (hang guard)
const DELIVERY_GUARD_MS = 20_000;
const DELIVERY_QUIET_MS = 5000; // ...or until nothing arrived for this long with everyone connected
const GRACE_MS = 15_000; // the node's default memberGraceMs
const VICTIM = 'a';

async function storm(traffic) {
  // The cloud runs in its own process: this one holds only the 1,000 clients.
  const cloud = await remoteCloud(3);
  let clients = [];
  let ticker;
  try {
    const sessions = sessionsOn(cloud, VICTIM, SESSIONS, `storm-${traffic ? 't' : 'i'}-${process.pid}`);
    if (sessions.length < SESSIONS) throw new Error(`found only ${sessions.length} sessions hosted on ${VICTIM}`);
    const recs = [];
    let t0;
    let lastArrival = 0;
    const make = (i) => {
      const rec = {
        id: `c${i}`,
        session: sessions[Math.floor(i / PER_SESSION)],
        sent: 0,
        sendErrors: 0,
        got: new Map(), // sender id -> received numbers, in delivery order
        rehomedAt: undefined,
        errors: new Map(),
      };
      const client = connect({ session: rec.session, nodes: cloud.urls, clientId: rec.id, retry: { maxElapsedMs: Infinity } });
      rec.client = client;
      client.on('message', (data, { from }) => {
        lastArrival = now();
        const n = Number(data.slice(data.indexOf(':') + 1));
        let list = rec.got.get(from);
        if (list === undefined) rec.got.set(from, (list = []));
        list.push(n);
      });
      client.on('migrated', ({ to }) => {
        if (t0 !== undefined && rec.rehomedAt === undefined && to.id !== VICTIM) rec.rehomedAt = now() - t0;
      });
      client.on('error', (error) => rec.errors.set(error.code, (rec.errors.get(error.code) ?? 0) + 1));
      recs.push(rec);
      return client;
    };
    const rampStart = now();
    clients = await rampConnect(CLIENTS, 100, make, 60_000);
    log(`storm${traffic ? '' : ' (idle)'}: ${CLIENTS} clients connected in ${Math.round(now() - rampStart)} ms`);
    const notOnVictim = recs.filter((r) => r.client.node.id !== VICTIM).length;
    if (notOnVictim > 0) throw new Error(`${notOnVictim} clients are not on ${VICTIM} before the kill`);
    // Every member must have heard of the others before numbering starts (a member receives what
    // is sent after it joined).
    await sleep(500);

    let tick = 0;
    const slots = SEND_EVERY_MS / TICK_MS;
    if (traffic) {
      ticker = setInterval(() => {
        const slot = tick++ % slots;
        for (let i = slot; i < recs.length; i += slots) {
          const rec = recs[i];
          if (rec.client.state !== 'connected' && rec.client.state !== 'migrating') continue;
          try {
            rec.client.send(`${rec.id}:${rec.sent + 1}`);
            rec.sent++;
          } catch {
            rec.sendErrors++;
          }
        }
      }, TICK_MS);
    }
    const before = loadMeter();
    await sleep(BEFORE_KILL_MS);
    const loadBefore = before();

    const after = loadMeter();
    t0 = now();
    const killed = cloud.kill(VICTIM);
    const guard = t0 + AFTER_KILL_MAX_MS;
    while (now() < guard && (now() < t0 + AFTER_KILL_MIN_MS || recs.some((r) => r.rehomedAt === undefined))) await sleep(20);
    const loadAfter = after();
    const lastSend = now();
    clearInterval(ticker);
    ticker = undefined;
    await killed;
    const rehomed = recs.filter((r) => r.rehomedAt !== undefined);
    log(`storm${traffic ? '' : ' (idle)'}: ${rehomed.length}/${CLIENTS} re-homed; stopped ${Math.round(lastSend - t0)} ms after the kill`);

    // Delivery: every receiver must end with 1..sent of every other member of its session.
    const bySession = new Map();
    for (const rec of recs) {
      if (!bySession.has(rec.session)) bySession.set(rec.session, []);
      bySession.get(rec.session).push(rec);
    }
    const complete = () => recs.every((r) => bySession.get(r.session).every((s) => s === r || (r.got.get(s.id)?.length ?? 0) >= s.sent));
    const deliveryStart = now();
    for (;;) {
      if (complete() || now() - deliveryStart > DELIVERY_GUARD_MS) break;
      const quiet = now() - Math.max(lastArrival, deliveryStart) > DELIVERY_QUIET_MS;
      if (quiet && recs.every((r) => r.client.state === 'connected')) break;
      await sleep(100);
    }
    const delivered = complete();
    const deliveryMs = now() - deliveryStart;
    await sleep(500); // give late duplicates a moment to show up

    let expected = 0;
    let lost = 0;
    let lostLate = 0; // lost by receivers re-homed after the grace period (or never)
    let dup = 0;
    let reordered = 0;
    for (const r of recs) {
      for (const s of bySession.get(r.session)) {
        if (s === r) continue;
        expected += s.sent;
        const list = r.got.get(s.id) ?? [];
        const seen = new Uint32Array(s.sent + 2);
        let prev = 0;
        for (const n of list) {
          if (n <= prev) reordered++;
          prev = n;
          if (n >= 1 && n <= s.sent) seen[n]++;
          else dup++; // a number never sent counts as spurious
        }
        for (let n = 1; n <= s.sent; n++) {
          if (seen[n] === 0) {
            lost++;
            if (!(r.rehomedAt <= GRACE_MS)) lostLate++;
          } else if (seen[n] > 1) dup += seen[n] - 1;
        }
      }
    }
    const errorCounts = {};
    for (const r of recs) for (const [code, count] of r.errors) errorCounts[code] = (errorCounts[code] ?? 0) + count;
    const targets = {};
    for (const r of recs) targets[r.client.node?.id] = (targets[r.client.node?.id] ?? 0) + 1;
    return {
      rehome: summarize(rehomed.map((r) => r.rehomedAt)),
      rehomedCount: rehomed.length,
      lateCount: recs.filter((r) => !(r.rehomedAt <= GRACE_MS)).length,
      expected,
      lost,
      lostLate,
      dup,
      reordered,
      split: [...bySession.values()].filter((members) => new Set(members.map((r) => r.client.node?.id)).size > 1).length,
      notConnected: recs.filter((r) => r.client.state !== 'connected').length,
      delivered,
      deliveryMs,
      sent: recs.reduce((a, r) => a + r.sent, 0),
      sendErrors: recs.reduce((a, r) => a + r.sendErrors, 0),
      errorCounts,
      targets,
      loadBefore,
      loadAfter,
    };
  } finally {
    clearInterval(ticker);
    await closeAll(clients, 20_000);
    await cloud.stop();
  }
}

const load = (l) => `${l.cpu.toFixed(2)} cores, event-loop delay p99 ${ms(l.p99)}, max ${ms(l.max)}`;

export async function run() {
  const idle = await storm(false);
  const t = await storm(true);
  const all = (r) => (r.rehomedCount === CLIENTS ? r.rehome.max : Infinity);
  const within = (r) => (r.rehomedCount === CLIENTS ? ms(r.rehome.max) : `${r.rehomedCount} of ${CLIENTS} within ${AFTER_KILL_MAX_MS / 1000} s`);
  return {
    title: `Storm: ${int(CLIENTS)} clients in ${SESSIONS} sessions on one node, host SIGKILLed`,
    rows: [
      row('kill → client re-homed (`migrated`), p50 / p99', `${ms(t.rehome.p50)} / ${ms(t.rehome.p99)}`),
      row('all clients re-homed within', within(t), '≤ 2000 ms', all(t) <= 2000),
      row('reliable messages lost', `${int(t.lost)} of ${int(t.expected)} expected deliveries`, '0', t.lost === 0),
      row('… of which to members re-homed after the nodes\' 15 s member grace', `${int(t.lostLate)} (${t.lateCount} such members)`),
      row('reliable messages duplicated', int(t.dup), '0', t.dup === 0),
      row('delivered out of order', int(t.reordered), '0', t.reordered === 0),
      row('sessions split over nodes / clients not connected, at the end', `${t.split} / ${t.notConnected}`, '0 / 0', t.split === 0 && t.notConnected === 0),
      row('delivery complete after sending stopped', t.delivered ? ms(t.deliveryMs) : `no (gave up after ${ms(t.deliveryMs)})`),
      row('bench process load before / after the kill', `${load(t.loadBefore)} / ${load(t.loadAfter)}`),
      row('diagnostic: same storm with idle clients, re-homed p50 / p99', `${ms(idle.rehome.p50)} / ${ms(idle.rehome.p99)}`),
      row('diagnostic: idle clients, all re-homed within', within(idle), '≤ 2000 ms', all(idle) <= 2000),
      row('diagnostic: idle clients, bench process load after the kill', load(idle.loadAfter)),
    ],
    how:
      `local cloud of 3 node processes; ${int(CLIENTS)} clients in the benchmark process (the cloud and its fault proxies run in a process of their own), ramped 100 at a time, ${PER_SESSION} per session, all ${SESSIONS} sessions chosen so node ${VICTIM} hosts them; ` +
      `each client sends \`\${clientId}:\${n}\` reliably every ${SEND_EVERY_MS} ms; ${BEFORE_KILL_MS / 1000} s after sending starts node ${VICTIM} is SIGKILLed; ` +
      `re-homed = the client's \`migrated\` event to another node; sending stops once all are re-homed (at least ${AFTER_KILL_MIN_MS / 1000} s, at most ${AFTER_KILL_MAX_MS / 1000} s after the kill), ` +
      "then every receiver's numbers per sender are checked against 1..sent. The diagnostic run repeats it with no traffic.",
    notes: [
      `traffic run: ${int(t.sent)} messages sent; send() errors: ${t.sendErrors}; client error events: ${JSON.stringify(t.errorCounts)}; clients per node at the end: ${JSON.stringify(t.targets)}.`,
      `idle run: client error events: ${JSON.stringify(idle.errorCounts)}; clients per node at the end: ${JSON.stringify(idle.targets)}.`,
    ],
  };
}

if (import.meta.url === `file://${process.argv[1]}`) main('storm', run);
