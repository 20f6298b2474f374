// Join over a slow link: what the early hello saves. A one-node local cloud behind its fault proxy
// with latency added each way (a WAN link, a mobile network). Per trial, in turn on fresh sockets:
// (a) the Node client's connect() → ready (its hello goes with the upgrade); (b) a raw `ws` socket
// doing the same with the `gridlink-hello` header, upgrade → welcome; (c) a raw `ws` socket doing it
// as a browser must, the hello as the first frame after the upgrade. Times include the TCP connect
// to the proxy (local), not the added latency on it: the proxy delays what it forwards.
import { WebSocket } from 'ws';
import { startLocalCloud } from '../dist/server.js';
import { connect } from '../dist/node.js';
import { QUICK, log, main, ms, now, row, summarize, timeToReady, withTimeout } from './lib.mjs';

const TRIALS = QUICK ? 5 : 20;
const ONE_WAY_MS = 25;

const hello = (session, client) => ({ t: 'hello', v: 1, session, client, recv: {}, members: [] });

/** Constructor → the node's first frame (its welcome), on a raw socket. */
function rawJoin(url, session, client, early) {
  return new Promise((resolve, reject) => {
    const frame = JSON.stringify(hello(session, client));
    const started = now();
    const ws = early
      ? new WebSocket(url, ['gridlink.v1', 'gridlink.v1.hello'], { headers: { 'gridlink-hello': Buffer.from(frame).toString('base64url') } })
      : new WebSocket(url, 'gridlink.v1');
    ws.on('open', () => {
      if (early !== (ws.protocol === 'gridlink.v1.hello')) reject(new Error(`early ${early}, yet the node selected ${ws.protocol}`));
      if (!early) ws.send(frame);
    });
    ws.on('message', (data) => {
      const elapsed = now() - started;
      const answer = JSON.parse(data.toString());
      ws.terminate();
      if (answer.t === 'welcome') resolve(elapsed);
      else reject(new Error(`expected welcome, got ${answer.t}`));
    });
    ws.on('error', reject);
  });
}

export async function run() {
  const cloud = await startLocalCloud({ nodes: 1 });
  const url = cloud.urls[0];
  const t = { client: [], early: [], frame: [] };
  try {
    cloud.setLatency(cloud.nodes[0].id, ONE_WAY_MS);
    for (let trial = 0; trial < TRIALS; trial++) {
      const session = `join-latency-${trial}-${process.pid}`;
      t.client.push(await timeToReady(connect, { session, nodes: cloud.urls, clientId: 'client' }));
      t.early.push(await withTimeout(rawJoin(url, session, 'early', true), 10_000, 'early hello'));
      t.frame.push(await withTimeout(rawJoin(url, session, 'frame', false), 10_000, 'hello frame'));
    }
    log(`join latency: ${TRIALS} trials of each`);
  } finally {
    await cloud.stop();
  }
  const rtt = 2 * ONE_WAY_MS;
  const line = (values) => {
    const s = summarize(values);
    return `${ms(s.p50)} / ${ms(s.p95)} (${(s.p50 / rtt).toFixed(1)} round trips at p50)`;
  };
  const saved = summarize(t.frame).p50 - summarize(t.early).p50;
  return {
    title: `Join over a link with ${rtt} ms round trips: the early hello beside the hello frame, ${TRIALS} trials`,
    rows: [
      row('Node client: `connect()` → `ready` (early hello), p50 / p95', line(t.client)),
      row('raw socket, hello with the upgrade: constructor → welcome, p50 / p95', line(t.early)),
      row('raw socket, hello as the first frame (as a browser): constructor → welcome, p50 / p95', line(t.frame)),
      row('saved by the early hello, p50', `${ms(saved)} (one round trip is ${rtt} ms)`),
    ],
    how:
      `\`startLocalCloud({ nodes: 1 })\` (one node, so no redirect) behind its fault proxy with \`setLatency(${ONE_WAY_MS})\`: every chunk the proxy forwards, each way, waits ${ONE_WAY_MS} ms. ` +
      'Per trial, in turn on the same session: the Node client (`connect({ nodes })`, awaited to `ready`, then closed); a raw `ws` socket offering `gridlink.v1.hello` with the hello in the `gridlink-hello` header (base64url JSON); a raw `ws` socket offering `gridlink.v1` that sends the hello once open. ' +
      'Raw sockets: from the constructor to the first frame, which must be the welcome. The client\'s figure also holds its own work (options, the node list) and the close of the previous trial\'s socket.',
  };
}

if (import.meta.url === `file://${process.argv[1]}`) main('join-latency', run);
