// Resolution cost in the client: connect() → ready when the client knows only the cloud's name and
// its DNS servers, cold (a fresh client: its own resolver, empty cache, so SRV + A/AAAA queries
// before the dial) and warm (clients sharing one `createCloudResolver` whose cache is already
// filled, passed as `resolver`), next to a static `nodes` list (no DNS at all) as the baseline.
// The three modes take turns within each trial, on the same session, so redirect hops and the
// machine's load hit them alike. Also: one uncached DNS resolution alone, and one cached lookup.
import { startLocalCloud } from '../dist/server.js';
import { connect, createCloudResolver } from '../dist/node.js';
import { QUICK, log, main, ms, now, row, sleep, summarize, timeToReady } from './lib.mjs';

const TRIALS = QUICK ? 10 : 40;
const ZONE = 'cloud.test';

/** Redirects followed, per mode: the cloud's DNS order and a static list can start at different nodes. */
const hops = { cold: 0, warm: 0, fixed: 0 };

function timeReady(mode, options) {
  const counter = { debug: (message) => void (message === 'redirected' && hops[mode]++), info() {}, warn() {}, error() {} };
  return timeToReady(connect, { ...options, logger: counter });
}

export async function run() {
  const cloud = await startLocalCloud({ nodes: 3, cloud: ZONE });
  const base = { cloud: ZONE, dns: cloud.dns, scheme: 'ws' };
  const shared = createCloudResolver(base);
  const t = { cold: [], warm: [], fixed: [], resolveCold: [], resolveWarm: [] };
  try {
    await sleep(500); // every node's DNS has seen every peer (a fresh cloud's first answers can be short)
    for (let trial = 0; trial < TRIALS; trial++) {
      const session = `resolve-${trial}-${process.pid}`;
      t.fixed.push(await timeReady('fixed', { session, nodes: cloud.urls }));
      t.cold.push(await timeReady('cold', { session, ...base }));
      // Refill outside the clock if the cloud's 5 s TTL ran out; then the connect only reads the cache.
      const signal = new AbortController().signal;
      await shared.resolve(signal);
      t.warm.push(await timeReady('warm', { session, resolver: shared, allowHosts: [ZONE] }));
      let started = now();
      shared.clear();
      await shared.resolve(signal);
      t.resolveCold.push(now() - started);
      started = now();
      await shared.resolve(signal);
      t.resolveWarm.push(now() - started);
      log(`resolve-cost trial ${trial + 1}/${TRIALS}: static ${ms(t.fixed.at(-1))}, cold ${ms(t.cold.at(-1))}, warm ${ms(t.warm.at(-1))}`);
    }
  } finally {
    await cloud.stop();
  }
  const [cold, warm, fixed, rc, rw] = [t.cold, t.warm, t.fixed, t.resolveCold, t.resolveWarm].map(summarize);
  const pair = (s) => `${ms(s.p50)} / ${ms(s.p95)}`;
  return {
    title: `Resolution cost in the client (connect() → ready), ${cold.n} trials`,
    rows: [
      row('cold: cloud + dns, fresh client (SRV + A/AAAA, then dial), p50 / p95', pair(cold)),
      row('warm: shared cached resolver, p50 / p95', pair(warm)),
      row('static nodes list (no DNS), p50 / p95', pair(fixed)),
      row('DNS cost of a cold connect, p50 (cold − warm)', ms(cold.p50 - warm.p50)),
      row('redirects followed per connect: cold / warm / static', [hops.cold, hops.warm, hops.fixed].map((h) => (h / TRIALS).toFixed(2)).join(' / ')),
      row('one uncached resolution (SRV + A/AAAA of 3 nodes), p50 / p95', pair(rc)),
      row('one cached resolution, p50', `${(rw.p50 * 1000).toFixed(1)} µs`),
    ],
    how:
      `local cloud of 3 node processes (each running the cloud's DNS server for ${ZONE}) behind fault proxies on 127.0.0.1; ` +
      'per trial, one session joined three times in turn by a fresh client: with a static list of the nodes\' URLs, with `cloud` + `dns` (cold), and with a shared `createCloudResolver` whose cache was filled beforehand (warm); ' +
      'each time from connect() to `ready`, then closed. The uncached resolution is the shared resolver after `clear()`.',
    notes: [],
  };
}

if (import.meta.url === `file://${process.argv[1]}`) main('resolve-cost', run);
