/**
 * Peers from DNS against a real DNS server (dnsmasq on loopback): nodes a and b find each other
 * through `srv:_gridlink-peer._tcp.cloud.internal`; node c is added to DNS and started while
 * members keep talking, takes sessions, then is removed from DNS and stopped. Messages arrive
 * exactly once, in order, throughout. A malformed record in the answer is ignored, never fatal.
 *
 * dnsmasq cannot reload SRV records on SIGHUP, so a "DNS change" is dnsmasq restarted on the same
 * port with the new records, which clients of a DNS server see the same way.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { startNode, type NodeServer } from '../../dist/server.js';
import { allDelivered, closeAll, deliveryViolations, member, sendNext, type Member } from '../helpers/members.js';
import { freePorts } from '../helpers/raw-node.js';
import { needing, requireTool } from '../helpers/tools.js';
import { sleep, waitFor } from '../helpers/wait.js';

const ZONE = 'cloud.internal';
const SRV = `_gridlink-peer._tcp.${ZONE}`;
const SECRET = 'peers-from-dns-test-secret';

let dns: ChildProcess | undefined;
const nodes = new Map<string, NodeServer>();
let members: Member[] = [];
const warnings: string[] = [];

afterAll(async () => {
  await closeAll(members);
  await Promise.all([...nodes.values()].map((node) => node.close()));
  await stopDns();
});

async function stopDns(): Promise<void> {
  const child = dns;
  dns = undefined;
  if (child === undefined || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const late = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(late);
}

/** dnsmasq serving SRV + A records for `ids` (plus one malformed target), TTL 1 s. */
async function serveDns(port: number, ids: string[], ports: Record<string, number>): Promise<void> {
  await stopDns();
  const args = ['--no-daemon', '--no-resolv', '--no-hosts', '--conf-file=/dev/null', '--pid-file=', '--port', String(port),
    '--listen-address', '127.0.0.1', '--bind-interfaces', '--local-ttl=1', `--local=/${ZONE}/`,
    `--srv-host=${SRV},bad_label.${ZONE},7000,0,10`];
  for (const id of ids) args.push(`--srv-host=${SRV},${id}.${ZONE},${ports[id]},0,10`, `--host-record=${id}.${ZONE},127.0.0.1`);
  let stderr = '';
  // The port was just freed by the previous process: a few tries for the kernel to let go of it.
  for (let attempt = 0; attempt < 20; attempt++) {
    const child = spawn('dnsmasq', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr?.on('data', (chunk) => (stderr += String(chunk)));
    await sleep(200);
    if (child.exitCode === null) {
      dns = child;
      return;
    }
  }
  throw new Error(`dnsmasq did not start: ${stderr}`);
}

async function startPeer(id: string, ports: Record<string, number>, dnsPort: number): Promise<NodeServer> {
  const node = await startNode({
    id,
    port: ports[id],
    secret: SECRET,
    peersFrom: `srv:${SRV}`,
    peersDnsServers: [`127.0.0.1:${dnsPort}`],
    peerHeartbeat: { intervalMs: 100, timeoutMs: 500 },
    logger: { debug: () => {}, info: () => {}, warn: (message) => void warnings.push(message), error: () => {} },
  });
  nodes.set(id, node);
  return node;
}

const sees = (node: NodeServer, ids: string[]): boolean => JSON.stringify(node.stats().alivePeers) === JSON.stringify(ids);

describe.skipIf(!requireTool('dnsmasq'))(needing('dnsmasq', 'peers from DNS (dnsmasq)'), () => {
  it('a node added to DNS joins placement, and leaves it when removed; members keep talking exactly once', async () => {
    const [pa, pb, pc, dnsPort] = await freePorts(4);
    const ports: Record<string, number> = { a: pa!, b: pb!, c: pc! };
    await serveDns(dnsPort!, ['a', 'b'], ports);
    const [a, b] = await Promise.all([startPeer('a', ports, dnsPort!), startPeer('b', ports, dnsPort!)]);
    await waitFor('a and b to see each other from DNS', () => sees(a!, ['b']) && sees(b!, ['a']), 10_000);
    expect(warnings).toContain('peer discovery: ignoring a malformed SRV record');

    // Sessions enough that some belong to c once it joins (rendezvous over a, b, c).
    const sessions = Array.from({ length: 12 }, (_, i) => `room-${i}`);
    const rooms = sessions.map((session) => [member(`${session}-x`, { session, nodes: [a!.url, b!.url] }), member(`${session}-y`, { session, nodes: [b!.url, a!.url] })]);
    members = rooms.flat();
    await Promise.all(members.map((m) => m.client.ready));
    let talking = true;
    const talk = (async () => {
      while (talking) {
        for (const m of members) if (m.client.state === 'connected') sendNext(m);
        await sleep(50);
      }
    })();

    try {
      // Add c: a DNS change, then the process.
      await serveDns(dnsPort!, ['a', 'b', 'c'], ports);
      const c = await startPeer('c', ports, dnsPort!);
      await waitFor('a, b and c to see each other', () => sees(a!, ['b', 'c']) && sees(b!, ['a', 'c']) && sees(c, ['a', 'b']), 15_000);
      const onC = sessions.filter((session) => a!.hostOf(session).id === 'c');
      expect(onC.length).toBeGreaterThan(0);
      expect(sessions.every((session) => b!.hostOf(session).id === a!.hostOf(session).id && c.hostOf(session).id === a!.hostOf(session).id)).toBe(true);
      const onCMembers = rooms.filter((_, i) => onC.includes(sessions[i]!)).flat();
      await waitFor('c\'s sessions to move there', () => onCMembers.every((m) => m.client.node?.id === 'c'), 15_000);
      const document = (await (await fetch(`http://127.0.0.1:${ports.a}/.well-known/gridlink`)).json()) as { nodes: { id: string }[] };
      expect(document.nodes.map((node) => node.id).sort()).toEqual(['a', 'b', 'c']);

      // Remove c: a DNS change, then the process stops.
      await serveDns(dnsPort!, ['a', 'b'], ports);
      await waitFor('a and b to drop c', () => sees(a!, ['b']) && sees(b!, ['a']), 15_000);
      expect(sessions.every((session) => a!.hostOf(session).id !== 'c')).toBe(true);
      await c.close();
      nodes.delete('c');
      await waitFor('every member off c', () => members.every((m) => m.client.state === 'connected' && m.client.node?.id !== 'c'), 20_000);
      await sleep(500);
    } finally {
      talking = false;
      await talk;
    }
    const violations = (): string[] => rooms.flatMap((room) => deliveryViolations(room));
    await waitFor('every message delivered', () => rooms.every((room) => allDelivered(room)), { guardMs: 20_000, detail: () => violations().slice(0, 5).join('; ') });
    expect(violations()).toEqual([]);
    expect(members.every((m) => m.sent > 20)).toBe(true);
  }, 90_000);
});
