// Two members of one session, used by the failover benchmarks: an "echoer" that sends back every
// message the "prober" sends, and the prober, which times the first echo that arrives over a node
// other than the one that failed. Each member also records when its state changed.
import { connect } from '../dist/node.js';
import { now, withTimeout } from './lib.mjs';

export async function echoPair(nodes, session, options = {}) {
  const common = { session, nodes, retry: { maxElapsedMs: Infinity }, ...options };
  const echoer = connect({ ...common, clientId: 'echoer' });
  const prober = connect({ ...common, clientId: 'prober' });
  const pair = {
    echoer,
    prober,
    // Set by a trial: when the fault was injected and which node it hit.
    t0: undefined,
    victim: undefined,
    firstEcho: undefined, // ms after t0
    firstEchoNode: undefined,
    events: [], // { who, what, at (ms after t0) }
    downtime: {}, // who -> migrated.downtimeMs
    waiters: new Set(),
  };
  echoer.on('message', (data, { from }) => {
    if (from === 'prober' && typeof data === 'string') echoer.send(`e:${data}`);
  });
  prober.on('message', (data) => {
    for (const waiter of pair.waiters) waiter(data);
    if (pair.t0 === undefined || pair.firstEcho !== undefined) return;
    if (typeof data === 'string' && data.startsWith('e:p') && prober.node?.id !== pair.victim) {
      pair.firstEcho = now() - pair.t0;
      pair.firstEchoNode = prober.node?.id;
    }
  });
  for (const [who, client] of [['echoer', echoer], ['prober', prober]]) {
    client.on('error', () => {});
    client.on('state', (state, change) => {
      if (pair.t0 !== undefined) pair.events.push({ who, what: `${state}:${change.reason.code}`, at: now() - pair.t0 });
    });
    client.on('migrated', (info) => {
      if (pair.t0 !== undefined) pair.downtime[who] = info.downtimeMs;
    });
  }
  try {
    await withTimeout(Promise.all([echoer.ready, prober.ready]), 10_000, 'echo pair ready');
    // One round trip proves both are joined on one node and know each other.
    await withTimeout(
      new Promise((resolve) => {
        const waiter = (data) => {
          if (data === 'e:warm') {
            pair.waiters.delete(waiter);
            resolve();
          }
        };
        pair.waiters.add(waiter);
        prober.send('warm');
      }),
      10_000,
      'echo pair warm-up round trip',
    );
  } catch (error) {
    await Promise.allSettled([echoer.close(), prober.close()]);
    throw error;
  }
  if (echoer.node.id !== prober.node.id) throw new Error(`echo pair split: ${echoer.node.id} / ${prober.node.id}`);
  return pair;
}

/** First time (ms after t0) the member entered `state`, if it did. */
export function firstEvent(pair, who, prefix) {
  return pair.events.find((e) => e.who === who && e.what.startsWith(prefix))?.at;
}
