// Throughput: messages per second from one client to another through one server process, gridlink
// (reliable and volatile) side by side with a raw relay (a plain `ws` server, `ws` WebSocket
// clients, the transport gridlink's Node client uses). Same payload, same count, same pacing: the
// sender keeps at most WINDOW messages in flight (sent but not yet received).
import { setImmediate as yieldNow } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { connect } from '../dist/node.js';
import { QUICK, closeAll, int, log, main, now, row, spawnServer, summarize, withTimeout } from './lib.mjs';

const COUNT = QUICK ? 30_000 : 100_000;
const ROUNDS = QUICK ? 2 : 7;
const WINDOW = 2000;
const BURST = 100; // sent synchronously before yielding to I/O
const STALL_MS = 500; // no progress this long while waiting = the rest is lost
const PAYLOAD = 'x'.repeat(64);
const here = (file) => fileURLToPath(new URL(file, import.meta.url));

async function rawPair(url) {
  const open = (ws) => new Promise((resolve, reject) => {
    ws.addEventListener('open', resolve, { once: true });
    ws.addEventListener('error', () => reject(new Error('raw websocket failed to open')), { once: true });
  });
  const a = new WebSocket(url);
  const b = new WebSocket(url);
  await withTimeout(Promise.all([open(a), open(b)]), 5000, 'raw pair open');
  return {
    send: (data) => a.send(data),
    onMessage: (cb) => b.addEventListener('message', cb),
    close: async () => {
      a.close();
      b.close();
    },
  };
}

async function gridlinkPair(url, volatile) {
  const session = `tp-${volatile ? 'v' : 'r'}-${Math.random().toString(36).slice(2)}`;
  const a = connect({ session, nodes: [url], clientId: 'sender' });
  const b = connect({ session, nodes: [url], clientId: 'receiver' });
  for (const c of [a, b]) c.on('error', () => {});
  await withTimeout(Promise.all([a.ready, b.ready]), 5000, 'gridlink pair ready');
  const options = { volatile };
  return {
    send: (data) => {
      if (volatile) a.send(data, options);
      else a.send(data);
    },
    onMessage: (cb) => b.on('message', cb),
    close: () => closeAll([a, b]),
  };
}

/** Sends COUNT messages with at most WINDOW in flight; returns msgs/s as seen by the receiver. */
async function pump(pair) {
  let sent = 0;
  let received = 0;
  let written_off = 0; // given up on after a stall (only volatile messages may be dropped)
  let last = 0;
  let wake;
  pair.onMessage(() => {
    received++;
    last = now();
    if (wake !== undefined && (sent - received - written_off <= WINDOW / 2 || received >= COUNT - written_off)) {
      const w = wake;
      wake = undefined;
      w();
    }
  });
  const wait = () =>
    new Promise((resolve) => {
      const before = received;
      const timer = setTimeout(() => {
        wake = undefined;
        if (received === before) written_off = sent - received; // stalled: what is missing is lost
        resolve();
      }, STALL_MS);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  const start = now();
  while (sent < COUNT) {
    if (sent - received - written_off < WINDOW) {
      const end = Math.min(COUNT, sent + BURST);
      while (sent < end) {
        pair.send(PAYLOAD);
        sent++;
      }
      await yieldNow();
    } else {
      await wait();
    }
  }
  while (received < COUNT - written_off) await wait();
  return { rate: received / ((last - start) / 1000), lost: COUNT - received };
}

export async function run() {
  const raw = await spawnServer(here('./raw-relay.mjs'));
  const node = await spawnServer(here('./node-child.mjs')).catch(async (error) => {
    await raw.stop();
    throw error;
  });
  // The same node with listeners on every node event (issue 15: free when nobody listens).
  const observed = await spawnServer(here('./node-child.mjs'), 15_000, ['events']).catch(async (error) => {
    await Promise.allSettled([raw.stop(), node.stop()]);
    throw error;
  });
  const kinds = {
    raw: () => rawPair(raw.url),
    reliable: () => gridlinkPair(node.url, false),
    volatile: () => gridlinkPair(node.url, true),
    observed: () => gridlinkPair(observed.url, false),
  };
  const rates = { raw: [], reliable: [], volatile: [], observed: [] };
  const lost = { raw: 0, reliable: 0, volatile: 0, observed: 0 };
  try {
    // Round 0 warms up the JIT on both sides and is not counted.
    for (let round = 0; round <= ROUNDS; round++) {
      for (const [kind, make] of Object.entries(kinds)) {
        const pair = await make();
        try {
          const r = await withTimeout(pump(pair), 60_000, `${kind} pump`);
          if (round > 0) {
            rates[kind].push(r.rate);
            lost[kind] += r.lost;
          }
          log(`throughput round ${round}${round === 0 ? ' (warm-up)' : ''} ${kind}: ${int(r.rate)} msgs/s${r.lost ? `, ${r.lost} lost` : ''}`);
        } finally {
          await pair.close();
        }
      }
    }
  } finally {
    await Promise.allSettled([raw.stop(), node.stop(), observed.stop()]);
  }
  const med = (kind) => summarize(rates[kind]).p50;
  const rawRate = med('raw');
  // Ratios are taken round by round (each kind against the raw run next to it), then the median:
  // load from elsewhere on the machine drifts, and pairing keeps it out of the ratio.
  const ratio = (kind) => summarize(rates[kind].map((rate, i) => rate / rates.raw[i])).p50;
  const rel = ratio('reliable');
  const vol = ratio('volatile');
  const obs = ratio('observed');
  // The observed node against the plain one, round by round.
  const observedCost = summarize(rates.observed.map((rate, i) => rate / rates.reliable[i])).p50;
  const spread = (kind) => `${int(Math.min(...rates[kind]))}–${int(Math.max(...rates[kind]))}`;
  return {
    title: `Throughput: one sender → one receiver through one server process, ${PAYLOAD.length}-byte messages`,
    rows: [
      row('raw relay (`ws` server, `ws` WebSocket clients)', `${int(rawRate)} msgs/s (${spread('raw')})`, 'baseline'),
      row('gridlink reliable', `${int(med('reliable'))} msgs/s (${spread('reliable')}); ${rel.toFixed(2)}× raw`, '≥ 0.95× raw (bar 0.9×)', rel >= 0.95),
      row('gridlink volatile', `${int(med('volatile'))} msgs/s (${spread('volatile')}); ${vol.toFixed(2)}× raw`, '≥ 1.0× raw (bar 0.95×)', vol >= 1.0),
      row('gridlink reliable, node with listeners on every node event (join/leave/message/migrated-in)', `${int(med('observed'))} msgs/s (${spread('observed')}); ${obs.toFixed(2)}× raw, ${observedCost.toFixed(2)}× the same node without listeners`, ''),
      row('messages not delivered (raw / reliable / volatile / observed)', `${lost.raw} / ${lost.reliable} / ${lost.volatile} / ${lost.observed}`, '0 / 0 / — / 0', lost.raw === 0 && lost.reliable === 0 && lost.observed === 0),
    ],
    how:
      `each rate is the median (min–max in brackets) of ${ROUNDS} rounds (after one warm-up round) of ${int(COUNT)} messages, kinds interleaved; the server is a child process ` +
      '(a plain `ws` relay, or one gridlink node started with `startNode`, no fault proxy); both clients run in the benchmark process; ' +
      `the sender keeps at most ${WINDOW} messages in flight, sending ${BURST} at a time; rate = messages received / (last receipt − first send); the ratio is the median of per-round ratios to the raw run of the same round.`,
    notes: [`per-round msgs/s: raw ${rates.raw.map(int).join(', ')}; reliable ${rates.reliable.map(int).join(', ')}; volatile ${rates.volatile.map(int).join(', ')}; observed ${rates.observed.map(int).join(', ')}.`],
  };
}

if (import.meta.url === `file://${process.argv[1]}`) main('throughput', run);
