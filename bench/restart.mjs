// A node's restart, as its peers see it: 3 `gridlink node` processes from the CLI (default
// settings); one is SIGKILLed, stays down long enough for its peers' redial backoff to reach its
// ceiling, and is started again. From the moment it listens, we time how long until every peer
// places a session it owns on it again (each peer asked through `GET /host` every few ms). Until
// then the restarted node hosts its sessions while its peers still place them elsewhere: members
// joining in between can land on both sides.
import { QUICK, cliCloud, main, ms, now, row, sessionsOn, sleep, summarize } from './lib.mjs';

const TRIALS = QUICK ? 4 : 12;
const DOWN_MS = 2500; // past the peers' redial backoff ceiling (2 s)
const POLL_MS = 2;
const GUARD_MS = 10_000; // hang guard per trial

/** ms from `t0` until `peer` names `owner` as the host of `session`. */
async function placedOn(peer, session, owner, t0) {
  while (now() - t0 < GUARD_MS) {
    const answer = await fetch(`http://127.0.0.1:${peer.port}/host?session=${encodeURIComponent(session)}`)
      .then((res) => res.json())
      .catch(() => undefined);
    if (answer?.host?.id === owner) return now() - t0;
    await sleep(POLL_MS);
  }
  throw new Error(`node ${peer.id} did not place ${owner}'s session on it within ${GUARD_MS} ms of its restart`);
}

export async function run() {
  const cloud = await cliCloud(['a', 'b', 'c']);
  const back = [];
  try {
    await cloud.formed();
    for (let trial = 0; trial < TRIALS; trial++) {
      const victim = cloud.nodes[trial % cloud.nodes.length];
      const session = sessionsOn(cloud, victim.id, 1, `restart-${trial}-${process.pid}`)[0];
      await cloud.kill(victim.id);
      await sleep(DOWN_MS);
      await cloud.restart(victim.id);
      const t0 = now();
      const peers = cloud.nodes.filter((node) => node !== victim);
      back.push(Math.max(...(await Promise.all(peers.map((peer) => placedOn(peer, session, victim.id, t0))))));
      await cloud.formed();
    }
  } finally {
    await cloud.stop();
  }
  const s = summarize(back);
  return {
    title: `A node's restart: back in its peers' placement, ${TRIALS} trials`,
    rows: [row('restarted node listening → every peer places its sessions on it, p50 / p95 / max', `${ms(s.p50)} / ${ms(s.p95)} / ${ms(s.max)}`)],
    how:
      `3 \`gridlink node\` processes from the CLI (default settings, each given the others as \`--peer\`, one shared secret) on 127.0.0.1; per trial one node is SIGKILLed, left down ${DOWN_MS} ms ` +
      `(its peers' redial backoff reaches its 2 s ceiling) and started again; the clock starts when it listens, and stops when both other nodes name it as the host of a session it owns ` +
      `(\`GET /host?session=\` on each, every ${POLL_MS} ms). Before that, the restarted node hosts the session while its peers still place it elsewhere.`,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) main('restart', run);
