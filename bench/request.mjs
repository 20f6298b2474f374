// Request: the round trip of `client.request()` beside a raw `send` round trip (an echo), in the
// same run. Two members of one session on its host among 3 `gridlink node` CLI processes (default
// settings, no fault proxy); one at a time, alternately, the asker sends a reliable message the
// other echoes back, and asks a request the other's handler answers. Both ride the same reliable
// path (a request is a message `to` one member, its reply one back), so the difference is what
// requests add: the targeted routing and the reply's bookkeeping.
import { connect } from '../dist/node.js';
import { QUICK, cliCloud, log, main, ms, now, row, summarize, waitFor, withTimeout } from './lib.mjs';

const SAMPLES = QUICK ? 300 : 2000;
const WARMUP = 50;

export async function run() {
  const cloud = await cliCloud(['a', 'b', 'c']);
  const session = `request-${process.pid}`;
  const asker = connect({ session, nodes: cloud.urls, clientId: 'asker' });
  const answerer = connect({ session, nodes: cloud.urls, clientId: 'answerer' });
  const echoes = [];
  const requests = [];
  let runs = 0;
  try {
    await cloud.formed();
    await withTimeout(Promise.all([asker.ready, answerer.ready]), 10_000, 'ready');
    await waitFor(() => asker.members.has('answerer') && answerer.members.has('asker'), 5000, 'members know each other');
    answerer.on('message', (data) => answerer.send(data));
    answerer.onRequest((data) => {
      runs++;
      return data;
    });
    let waiting;
    asker.on('message', (data) => waiting?.(data));
    const echo = (payload) => new Promise((resolve) => {
      waiting = resolve;
      asker.send(payload);
    });
    for (let i = 0; i < WARMUP + SAMPLES; i++) {
      const payload = `n${i}`;
      let t = now();
      if ((await echo(payload)) !== payload) throw new Error(`echo ${i} came back wrong`);
      const echoMs = now() - t;
      t = now();
      if ((await asker.request(payload, { to: 'answerer' })) !== payload) throw new Error(`reply ${i} came back wrong`);
      const requestMs = now() - t;
      if (i >= WARMUP) {
        echoes.push(echoMs);
        requests.push(requestMs);
      }
    }
    log(`request: ${SAMPLES} echoes and ${SAMPLES} requests done`);
  } finally {
    await withTimeout(Promise.allSettled([asker.close(), answerer.close()]), 5000, 'closing').catch(() => {});
    await cloud.stop();
  }
  const e = summarize(echoes);
  const r = summarize(requests);
  return {
    title: `Request round trip beside a raw send round trip, ${SAMPLES} of each`,
    rows: [
      row('raw `send` round trip (echo), p50 / p99', `${ms(e.p50)} / ${ms(e.p99)}`),
      row('`request()` round trip, p50 / p99', `${ms(r.p50)} / ${ms(r.p99)}`),
      row('request p50 minus echo p50', ms(r.p50 - e.p50)),
      row('handler runs / requests answered', `${runs - WARMUP} / ${requests.length}`, 'equal', runs - WARMUP === requests.length),
    ],
    how:
      '3 `gridlink node` processes from the CLI (default settings, each given the others as `--peer`, no fault proxy) on 127.0.0.1; one session, both members on its host, in this process (one clock); ' +
      `one exchange at a time, alternately: a reliable \`send\` the other member echoes with \`send\`, then a \`request()\` its handler answers with the same data; ${WARMUP} warm-up pairs not counted.`,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) main('request', run);
