/**
 * `gridlink demo`: a local cloud, two support sessions exchanging numbered messages, and three
 * failures — the host of one session is killed, its next host goes silent (black hole), and the
 * host of the other session drains. It prints a timeline and a ledger, and exits 0 only if every
 * message arrived exactly once.
 */
import { connect, type Client } from '../node.js';
import { startLocalCloud, type LocalCloud } from '../cloud/local-cloud.js';
import { Ledger, Timeline } from './demo-ledger.js';

const SESSIONS: Record<string, string[]> = {
  'support-1': ['tech-ann', 'customer-bob'],
  'support-2': ['tech-cy', 'customer-dee', 'observer-eve'],
};
const SEND_EVERY_MS = 25;
const PHASE_GUARD_MS = 20_000;

interface Member {
  readonly session: string;
  readonly name: string;
  readonly client: Client;
  migratingSince: number | undefined;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what: string, predicate: () => boolean, guardMs = PHASE_GUARD_MS): Promise<void> {
  const deadline = performance.now() + guardMs;
  while (!predicate()) {
    if (performance.now() > deadline) throw new Error(`demo: timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** The node every member of `session` is connected to, or undefined while they are not all on one. */
function hostOf(members: Member[], session: string): string | undefined {
  const inSession = members.filter((m) => m.session === session);
  if (!inSession.every((m) => m.client.state === 'connected')) return undefined;
  const nodes = new Set(inSession.map((m) => m.client.node?.id));
  return nodes.size === 1 ? [...nodes][0] : undefined;
}

export async function runDemo(_argv: string[], print: (line: string) => void = (line) => process.stdout.write(`${line}\n`)): Promise<number> {
  const timeline = new Timeline(print);
  const ledger = new Ledger();
  const cloud: LocalCloud = await startLocalCloud({ nodes: 4 });
  const members: Member[] = [];
  let sender: ReturnType<typeof setInterval> | undefined;
  try {
    timeline.log(`local cloud up: ${cloud.nodes.map((n) => `${n.id}=${n.url}`).join('  ')}`);
    for (const [session, names] of Object.entries(SESSIONS)) {
      for (const name of names) {
        const client = connect({ session, clientId: name, nodes: cloud.urls });
        const member: Member = { session, name, client, migratingSince: undefined };
        ledger.join(session, name);
        client.on('message', (data, meta) => ledger.received(session, name, meta.from, (JSON.parse(String(data)) as { n: number }).n));
        client.on('state', (state) => {
          if (state === 'migrating') member.migratingSince = timeline.now();
        });
        client.on('migrated', ({ from, to, reason, downtimeMs }) =>
          timeline.log(`${session}: ${name} moved ${from.id} -> ${to.id} (${reason.code}) in ${downtimeMs.toFixed(1)} ms`),
        );
        members.push(member);
      }
    }
    await Promise.all(members.map((m) => m.client.ready));
    for (const session of Object.keys(SESSIONS)) timeline.log(`${session}: all members joined on node ${hostOf(members, session)}`);

    sender = setInterval(() => {
      for (const m of members) {
        if (m.client.state === 'closed' || m.client.state === 'failed') continue;
        m.client.send(JSON.stringify({ n: ledger.sent(m.session, m.name) }));
      }
    }, SEND_EVERY_MS);
    await sleep(1500);

    await failover(timeline, members, 'support-1', 'SIGKILL', async (id) => cloud.kill(id));
    await sleep(1000);
    await failover(timeline, members, 'support-1', 'black hole (silent: no reset, no FIN)', async (id) => cloud.blackhole(id));
    await sleep(1000);
    await failover(timeline, members, 'support-2', 'drain (planned shutdown)', async (id) => void cloud.drain(id).catch(() => {}));
    await sleep(1000);

    clearInterval(sender);
    sender = undefined;
    timeline.log('stopped sending; waiting for the last confirmations');
    await until('every message to arrive', () => Object.keys(SESSIONS).every((s) => ledger.complete(s)), 10_000).catch(() => {});
    return report(print, ledger, members);
  } finally {
    if (sender !== undefined) clearInterval(sender);
    await Promise.all(members.map((m) => m.client.close()));
    await cloud.stop();
  }
}

async function failover(timeline: Timeline, members: Member[], session: string, how: string, inflict: (nodeId: string) => Promise<void>): Promise<void> {
  const victim = hostOf(members, session);
  if (victim === undefined) throw new Error(`demo: ${session} is not on one node`);
  const affected = members.filter((m) => m.session === session);
  for (const m of affected) m.migratingSince = undefined;
  const at = timeline.now();
  await inflict(victim);
  timeline.log(`${how}: node ${victim}, host of ${session}`);
  await until(`${session} to leave node ${victim}`, () => {
    const host = hostOf(members, session);
    return host !== undefined && host !== victim;
  });
  const detected = affected.map((m) => (m.migratingSince ?? at) - at);
  timeline.log(
    `${session}: all ${affected.length} members on node ${hostOf(members, session)}; failure noticed after ` +
      `${Math.min(...detected).toFixed(0)}-${Math.max(...detected).toFixed(0)} ms, whole move took ${(timeline.now() - at).toFixed(0)} ms`,
  );
}

function report(print: (line: string) => void, ledger: Ledger, members: Member[]): number {
  print('');
  print('session     host  members  sent  received  lost  duplicated  out-of-order');
  let bad = 0;
  for (const session of Object.keys(SESSIONS)) {
    const t = ledger.totals(session);
    const host = hostOf(members, session) ?? 'split!';
    const count = members.filter((m) => m.session === session).length;
    print(
      `${session.padEnd(11)} ${host.padEnd(5)} ${String(count).padStart(7)} ${String(t.sent).padStart(5)} ` +
        `${String(t.received).padStart(9)} ${String(t.lost).padStart(5)} ${String(t.duplicated).padStart(11)} ${String(t.outOfOrder).padStart(13)}`,
    );
    bad += t.lost + t.duplicated + t.outOfOrder + (host === 'split!' ? 1 : 0);
  }
  print('');
  print(bad === 0 ? 'every message arrived exactly once, in order, and each session is on one node.' : 'FAILED: see the table above.');
  return bad === 0 ? 0 : 1;
}
