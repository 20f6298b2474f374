// Crowd, side by side in one run: N clients in N/2 two-member sessions, all on one server, every
// client sending a numbered message at a steady rate; that server is SIGKILLed. Per client: kill →
// joined again elsewhere (gridlink: `migrated`; peers: their room rejoined), and kill → the first
// message it sent after the kill arriving at its partner. Then every receiver's numbers are checked
// against 1..sent. gridlink (3 `gridlink node` CLI processes, default settings) and two peers (a
// hand-rolled `ws` reconnect loop, socket.io-client) run the same scenario in turn, round by round.
import { availableParallelism } from 'node:os';
import { rehomeCost } from './crowd-cost.mjs';
import { gridlink, gridlinkWith, minimalClient, socketIo, wsLoop } from './crowd-systems.mjs';
import { QUICK, int, loadMeter, log, main, median, ms, now, row, sleep, summarize, withTimeout } from './lib.mjs';

const SYSTEMS = [gridlink, wsLoop, socketIo];
// Diagnostic, first round only: the same gridlink cloud with the per-address join limit off (every
// client here comes from 127.0.0.1, so the default 200 joins/s per address applies to all of them).
const DIAGNOSTIC = gridlinkWith('gridlink-nolimit', 'diagnostic: gridlink, `--max-joins-per-second off`', ['--max-joins-per-second', 'off']);
const SCENARIOS = [
  { clients: 200, everyMs: 20, rounds: QUICK ? 1 : 3 },
  { clients: 1000, everyMs: 100, rounds: QUICK ? 1 : 2 },
];
// The CPU diagnostic (crowd-cost.mjs): idle crowds of this size, rounds per system. The minimal
// protocol client on gridlink's nodes splits gridlink's cost between its client and its nodes.
const COST_SYSTEMS = [gridlink, minimalClient, wsLoop];
const COST_CLIENTS = 200;
const COST_ROUNDS = QUICK ? 1 : 2;
const TICK_MS = 10; // one timer drives every send: each tick, one slot of the clients sends
const RAMP_BATCH = 100;
const WARM_MS = 1500; // sending before the kill
const AFTER_MIN_MS = 1000; // keep sending at least this long after the kill...
const AFTER_MAX_MS = 15_000; // ...and until everyone rejoined and delivered (hang guard)
const QUIET_MS = 1000; // after sending stops: done when nothing arrived this long...
const DELIVERY_GUARD_MS = 10_000; // ...or after this

export async function scenario(system, clients, everyMs, round) {
  const servers = await system.start(`crowd-${system.name}-${clients}-${round}-${process.pid}`);
  const recs = [];
  let ticker;
  let t0;
  let lastArrival = 0;
  try {
    const sessions = servers.sessions(clients / 2);
    for (let i = 0; i < clients; i++) {
      recs.push({ id: `c${i}`, session: sessions[i >> 1], sent: 0, killSent: 0, got: [], joinedAt: undefined, deliveredAt: undefined, downtime: undefined, errors: new Map() });
    }
    for (let i = 0; i < clients; i++) recs[i].partner = recs[i ^ 1];
    const rampStart = now();
    for (let i = 0; i < clients; i += RAMP_BATCH) {
      const batch = recs.slice(i, i + RAMP_BATCH);
      for (const rec of batch) {
        rec.client = servers.client(rec, {
          onMessage: (text) => {
            const n = Number(text);
            rec.got.push(n);
            lastArrival = now();
            if (t0 !== undefined && rec.deliveredAt === undefined && n > rec.partner.killSent) rec.deliveredAt = lastArrival - t0;
          },
          onJoined: (downtime) => {
            if (t0 !== undefined && rec.joinedAt === undefined) {
              rec.joinedAt = now() - t0;
              rec.downtime = downtime;
            }
          },
          onError: (code) => rec.errors.set(code, (rec.errors.get(code) ?? 0) + 1),
        });
      }
      await withTimeout(Promise.all(batch.map((r) => r.client.ready)), 60_000, `${system.name}: clients ${i}.. ready`);
    }
    const rampMs = now() - rampStart;
    const elsewhere = recs.filter((r) => r.client.where() !== servers.victim).length;
    if (elsewhere > 0) throw new Error(`${system.name}: ${elsewhere} clients not on the victim before the kill`);
    await sleep(500); // members hear of each other before numbering starts

    const slots = Math.max(1, Math.round(everyMs / TICK_MS));
    let tick = 0;
    ticker = setInterval(() => {
      const slot = tick++ % slots;
      for (let i = slot; i < recs.length; i += slots) {
        const rec = recs[i];
        rec.sent++;
        try {
          rec.client.send(String(rec.sent));
        } catch (error) {
          rec.errors.set(`send: ${error.code}`, (rec.errors.get(`send: ${error.code}`) ?? 0) + 1);
        }
      }
    }, TICK_MS);
    const warm = loadMeter();
    await sleep(WARM_MS);
    const loadBefore = warm();

    const meter = loadMeter();
    for (const rec of recs) rec.killSent = rec.sent;
    t0 = now();
    const killed = servers.kill();
    const done = () => recs.every((r) => r.joinedAt !== undefined && r.partner.deliveredAt !== undefined);
    while (now() < t0 + AFTER_MAX_MS && (now() < t0 + AFTER_MIN_MS || !done())) await sleep(20);
    const load = meter();
    clearInterval(ticker);
    ticker = undefined;
    const stoppedAt = now() - t0;
    await killed;

    const complete = () => recs.every((r) => new Set(r.got).size >= r.partner.sent);
    const start = now();
    while (!complete() && now() - start < DELIVERY_GUARD_MS && now() - Math.max(lastArrival, start) < QUIET_MS) await sleep(50);
    await sleep(200); // late duplicates

    let expected = 0;
    let lost = 0;
    let dup = 0;
    let reordered = 0;
    for (const r of recs) {
      const sent = r.partner.sent;
      expected += sent;
      const seen = new Uint8Array(sent + 1);
      let prev = 0;
      for (const n of r.got) {
        if (n <= prev) reordered++;
        prev = n;
        if (n >= 1 && n <= sent && seen[n] === 0) seen[n] = 1;
        else dup++;
      }
      for (let n = 1; n <= sent; n++) if (seen[n] === 0) lost++;
    }
    const split = new Set(recs.filter((r) => r.client.where() !== r.partner.client.where()).map((r) => r.session)).size;
    const result = {
      joined: summarize(recs.filter((r) => r.joinedAt !== undefined).map((r) => r.joinedAt)),
      delivered: summarize(recs.filter((r) => r.partner.deliveredAt !== undefined).map((r) => r.partner.deliveredAt)),
      downtime: summarize(recs.filter((r) => r.downtime !== undefined).map((r) => r.downtime)),
      notJoined: recs.filter((r) => r.joinedAt === undefined).length,
      notDelivered: recs.filter((r) => r.partner.deliveredAt === undefined).length,
      expected, lost, dup, reordered, split,
      errors: errorCounts(recs),
      load, loadBefore, rampMs, stoppedAt,
    };
    log(`${system.name} N=${clients} round ${round}: ramp ${Math.round(rampMs)} ms; joined p50/p95/p99 ${ms(result.joined.p50)}/${ms(result.joined.p95)}/${ms(result.joined.p99)} (${result.notJoined} never); ` +
      `delivered ${ms(result.delivered.p50)}/${ms(result.delivered.p95)}/${ms(result.delivered.p99)} (${result.notDelivered} never); ` +
      `lost ${lost}/${expected} dup ${dup} ooo ${reordered} split ${split}; errors ${JSON.stringify(result.errors)}; loop p99 ${ms(load.p99)}`);
    return result;
  } finally {
    clearInterval(ticker);
    await withTimeout(Promise.allSettled(recs.map((r) => r.client?.close())), 15_000, 'closing clients').catch(() => {});
    await servers.stop();
  }
}

function errorCounts(recs) {
  const out = {};
  for (const r of recs) for (const [code, count] of r.errors) out[code] = (out[code] ?? 0) + count;
  return out;
}

const triple = (values) => `${ms(median(values.map((s) => s.p50)))} / ${ms(median(values.map((s) => s.p95)))} / ${ms(median(values.map((s) => s.p99)))}`;
const sum = (list, key) => list.reduce((a, r) => a + r[key], 0);

export async function run() {
  const started = now();
  const results = new Map(); // `${system}/${clients}` -> round results
  const failures = [];
  for (const { clients, everyMs, rounds } of SCENARIOS) {
    for (let round = 1; round <= rounds; round++) {
      for (const system of round === 1 ? [...SYSTEMS, DIAGNOSTIC] : SYSTEMS) {
        const key = `${system.name}/${clients}`;
        if (!results.has(key)) results.set(key, []);
        try {
          results.get(key).push(await scenario(system, clients, everyMs, round));
        } catch (error) {
          failures.push(`${key} round ${round}: ${error.message}`);
          log(`${key} round ${round} failed: ${error.message}`);
        }
      }
    }
  }
  // The measured reason behind the times: CPU per re-homed client, idle crowds, both sides.
  const costs = new Map();
  for (let round = 1; round <= COST_ROUNDS; round++) {
    for (const system of COST_SYSTEMS) {
      try {
        costs.set(system, [...(costs.get(system) ?? []), await rehomeCost(system, COST_CLIENTS)]);
      } catch (error) {
        failures.push(`cost ${system.name} round ${round}: ${error.message}`);
      }
    }
  }
  const rows = [];
  const p = (key, pct, field) => median((results.get(key) ?? []).map((r) => r[field][pct]));
  for (const { clients } of SCENARIOS) {
    for (const system of [...SYSTEMS, DIAGNOSTIC]) {
      const list = results.get(`${system.name}/${clients}`) ?? [];
      if (list.length === 0) continue;
      const label = `N=${int(clients)}, ${system.label}`;
      rows.push(row(`${label}: kill → rejoined, p50 / p95 / p99`, triple(list.map((r) => r.joined))));
      rows.push(row(`${label}: kill → first post-kill message delivered, p50 / p95 / p99`, triple(list.map((r) => r.delivered))));
      const never = sum(list, 'notJoined') + sum(list, 'notDelivered');
      const lossText = `${int(sum(list, 'lost'))} of ${int(sum(list, 'expected'))} / ${int(sum(list, 'dup'))} / ${int(sum(list, 'reordered'))} / ${sum(list, 'split')}`;
      const clean = sum(list, 'lost') === 0 && sum(list, 'dup') === 0 && sum(list, 'split') === 0 && sum(list, 'reordered') === 0;
      rows.push(row(`${label}: lost / duplicated / out of order / sessions split${never ? ` (${never} never rejoined or delivered)` : ''}`, lossText, system === gridlink ? '0 / 0 / 0 / 0' : '', system === gridlink ? clean && never === 0 : undefined));
      rows.push(row(`${label}: bench process before / after the kill: event-loop delay p99, CPU`, `${ms(median(list.map((r) => r.loadBefore.p99)))}, ${median(list.map((r) => r.loadBefore.cpu)).toFixed(2)} cores / ${ms(median(list.map((r) => r.load.p99)))}, ${median(list.map((r) => r.load.cpu)).toFixed(2)} cores`));
    }
    const g = `gridlink/${clients}`;
    if (clients === 200 && results.get(g)?.length && results.get(`ws/${clients}`)?.length) {
      const ratio = p(g, 'p95', 'joined') / p(`ws/${clients}`, 'p95', 'joined');
      rows.push(row('N=200: gridlink p95 rejoined ÷ `ws` loop p95 rejoined (same run)', `${ratio.toFixed(2)}×`, '≤ 1.0× (bar ≤ 1.5×)', ratio <= 1));
      const dRatio = p(g, 'p95', 'delivered') / p(`ws/${clients}`, 'p95', 'delivered');
      rows.push(row('N=200: gridlink p95 first post-kill delivery ÷ `ws` loop p95 (same run)', `${dRatio.toFixed(2)}×`, '≤ 1.0× (bar ≤ 1.5×)', dRatio <= 1));
    }
    if (clients === 1000 && results.get(g)?.length) {
      rows.push(row('N=1,000: gridlink p99 rejoined', ms(p(g, 'p99', 'joined')), '≤ 500 ms', p(g, 'p99', 'joined') <= 500));
      rows.push(row('N=1,000: gridlink p99 first post-kill delivery', ms(p(g, 'p99', 'delivered')), '≤ 500 ms', p(g, 'p99', 'delivered') <= 500));
    }
  }
  const cost = (system, field) => median((costs.get(system) ?? []).map((c) => c[field]));
  for (const system of COST_SYSTEMS) {
    if (!costs.get(system)?.length) continue;
    rows.push(row(`N=${COST_CLIENTS} idle, ${system.label}: CPU per re-homed client, this process / the surviving servers (all rejoined in)`,
      `${cost(system, 'client').toFixed(2)} ms / ${cost(system, 'servers').toFixed(2)} ms (${ms(cost(system, 'rejoinedMs'))})`));
  }
  if (costs.get(gridlink)?.length && costs.get(wsLoop)?.length) {
    const ratio = (field) => `${(cost(gridlink, field) / cost(wsLoop, field)).toFixed(2)}×`;
    rows.push(row(`N=${COST_CLIENTS} idle: gridlink ÷ \`ws\` loop, CPU per re-homed client, this process / the servers`, `${ratio('client')} / ${ratio('servers')}`));
  }
  if (costs.get(minimalClient)?.length && costs.get(wsLoop)?.length) {
    rows.push(row(`N=${COST_CLIENTS} idle: all rejoined in, minimal client on gridlink's nodes ÷ \`ws\` loop (gridlink's node side alone)`, `${(cost(minimalClient, 'rejoinedMs') / cost(wsLoop, 'rejoinedMs')).toFixed(2)}×`));
  }
  const notes = [...failures];
  for (const [key, list] of results) {
    notes.push(`${key}: per round, clients connected in ${list.map((r) => `${Math.round(r.rampMs)} ms`).join(', ')}; sending stopped ${list.map((r) => `${Math.round(r.stoppedAt)} ms`).join(', ')} after the kill; client error events ${list.map((r) => JSON.stringify(r.errors)).join(', ')}` +
      (key.startsWith('gridlink') ? `; \`migrated.downtimeMs\` p50/p95/p99 ${triple(list.map((r) => r.downtime))}` : ''));
  }
  notes.push(`whole benchmark: ${Math.round((now() - started) / 1000)} s.`);
  return {
    title: 'Crowd, side by side in one run: N clients in N/2 two-member sessions on one server, SIGKILLed',
    rows,
    how:
      'per system and round, fresh servers: gridlink = 3 `gridlink node` processes from the CLI (default settings, each given the others as `--peer`, no fault proxy); ' +
      '`ws` = 3 processes of bench/peer-server.mjs relaying within a room, the client a hand-rolled loop (1 s ping; on close, the next server of the list at once, rejoin the room); ' +
      'socket.io = 3 socket.io 4.8 server processes (pingInterval/pingTimeout 1000 ms, rooms), socket.io-client 4.8 with transports [websocket], reconnectionDelay 100, reconnectionDelayMax 500, the next server per reconnection attempt. ' +
      `All N clients in this one process, ramped ${RAMP_BATCH} at a time; every session on the killed server (gridlink: session ids whose rendezvous owner is node a, checked with each client's \`node.id\`). ` +
      `Every client sends its next number every ${SCENARIOS.map((s) => `${s.everyMs} ms at N=${s.clients}`).join(', ')} (reliable for gridlink), ${WARM_MS} ms before the kill and until all rejoined and delivered (at least ${AFTER_MIN_MS} ms after). ` +
      'Rejoined = gridlink\'s `migrated` to another node / the peers\' room join acknowledged after reconnecting. First post-kill message delivered = the first number sent after the kill arriving at the partner (for the peers, messages sent while the link was down are lost or buffered, so it is the first to arrive). ' +
      `Figures are the median over rounds of each round's percentile (rounds: ${SCENARIOS.map((s) => `${s.rounds} at N=${s.clients}`).join(', ')}); counts are summed over rounds. Lost = numbers sent (send called) never received; the peers lose what is sent during the fault by design. ` +
      `CPU per re-homed client (bench/crowd-cost.mjs): ${COST_CLIENTS} idle clients (no traffic), ${COST_ROUNDS} rounds, median; this process's CPU and the surviving server processes' (from /proc, 10 ms ticks) from the kill until the last client rejoined, less the idle rate measured over the second before the kill, divided by N; beside gridlink and the \`ws\` loop, a minimal protocol client (bench/crowd-systems.mjs: on a lost link a hello with its resume token straight to the session's new host, redirects followed, pings answered, nothing else) on the same gridlink nodes, whose figures are gridlink's node side alone; the systems take turns, round by round; it runs after the crowd rounds, so this process's code is warm, while each system's servers are fresh processes (the survivors have run no join before the kill). ` +
      `Clients and servers share this machine's ${availableParallelism()} cores, so either side's CPU delays the other's.`,
    notes,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) main('crowd', run);
