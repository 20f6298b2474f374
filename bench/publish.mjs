// Publish: a backend's HTTP publish → every member has it, through a node that is not the
// session's host (so the request is forwarded to the host) and straight to the host, beside a
// member's own `send` reaching the others, in the same run. 3 `gridlink node` CLI processes with
// `--publish` (the key derived from the cloud's secret), 10 members of one session on its host,
// publishes one at a time with `Idempotency-Key`. Times: POST sent → the last member's `message`
// event (delivered to all), and POST sent → the 200 answer (every member confirmed).
import { request } from 'undici';
import { connect } from '../dist/node.js';
import { publishKey } from '../dist/server.js';
import { QUICK, cliCloud, log, main, ms, now, row, sessionsOn, summarize, waitFor, withTimeout } from './lib.mjs';

const MEMBERS = 10;
const SAMPLES = QUICK ? 100 : 500;
const WARMUP = 30;

export async function run() {
  const cloud = await cliCloud(['a', 'b', 'c'], { args: ['--publish'] });
  const key = publishKey(cloud.secret);
  const [session] = sessionsOn(cloud, 'a', 1, `publish-${process.pid}`);
  const members = Array.from({ length: MEMBERS }, (_, i) => connect({ session, nodes: cloud.urls, clientId: `m${i}` }));
  const results = { forwarded: { all: [], answered: [] }, direct: { all: [], answered: [] }, send: { all: [] } };
  try {
    await cloud.formed();
    await withTimeout(Promise.all(members.map((m) => m.ready)), 10_000, 'ready');
    await waitFor(() => members.every((m) => m.members.size === MEMBERS - 1 && m.node?.id === 'a'), 10_000, 'members together on a');
    let expected;
    let arrived = 0;
    let allDone;
    for (const m of members) {
      m.on('message', (data) => {
        if (data !== expected) return;
        arrived++;
        if (arrived === (expected.startsWith('s') ? MEMBERS - 1 : MEMBERS)) allDone?.();
      });
    }
    const everyone = (payload, start) => new Promise((resolve) => {
      expected = payload;
      arrived = 0;
      allDone = () => resolve(now() - start);
    });
    const post = async (node, payload, id) => {
      const started = now();
      const delivered = everyone(payload, started);
      const res = await request(`http://127.0.0.1:${node.port}/sessions/${encodeURIComponent(session)}/messages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'text/plain', 'idempotency-key': id },
        body: payload,
      });
      const body = await res.body.json();
      const answered = now() - started;
      if (res.statusCode !== 200 || body.status !== 'delivered' || body.members !== MEMBERS) throw new Error(`publish ${id}: ${res.statusCode} ${JSON.stringify(body)}`);
      return { all: await withTimeout(delivered, 5000, `publish ${id} delivered`), answered };
    };
    const [host, other] = [cloud.nodes.find((n) => n.id === 'a'), cloud.nodes.find((n) => n.id === 'b')];
    for (let i = 0; i < WARMUP + SAMPLES; i++) {
      const f = await post(other, `f${i}`, `f-${i}`);
      const d = await post(host, `d${i}`, `d-${i}`);
      const started = now();
      const sent = everyone(`s${i}`, started);
      members[0].send(`s${i}`);
      const s = await withTimeout(sent, 5000, `send ${i}`);
      if (i < WARMUP) continue;
      results.forwarded.all.push(f.all);
      results.forwarded.answered.push(f.answered);
      results.direct.all.push(d.all);
      results.direct.answered.push(d.answered);
      results.send.all.push(s);
    }
    log(`publish: ${SAMPLES} forwarded, ${SAMPLES} direct, ${SAMPLES} sends`);
  } finally {
    await withTimeout(Promise.allSettled(members.map((m) => m.close())), 5000, 'closing').catch(() => {});
    await cloud.stop();
  }
  const fmt = (list) => {
    const s = summarize(list);
    return `${ms(s.p50)} / ${ms(s.p99)}`;
  };
  return {
    title: `Publish → delivery to ${MEMBERS} members, through a non-host node and straight to the host, beside a member's send, ${SAMPLES} of each`,
    rows: [
      row('HTTP publish to a non-host node (forwarded): POST → last member has it, p50 / p99', fmt(results.forwarded.all)),
      row('HTTP publish to a non-host node (forwarded): POST → 200 (all confirmed), p50 / p99', fmt(results.forwarded.answered)),
      row('HTTP publish to the host: POST → last member has it, p50 / p99', fmt(results.direct.all)),
      row('HTTP publish to the host: POST → 200 (all confirmed), p50 / p99', fmt(results.direct.answered)),
      row(`a member's reliable \`send\` → the last of the other ${MEMBERS - 1} has it, p50 / p99`, fmt(results.send.all)),
    ],
    how:
      `3 \`gridlink node\` CLI processes with \`--publish\` (GRIDLINK_SECRET set; the key is \`publishKey(secret)\`), no fault proxy; ${MEMBERS} members of one session hosted on node a, all in this process; ` +
      `one publish at a time (undici \`request\`, keep-alive, \`Idempotency-Key\`), alternately to node b (forwarded to a) and to node a, then one member's send; ${WARMUP} warm-up rounds not counted.`,
    notes: [],
  };
}

if (import.meta.url === `file://${process.argv[1]}`) main('publish', run);
