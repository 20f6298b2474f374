/**
 * Test members: gridlink clients (from the built package) that send numbered messages and record
 * what they receive, so tests can check "exactly once, in each sender's order" and "one node per
 * session" as invariants.
 */
import { connect, type Client, type ConnectOptions } from '../../dist/node.js';

export interface Member {
  readonly name: string;
  readonly client: Client;
  /** Numbers sent so far (1..sent). */
  sent: number;
  /** received.get(sender) = numbers in arrival order. */
  readonly received: Map<string, number[]>;
  readonly migrations: Array<{ from: string; to: string; reason: string; downtimeMs: number }>;
  readonly errors: string[];
}

export function member(name: string, options: Omit<ConnectOptions, 'clientId'>): Member {
  const client = connect({ ...options, clientId: name });
  const m: Member = { name, client, sent: 0, received: new Map(), migrations: [], errors: [] };
  client.on('message', (data, meta) => {
    const list = m.received.get(meta.from) ?? [];
    list.push(Number(String(data).split(':')[1]));
    m.received.set(meta.from, list);
  });
  client.on('migrated', (info) => m.migrations.push({ from: info.from.id, to: info.to.id, reason: info.reason.code, downtimeMs: info.downtimeMs }));
  client.on('error', (error) => m.errors.push(error.code));
  return m;
}

/** Sends the next numbered message (reliable). */
export function sendNext(m: Member): void {
  m.sent += 1;
  m.client.send(`${m.name}:${m.sent}`);
}

/** True when every member has received at least all that every other member sent. */
export function allDelivered(members: Member[]): boolean {
  return members.every((r) => members.every((s) => s === r || new Set(r.received.get(s.name) ?? []).size >= s.sent));
}

/** The invariant: each receiver got each sender's numbers 1..sent exactly once and in order. */
export function deliveryViolations(members: Member[]): string[] {
  const problems: string[] = [];
  for (const r of members) {
    for (const s of members) {
      if (s === r) continue;
      const got = r.received.get(s.name) ?? [];
      const want = Array.from({ length: s.sent }, (_, i) => i + 1);
      if (got.length !== want.length || got.some((n, i) => n !== want[i])) {
        const missing = want.filter((n) => !got.includes(n));
        const dupes = got.length - new Set(got).size;
        problems.push(`${r.name} from ${s.name}: ${got.length}/${s.sent} received, missing [${missing.slice(0, 10).join(',')}], ${dupes} duplicates`);
      }
    }
  }
  return problems;
}

/** The node all members are on, or undefined if they are split or not all connected. */
export function commonNode(members: Member[]): string | undefined {
  const nodes = new Set(members.map((m) => (m.client.state === 'connected' ? m.client.node?.id : undefined)));
  return nodes.size === 1 ? [...nodes][0] : undefined;
}

export async function closeAll(members: Member[]): Promise<void> {
  await Promise.all(members.map((m) => m.client.close()));
}
