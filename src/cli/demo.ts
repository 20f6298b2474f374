/**
 * `gridlink demo`: a local cloud, two support sessions exchanging numbered messages, and three
 * failures — the host of one session is killed, its next host goes silent (black hole), and the
 * host of the other session drains. Meanwhile support-1's customer asks its tech requests and its
 * tech holds the shared key `owner`. It prints a timeline and a ledger, and exits 0 only if every
 * message arrived exactly once, every request was answered with its handler run once, and every
 * member of a session holds the same shared map.
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
    const calls = requestsAcross(members);

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
    const answered = await calls.stop();
    await until('every shared map to agree', () => sharedAgrees(members), 10_000).catch(() => {});
    const delivered = report(print, ledger, members);
    return Math.max(delivered, reportExtras(print, members, answered));
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

interface Calls {
  asked: number;
  answered: number;
  runs: Map<string, number>;
}

/** support-1: the tech owns the shared key `owner` and answers the customer's requests; each must run once. */
function requestsAcross(members: Member[]): { stop(): Promise<Calls> } {
  const tech = members.find((m) => m.name === 'tech-ann') as Member;
  const customer = members.find((m) => m.name === 'customer-bob') as Member;
  const calls: Calls = { asked: 0, answered: 0, runs: new Map() };
  tech.client.setShared('owner', tech.name);
  tech.client.onRequest((data) => {
    calls.runs.set(String(data), (calls.runs.get(String(data)) ?? 0) + 1);
    return `ticket ${String(data)} noted`;
  });
  const pending: Promise<void>[] = [];
  const asker = setInterval(() => {
    const q = `#${++calls.asked}`;
    pending.push(customer.client.request(q, { to: tech.name, timeoutMs: 30_000 }).then((reply) => void (reply === `ticket ${q} noted` && calls.answered++), () => {}));
  }, 100);
  return {
    stop: async () => {
      clearInterval(asker);
      await Promise.all(pending);
      return calls;
    },
  };
}

const sharedText = (m: Member): string => JSON.stringify([...m.client.shared].sort(([a], [b]) => (a < b ? -1 : 1)));
function sharedAgrees(members: Member[]): boolean {
  return Object.keys(SESSIONS).every((s) => new Set(members.filter((m) => m.session === s).map(sharedText)).size === 1);
}

function reportExtras(print: (line: string) => void, members: Member[], calls: Calls): number {
  const runs = [...calls.runs.values()];
  const once = runs.length === calls.asked && runs.every((n) => n === 1);
  const owners = members.filter((m) => m.session === 'support-1').map((m) => m.client.shared.get('owner'));
  print(`support-1 requests: ${calls.asked} asked, ${calls.answered} answered, handler runs ${runs.reduce((a, b) => a + b, 0)} (${once ? 'each once' : 'NOT each once'})`);
  print(`support-1 shared owner on every member: ${owners.join(', ')}; shared maps ${sharedAgrees(members) ? 'agree' : 'DIFFER'}`);
  const ok = once && calls.answered === calls.asked && sharedAgrees(members) && owners.every((o) => o === 'tech-ann');
  print(ok ? 'every request was answered once and every member holds the same shared map.' : 'FAILED: requests or shared state, see above.');
  return ok ? 0 : 1;
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
