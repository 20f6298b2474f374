// Pair: the user's moment of a failover. Two members of one session on 3 `gridlink node` CLI
// processes (default settings, no fault proxy); the sender sends a reliable number every 5 ms, the
// partner echoes each one back. SIGKILL of the session's host; we time, from the kill, the first
// number *sent after the kill* arriving at the partner (what the user feels), its echo back at the
// sender (the round trip, as failover-reset's first echo), and both members' `migrated`.
import { connect } from '../dist/node.js';
import { QUICK, cliCloud, log, main, ms, now, row, sleep, summarize, waitFor, withTimeout } from './lib.mjs';

const TRIALS = QUICK ? 10 : 50;
const SEND_EVERY_MS = 5;
const WARM_MS = 150;

function member(cloud, session, clientId, rec) {
  const client = connect({ session, nodes: cloud.urls, clientId, retry: { maxElapsedMs: Infinity } });
  client.on('error', () => {});
  client.on('state', (state) => {
    if (rec.t0 !== undefined && state === 'migrating' && rec[clientId].lost === undefined) rec[clientId].lost = now() - rec.t0;
  });
  client.on('migrated', ({ downtimeMs }) => {
    if (rec.t0 !== undefined && rec[clientId].migrated === undefined) {
      rec[clientId].migrated = now() - rec.t0;
      rec[clientId].downtime = downtimeMs;
    }
  });
  return client;
}

async function trial(cloud, index) {
  const session = `pair-${index}-${process.pid}`;
  const victim = cloud.hostOf(session).id;
  const rec = { t0: undefined, killSent: 0, sender: {}, partner: {}, got: [], delivered: undefined, echo: undefined };
  const sender = member(cloud, session, 'sender', rec);
  const partner = member(cloud, session, 'partner', rec);
  let timer;
  let killed;
  let sent = 0;
  try {
    partner.on('message', (data) => {
      const n = Number(data);
      rec.got.push(n);
      if (rec.t0 !== undefined && rec.delivered === undefined && n > rec.killSent) rec.delivered = now() - rec.t0;
      partner.send(`e${n}`);
    });
    sender.on('message', (data) => {
      const n = Number(data.slice(1));
      if (rec.t0 !== undefined && rec.echo === undefined && n > rec.killSent) rec.echo = now() - rec.t0;
    });
    await withTimeout(Promise.all([sender.ready, partner.ready]), 10_000, 'pair ready');
    if (sender.node.id !== victim || partner.node.id !== victim) throw new Error(`pair on ${sender.node.id}/${partner.node.id}, expected ${victim}`);
    await waitFor(() => partner.members.has('sender') && sender.members.has('partner'), 5000, 'members know each other');
    timer = setInterval(() => sender.send(String(++sent)), SEND_EVERY_MS);
    await sleep(WARM_MS);
    rec.killSent = sent;
    rec.t0 = now();
    killed = cloud.kill(victim);
    await waitFor(() => rec.delivered !== undefined && rec.echo !== undefined && rec.sender.migrated !== undefined && rec.partner.migrated !== undefined, 10_000, 'delivery after the kill', 1);
    clearInterval(timer);
    await waitFor(() => rec.got.length >= sent, 3000, 'the rest delivered').catch(() => {});
    await sleep(20);
    const seen = new Set(rec.got);
    let reordered = 0;
    for (let i = 1; i < rec.got.length; i++) if (rec.got[i] <= rec.got[i - 1]) reordered++;
    rec.lost = sent - [...seen].filter((n) => n >= 1 && n <= sent).length;
    rec.dup = rec.got.length - seen.size;
    rec.reordered = reordered;
    rec.to = sender.node.id;
    return rec;
  } finally {
    clearInterval(timer);
    await withTimeout(Promise.allSettled([sender.close(), partner.close()]), 5000, 'closing').catch(() => {});
    await killed;
    if (killed !== undefined) {
      await cloud.restart(victim);
      await cloud.formed();
    }
  }
}

export async function run() {
  const cloud = await cliCloud(['a', 'b', 'c']);
  const recs = [];
  const failures = [];
  try {
    await cloud.formed();
    for (let i = 0; i < TRIALS; i++) {
      try {
        const rec = await trial(cloud, i);
        recs.push(rec);
        log(`pair trial ${i + 1}/${TRIALS}: -> ${rec.to}: delivered ${ms(rec.delivered)}, echo ${ms(rec.echo)}, noticed ${ms(rec.sender.lost)}/${ms(rec.partner.lost)}, migrated sender ${ms(rec.sender.migrated)} (downtime ${rec.sender.downtime}) partner ${ms(rec.partner.migrated)} (downtime ${rec.partner.downtime})`);
      } catch (error) {
        failures.push(`trial ${i + 1}: ${error.message}`);
        log(`pair trial ${i + 1}/${TRIALS} failed: ${error.message}`);
      }
    }
  } finally {
    await cloud.stop();
  }
  const three = (values) => {
    const s = summarize(values.filter((v) => v !== undefined));
    return { s, text: `${ms(s.p50)} / ${ms(s.p95)} / ${ms(s.max)}` };
  };
  const delivered = three(recs.map((r) => r.delivered));
  const bothJoined = recs.map((r) => Math.max(r.sender.migrated, r.partner.migrated));
  const total = (key) => recs.reduce((a, r) => a + r[key], 0);
  return {
    title: `Pair: SIGKILL of the host → first message sent after it delivered, ${recs.length} trials`,
    rows: [
      row('kill → first post-kill message delivered to the partner, p50', ms(delivered.s.p50), '≤ 15 ms', delivered.s.p50 <= 15),
      row('kill → first post-kill message delivered to the partner, p95', ms(delivered.s.p95), '≤ 40 ms', delivered.s.p95 <= 40),
      row('kill → first post-kill message delivered to the partner, max', ms(delivered.s.max)),
      row('kill → its echo back at the sender (round trip), p50 / p95 / max', three(recs.map((r) => r.echo)).text),
      row('kill → link loss noticed (state `migrating`), sender / partner p50', `${ms(three(recs.map((r) => r.sender.lost)).s.p50)} / ${ms(three(recs.map((r) => r.partner.lost)).s.p50)}`),
      row('kill → sender `migrated`, p50 / p95 / max', three(recs.map((r) => r.sender.migrated)).text),
      row('kill → partner `migrated`, p50 / p95 / max', three(recs.map((r) => r.partner.migrated)).text),
      row('both `migrated` → first post-kill message delivered, p50 / p95 / max', three(recs.map((r, i) => r.delivered - bothJoined[i])).text),
      row('sender `migrated.downtimeMs` p50 / p95 / max', three(recs.map((r) => r.sender.downtime)).text),
      row('partner `migrated.downtimeMs` p50 / p95 / max', three(recs.map((r) => r.partner.downtime)).text),
      row('lost / duplicated / out of order (all trials)', `${total('lost')} / ${total('dup')} / ${total('reordered')}`, '0 / 0 / 0', total('lost') + total('dup') + total('reordered') === 0),
      row('failed trials', `${failures.length} of ${TRIALS}`, '0', failures.length === 0),
    ],
    how:
      '3 `gridlink node` processes from the CLI (default settings, each given the others as `--peer`, no fault proxy) on 127.0.0.1; per trial a fresh session with two members on its host, both in this process (one clock); ' +
      `the sender sends a reliable number every ${SEND_EVERY_MS} ms from ${WARM_MS} ms before the kill, the partner echoes each; the clock starts just before SIGKILL of the host; ` +
      '"first post-kill message delivered" = the first number sent after the kill arriving at the partner; the killed node is restarted and the cloud re-formed (every node places sessions as the others do) between trials. ' +
      'A negative "both migrated → delivered" means delivery resumed before the later member\'s `migrated` event.',
    notes: failures,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) main('pair', run);
