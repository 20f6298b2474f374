// What re-homing a crowd costs in CPU, the measured reason behind the crowd's times: N idle
// clients (no traffic to blur the figure) in N/2 sessions on one server, SIGKILLed; the CPU this
// process and the surviving servers use from the kill until the last client has rejoined, less
// what the same span cost at the idle rate measured just before the kill, per client. All of it
// runs on one machine, so either side's CPU delays the other's: the crowd rejoins no faster than
// the busier side gets through N joins.
import { log, now, processCpuMs, rampConnect, sleep, withTimeout } from './lib.mjs';

const RAMP_BATCH = 100;
const SETTLE_MS = 500; // after the ramp, before the baseline (members hear of each other)
const BASELINE_MS = 1000; // the idle rate, measured before the kill
const REJOIN_GUARD_MS = 15_000; // hang guard: every client rejoins well within this

/** This process's CPU time so far (user + system), in ms. */
const cpuMs = () => {
  const used = process.cpuUsage();
  return (used.user + used.system) / 1000;
};

/** `{ client, servers, rejoinedMs }`: CPU ms per re-homed client, and kill → last rejoin. */
export async function rehomeCost(system, clients) {
  const servers = await system.start(`cost-${system.name}-${clients}-${process.pid}`);
  const recs = [];
  let t0;
  try {
    const sessions = servers.sessions(clients / 2);
    await rampConnect(clients, RAMP_BATCH, (k) => {
      const rec = { id: `c${k}`, session: sessions[k >> 1], joinedAt: undefined };
      rec.client = servers.client(rec, {
        onMessage: () => {},
        onJoined: () => {
          if (t0 !== undefined) rec.joinedAt ??= now() - t0;
        },
        onError: () => {},
      });
      recs.push(rec);
      return rec.client;
    }, 60_000);
    await sleep(SETTLE_MS);
    const serversCpu = async () => (await Promise.all(servers.survivors().map(processCpuMs))).reduce((a, b) => a + b, 0);
    const baseStart = now();
    const [client0, servers0] = [cpuMs(), await serversCpu()];
    await sleep(BASELINE_MS);
    const [client1, servers1] = [cpuMs(), await serversCpu()];
    const baseMs = now() - baseStart;
    t0 = now();
    const killed = servers.kill();
    const deadline = t0 + REJOIN_GUARD_MS;
    while (now() < deadline && recs.some((r) => r.joinedAt === undefined)) await sleep(5);
    const span = now() - t0;
    const [client2, servers2] = [cpuMs(), await serversCpu()];
    await killed;
    const missing = recs.filter((r) => r.joinedAt === undefined).length;
    if (missing > 0) throw new Error(`${system.name}: ${missing} of ${clients} clients did not rejoin within ${REJOIN_GUARD_MS} ms`);
    // Beyond the idle rate (heartbeats, pings) the same span would have cost anyway.
    const beyondIdle = (before, atKill, after) => (after - atKill - ((atKill - before) * span) / baseMs) / clients;
    const result = { client: beyondIdle(client0, client1, client2), servers: beyondIdle(servers0, servers1, servers2), rejoinedMs: span };
    log(`${system.name} N=${clients} idle: all rejoined in ${Math.round(span)} ms; CPU per client ${result.client.toFixed(2)} ms here, ${result.servers.toFixed(2)} ms servers`);
    return result;
  } finally {
    await withTimeout(Promise.allSettled(recs.map((r) => r.client?.close())), 15_000, 'closing clients').catch(() => {});
    await servers.stop();
  }
}
