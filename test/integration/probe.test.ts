/** `gridlink probe` (the built CLI) against a real local cloud with DNS, and against a dead DNS. */
import { createSocket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalCloud, type LocalCloud } from '../../dist/server.js';
import { run } from '../helpers/spawn.js';

const CLI = new URL('../../dist/cli.js', import.meta.url).pathname;
let cloud: LocalCloud;

beforeAll(async () => {
  cloud = await startLocalCloud({ nodes: 3, cloud: 'cloud.test' });
});

afterAll(async () => {
  await cloud.stop();
});

/** A UDP port nobody listens on: bind one, note it, close it. */
async function deadPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

describe('gridlink probe', () => {
  it('prints every node with address, load, round trip and health, the assigned node and the session host; exits 0', async () => {
    const dnsArgs = cloud.dns.flatMap((d) => ['--dns', d]);
    const proc = run('node', [CLI, 'probe', 'cloud.test', ...dnsArgs, '--scheme', 'ws', '--session', 'room-7']);
    expect(await proc.exited).toBe(0);
    const out = proc.output();
    for (const node of cloud.nodes) {
      const port = new URL(node.url).port;
      expect(out).toMatch(new RegExp(`^${node.id}\\s+127\\.0\\.0\\.1:${port}\\s+\\d+/\\d+\\s+[\\d.]+ ms\\s+ok`, 'm'));
    }
    expect(out).toMatch(/^assigned: [a-c] /m);
    expect(out).toContain(`session room-7: hosted on ${cloud.hostOf('room-7')?.id} `);
    expect(out).toContain('rendezvous over the healthy nodes agrees');
  });

  it('without --scheme against plain ws:// nodes: says why each node is down and hints at --scheme ws', async () => {
    const proc = run('node', [CLI, 'probe', 'cloud.test', '--dns', cloud.dns[0] as string]);
    expect(await proc.exited).toBe(1);
    const output = proc.output();
    expect(output).toMatch(/^a: could not reach https:\/\/.* \(TLS handshake failed: wrong version number/m);
    expect(output).toMatch(/hint: probed over wss:\/\/ \(the default\); if the nodes speak plain ws:\/\/ \(a local cloud does\), add --scheme ws/);
  });

  it('exits 1 with a clear message when the DNS server is dead', async () => {
    const proc = run('node', [CLI, 'probe', 'cloud.test', '--dns', `127.0.0.1:${await deadPort()}`, '--scheme', 'ws']);
    expect(await proc.exited).toBe(1);
    expect(proc.output()).toMatch(/cannot resolve cloud\.test via 127\.0\.0\.1:\d+: .*\[GRIDLINK_(CONNECT_FAILED|TIMEOUT)\]/);
  });

  it('exits 1 when the zone has no such cloud', async () => {
    const proc = run('node', [CLI, 'probe', 'nothing.test', '--dns', cloud.dns[0] as string, '--scheme', 'ws']);
    expect(await proc.exited).toBe(1);
    expect(proc.output()).toMatch(/cannot resolve nothing\.test/);
  });

  it('exits 2 with the usage on a bad command line', async () => {
    const proc = run('node', [CLI, 'probe']);
    expect(await proc.exited).toBe(2);
    expect(proc.output()).toContain('Usage: gridlink probe <cloud>');
  });
});
