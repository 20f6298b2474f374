// Reset failover: SIGKILL the node hosting a two-member session and time, from the kill, the first
// echo that comes back over another node. The prober sends a reliable probe every ~1 ms from the
// moment of the kill; the echoer sends each one back.
import { startLocalCloud } from '../dist/server.js';
import { echoPair, firstEvent } from './echo-pair.mjs';
import { QUICK, closeAll, log, main, ms, now, row, sleep, summarize, waitFor } from './lib.mjs';

const TRIALS = QUICK ? 10 : 50;
const SETTLE_MS = 600;

export async function run() {
  const cloud = await startLocalCloud({ nodes: 3 });
  const echo = [];
  const prober = { migrating: [], connected: [], downtime: [] };
  const echoer = { connected: [], downtime: [] };
  const failures = [];
  try {
    for (let trial = 0; trial < TRIALS; trial++) {
      const session = `reset-${trial}-${process.pid}`;
      const victim = cloud.hostOf(session).id;
      const pair = await echoPair(cloud.urls, session);
      let timer;
      let killed;
      try {
        if (pair.prober.node.id !== victim) throw new Error(`pair on ${pair.prober.node.id}, expected host ${victim}`);
        pair.victim = victim;
        let n = 0;
        pair.t0 = now();
        killed = cloud.kill(victim);
        timer = setInterval(() => pair.prober.send(`p${++n}`), 1);
        await waitFor(() => pair.firstEcho !== undefined, 10_000, 'first echo after the kill', 1);
        echo.push(pair.firstEcho);
        prober.migrating.push(firstEvent(pair, 'prober', 'migrating'));
        prober.connected.push(firstEvent(pair, 'prober', 'connected'));
        echoer.connected.push(firstEvent(pair, 'echoer', 'connected'));
        if (pair.downtime.prober !== undefined) prober.downtime.push(pair.downtime.prober);
        if (pair.downtime.echoer !== undefined) echoer.downtime.push(pair.downtime.echoer);
        log(`reset trial ${trial + 1}/${TRIALS}: ${victim} -> ${pair.firstEchoNode}, first echo ${pair.firstEcho.toFixed(1)} ms`);
      } catch (error) {
        failures.push(`trial ${trial + 1}: ${error.message}`);
        log(`reset trial ${trial + 1}/${TRIALS} failed: ${error.message}`);
      } finally {
        clearInterval(timer);
        await closeAll([pair.echoer, pair.prober]);
        // A trial that failed before the kill has nothing to restart.
        if (killed !== undefined) {
          await killed;
          await cloud.restart(victim);
        }
        await sleep(SETTLE_MS); // peers see the node again before the next session is placed
      }
    }
  } finally {
    await cloud.stop();
  }
  const s = summarize(echo);
  const pd = summarize(prober.downtime);
  const ed = summarize(echoer.downtime);
  const stat = (values) => summarize(values.filter((v) => v !== undefined)).p50;
  return {
    title: `Reset failover (SIGKILL of the host), ${s.n} trials`,
    rows: [
      row('kill → first echo on new node, p50', ms(s.p50), '≤ 30 ms', s.p50 <= 30),
      row('kill → first echo on new node, p95', ms(s.p95), '≤ 100 ms', s.p95 <= 100),
      row('kill → first echo on new node, max', ms(s.max)),
      row('prober `migrated.downtimeMs` p50 / p95 / max', `${ms(pd.p50)} / ${ms(pd.p95)} / ${ms(pd.max)}`),
      row('echoer `migrated.downtimeMs` p50 / p95 / max', `${ms(ed.p50)} / ${ms(ed.p95)} / ${ms(ed.max)}`),
      row('breakdown p50: prober migrating / prober joined / echoer joined (after kill)', `${ms(stat(prober.migrating))} / ${ms(stat(prober.connected))} / ${ms(stat(echoer.connected))}`),
      row('failed trials', `${failures.length} of ${TRIALS}`, '0', failures.length === 0),
    ],
    how:
      'local cloud of 3 node processes behind fault proxies on 127.0.0.1; per trial a fresh session with two members (echoer, prober) on its host; ' +
      'the clock starts when `cloud.kill(host)` (SIGKILL) is called, the prober sends a reliable probe every ~1 ms, and stops at the first echo received while the prober is on another node; ' +
      `the victim is restarted and the cloud settles ${SETTLE_MS} ms between trials.`,
    notes: failures,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) main('failover-reset', run);
