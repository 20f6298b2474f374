/**
 * The cloud's DNS server as shipped (dist/), queried by `dig` and by Node's own resolver: a local
 * cloud of three node processes, each serving `cloud.test` on 127.0.0.1; and a hand-built cloud
 * of 20 nodes for answers too large for a UDP datagram. Read-only: one cloud for the whole file.
 */
import { execFile } from 'node:child_process';
import { promises as dns } from 'node:dns';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDnsServer, startLocalCloud, type DnsServer, type LocalCloud } from '../../dist/server.js';
import { run } from '../helpers/spawn.js';
import { needing, requireTool } from '../helpers/tools.js';
import { waitFor } from '../helpers/wait.js';

const hasDig = requireTool('dig');
const CLI_JS = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

/** Runs dig against `server` ('host:port'); resolves with its stdout (hang guard: dig's own +time). */
function dig(server: string, ...args: string[]): Promise<string> {
  const at = server.lastIndexOf(':');
  return new Promise((resolve, reject) => {
    execFile('dig', [`@${server.slice(0, at)}`, '-p', server.slice(at + 1), '+time=2', '+tries=2', ...args], { timeout: 15_000 }, (error, stdout) => {
      if (error !== null && stdout === '') reject(error);
      else resolve(stdout);
    });
  });
}

function resolver(server: string): dns.Resolver {
  const r = new dns.Resolver({ timeout: 2000, tries: 2 });
  r.setServers([server]);
  return r;
}

/** Polls until every DNS server lists `count` SRV records: peers come up one by one after start. */
async function allListed(servers: readonly string[], count: number, guardMs = 15_000): Promise<void> {
  for (const server of servers) {
    const listed = async (): Promise<boolean> => (await resolver(server).resolveSrv('_gridlink._tcp.cloud.test').catch(() => [])).length === count;
    await waitFor(`${server} to list ${count} nodes`, listed, { guardMs, everyMs: 50 });
  }
}

const srvLines = (output: string): number => (output.match(/\sIN\s+SRV\s+\d/g) ?? []).length;

const status = (output: string): string | undefined => /status: (\w+)/.exec(output)?.[1];
const flags = (output: string): string[] => (/;; flags: ([^;]*);/.exec(output)?.[1] ?? '').trim().split(/\s+/);

describe.skipIf(!hasDig)(needing('dig', 'DNS records of a local cloud (dig and node:dns)'), () => {
  let cloud: LocalCloud;
  const port = (url: string): number => Number(new URL(url).port);

  beforeAll(async () => {
    cloud = await startLocalCloud({ nodes: 3, cloud: 'cloud.test' });
    await allListed(cloud.dns, 3);
  });
  afterAll(async () => {
    await cloud?.stop();
  });

  it('every node serves the zone; SRV lists every node with its proxy port and a target in the zone', async () => {
    expect(cloud.zone).toBe('cloud.test');
    expect(cloud.dns).toHaveLength(3);
    const expected = cloud.nodes.map((n) => `${port(n.url)} ${n.id}.cloud.test.`).sort();
    for (const server of cloud.dns) {
      const short = (await dig(server, '_gridlink._tcp.cloud.test', 'SRV', '+short')).trim().split('\n');
      expect(short.map((line) => line.split(' ').slice(2).join(' ')).sort()).toEqual(expected);
      for (const line of short) expect(line).toMatch(/^0 1000 \d+ [abc]\.cloud\.test\.$/);
      const srv = await resolver(server).resolveSrv('_gridlink._tcp.cloud.test');
      expect(srv.map((r) => `${r.port} ${r.name}.`).sort()).toEqual(expected);
    }
  });

  it('the full SRV answer: authoritative, TTL 5, targets glued in the additional section', async () => {
    const output = await dig(cloud.dns[0] as string, '_gridlink._tcp.cloud.test', 'SRV');
    expect(status(output)).toBe('NOERROR');
    expect(flags(output)).toContain('aa');
    expect(output).toMatch(/_gridlink\._tcp\.cloud\.test\.\s+5\s+IN\s+SRV\s+0 1000 \d+ a\.cloud\.test\./);
    expect(output).toMatch(/ADDITIONAL SECTION:[\s\S]*a\.cloud\.test\.\s+5\s+IN\s+A\s+127\.0\.0\.1/);
  });

  it('A for the zone and for a node, with TTLs; AAAA of an IPv4 node is NODATA', async () => {
    const server = cloud.dns[1] as string;
    expect((await dig(server, 'cloud.test', 'A', '+short')).trim()).toBe('127.0.0.1');
    expect(await resolver(server).resolve4('cloud.test', { ttl: true })).toEqual([{ address: '127.0.0.1', ttl: 5 }]);
    expect(await resolver(server).resolve4('b.cloud.test', { ttl: true })).toEqual([{ address: '127.0.0.1', ttl: 5 }]);
    await expect(resolver(server).resolve6('b.cloud.test')).rejects.toMatchObject({ code: 'ENODATA' });
    const nodata = await dig(server, 'b.cloud.test', 'AAAA');
    expect(status(nodata)).toBe('NOERROR');
    expect(nodata).toMatch(/AUTHORITY SECTION:\s*\ncloud\.test\.\s+5\s+IN\s+SOA/);
  });

  it('SOA and NS at the apex', async () => {
    const server = cloud.dns[2] as string;
    const soa = await resolver(server).resolveSoa('cloud.test');
    expect(soa).toMatchObject({ nsname: 'c.cloud.test', hostmaster: 'hostmaster.cloud.test', minttl: 5 });
    expect((await resolver(server).resolveNs('cloud.test')).sort()).toEqual(['a.cloud.test', 'b.cloud.test', 'c.cloud.test']);
    expect((await dig(server, 'cloud.test', 'NS', '+short')).trim().split('\n').sort()).toEqual(['a.cloud.test.', 'b.cloud.test.', 'c.cloud.test.']);
  });

  it('NXDOMAIN inside the zone (with the SOA, negative TTL 5); REFUSED outside it', async () => {
    const server = cloud.dns[0] as string;
    const nx = await dig(server, 'nope.cloud.test', 'A');
    expect(status(nx)).toBe('NXDOMAIN');
    expect(flags(nx)).toContain('aa');
    expect(nx).toMatch(/cloud\.test\.\s+5\s+IN\s+SOA\s+a\.cloud\.test\. hostmaster\.cloud\.test\. \d+ 3600 600 86400 5/);
    await expect(resolver(server).resolve4('nope.cloud.test')).rejects.toMatchObject({ code: 'ENOTFOUND' });
    const refused = await dig(server, 'example.com', 'A');
    expect(status(refused)).toBe('REFUSED');
    expect(flags(refused)).not.toContain('aa');
    await expect(resolver(server).resolve4('example.com')).rejects.toMatchObject({ code: 'EREFUSED' });
  });

  it('the same answers over TCP', async () => {
    const output = await dig(cloud.dns[0] as string, '+tcp', '_gridlink._tcp.cloud.test', 'SRV');
    expect(status(output)).toBe('NOERROR');
    expect(output).toMatch(/\(TCP\)/);
    expect(srvLines(output)).toBe(3);
  });

  it('/healthz reports the load, /host the placement', async () => {
    for (const [i, node] of cloud.nodes.entries()) {
      const base = node.url.replace(/^ws:/, 'http:');
      const health = (await (await fetch(`${base}/healthz`)).json()) as Record<string, unknown>;
      expect(health).toMatchObject({ id: node.id, status: 'ok', load: { links: 0, sessions: 0 } });
      expect(health.dns).toBe(cloud.dns[i]);
      for (const session of ['s1', 's2', 's3']) {
        const body = (await (await fetch(`${base}/host?session=${session}`)).json()) as { host: { id: string; url: string } };
        expect(body.host).toEqual(cloud.hostOf(session));
      }
      expect((await fetch(`${base}/host`)).status).toBe(400);
    }
  });
});

describe.skipIf(!hasDig)(needing('dig', 'DNS truncation and TCP fallback (20 nodes)'), () => {
  let server: DnsServer;
  const nodes = Array.from({ length: 20 }, (_, i) => ({ id: `node${i}`, address: `10.0.0.${i + 1}`, port: 7000 + i, load: { links: i, sessions: 0 }, healthy: true }));

  beforeAll(async () => {
    server = await startDnsServer({ zone: 'cloud.test', view: { snapshot: () => ({ nodes }) } });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('a UDP answer over 512 bytes comes back truncated (TC), and dig retries over TCP for all of it', async () => {
    const udpOnly = await dig(server.address, '+noedns', '+ignore', '_gridlink._tcp.cloud.test', 'SRV');
    expect(flags(udpOnly)).toContain('tc');
    expect(srvLines(udpOnly)).toBeLessThan(20);
    const retried = await dig(server.address, '+noedns', '_gridlink._tcp.cloud.test', 'SRV');
    expect(retried).toMatch(/Truncated, retrying in TCP mode/);
    expect(srvLines(retried)).toBe(20);
    expect(flags(await dig(server.address, '+noedns', '+ignore', 'cloud.test', 'A'))).toContain('tc');
  });

  it("Node's resolver follows TC to TCP and gets every record, least loaded first", async () => {
    const srv = await resolver(server.address).resolveSrv('_gridlink._tcp.cloud.test');
    expect(srv).toHaveLength(20);
    // node0 and node1 (0 and 1 links) share the best band.
    expect(['node0.cloud.test', 'node1.cloud.test']).toContain(srv[0]?.name);
    const priorities = srv.map((r) => r.priority);
    expect(priorities).toEqual([...priorities].sort((x, y) => x - y));
    // node18 and node19 (18 and 19 links) share the worst band.
    expect(['node18.cloud.test', 'node19.cloud.test']).toContain(srv[19]?.name);
    expect(srv[19]?.priority).toBe(Math.max(...priorities));
    const a = await resolver(server.address).resolve4('cloud.test');
    expect(a).toHaveLength(20);
  });
});

describe.skipIf(!hasDig)(needing('dig', '`gridlink cloud --cloud` prints its DNS servers and a dig to try'), () => {
  it('runs the printed dig', async () => {
    const proc = run(process.execPath, [CLI_JS, 'cloud', '--nodes', '2', '--cloud', 'cloud.test']);
    try {
      await proc.waitForOutput('Ctrl-C stops the cloud.');
      const line = /Try: dig @(\S+) -p (\d+) (\S+) SRV/.exec(proc.output());
      expect(line).not.toBeNull();
      expect(proc.output()).toMatch(/DNS for cloud\.test \(UDP and TCP\): 127\.0\.0\.1:\d+ 127\.0\.0\.1:\d+/);
      const [, host, p, name] = line as RegExpExecArray;
      await allListed([`${host}:${p}`], 2);
      const short = await dig(`${host}:${p}`, name as string, 'SRV', '+short');
      expect(short.trim().split('\n')).toHaveLength(2);
    } finally {
      proc.child.kill('SIGINT');
      await proc.exited;
    }
  });
});
