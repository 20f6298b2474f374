/**
 * A real Prometheus (Debian's `prometheus` package) scrapes two `gridlink node` processes started
 * as an operator would (`--metrics --metrics-token-env`, the token in the environment and in
 * Prometheus's credentials file), and answers queries for their series. Loopback only; every wait
 * is a hang guard.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePorts, join, cleanupAll } from '../helpers/raw-node.js';
import { run, type Proc } from '../helpers/spawn.js';
import { needing, requireTool } from '../helpers/tools.js';
import { waitFor } from '../helpers/wait.js';

const hasPrometheus = requireTool('prometheus');
const CLI = joinPath(process.cwd(), 'dist', 'cli.js');
const TOKEN = 'prometheus-scrape-token-0123456789';

const procs: Proc[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await cleanupAll();
  for (const proc of procs.splice(0)) {
    if (proc.child.exitCode === null && proc.child.signalCode === null) proc.child.kill('SIGKILL');
    await proc.exited;
  }
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

async function query(port: number, promql: string): Promise<Sample[]> {
  const res = await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(promql)}`);
  const body = (await res.json()) as { status: string; data?: { result: Sample[] } };
  if (body.status !== 'success') throw new Error(`query ${promql} failed: ${JSON.stringify(body)}`);
  return body.data?.result ?? [];
}

describe.skipIf(!hasPrometheus)(needing('prometheus', 'a real Prometheus scrapes a running cloud'), () => {
  it('scrapes both nodes with the bearer token and answers a query for their series', async () => {
    const [portA, portB, promPort] = (await freePorts(3)) as [number, number, number];
    const env = { GRIDLINK_SECRET: 'metrics-cloud-secret', SCRAPE_TOKEN: TOKEN };
    const peers = { a: `ws://127.0.0.1:${portA}`, b: `ws://127.0.0.1:${portB}` };
    for (const [id, port, other] of [['a', portA, 'b'], ['b', portB, 'a']] as const) {
      const proc = run(process.execPath, [CLI, 'node', '--id', id, '--port', String(port), '--peer', `${other}=${peers[other]}`, '--metrics', '--metrics-token-env', 'SCRAPE_TOKEN'], { env });
      procs.push(proc);
      await proc.waitForOutput('"event":"listening"');
    }
    // Some traffic: one member joins the session's host (rendezvous placement picks it).
    const { c: ann } = await join(peers.a, 'observed', 'ann').catch(() => join(peers.b, 'observed', 'ann'));
    expect(ann.ws.readyState).toBe(1);

    const dir = mkdtempSync(joinPath(tmpdir(), 'gridlink-prometheus-'));
    dirs.push(dir);
    const tokenFile = joinPath(dir, 'token');
    writeFileSync(tokenFile, TOKEN);
    const config = joinPath(dir, 'prometheus.yml');
    writeFileSync(
      config,
      [
        'global:',
        '  scrape_interval: 1s',
        '  scrape_timeout: 1s',
        'scrape_configs:',
        '  - job_name: gridlink',
        '    authorization:',
        `      credentials_file: ${tokenFile}`,
        '    static_configs:',
        `      - targets: ['127.0.0.1:${portA}', '127.0.0.1:${portB}']`,
        '',
      ].join('\n'),
    );
    const prometheus = run('prometheus', [
      `--config.file=${config}`,
      `--storage.tsdb.path=${joinPath(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${promPort}`,
    ]);
    procs.push(prometheus);
    await prometheus.waitForOutput('Server is ready to receive web requests', 30_000);

    // Both targets up (a wrong token would make them down: the nodes answer 401).
    let up: Sample[] = [];
    await waitFor('Prometheus to scrape both nodes', async () => {
      up = await query(promPort, 'up{job="gridlink"}');
      return up.length === 2 && up.every((sample) => sample.value[1] === '1');
    }, { guardMs: 30_000, everyMs: 250, detail: () => JSON.stringify(up) });

    let joins: Sample[] = [];
    await waitFor('gridlink_joins_total in Prometheus', async () => {
      joins = await query(promPort, 'sum(gridlink_joins_total{job="gridlink"})');
      return joins.length === 1 && joins[0]!.value[1] === '1';
    }, { guardMs: 30_000, everyMs: 250, detail: () => JSON.stringify(joins) });

    const sessions = await query(promPort, 'gridlink_sessions{job="gridlink"}');
    expect(sessions.map((s) => s.metric.node).sort()).toEqual(['a', 'b']);
    expect(sessions.reduce((sum, s) => sum + Number(s.value[1]), 0)).toBe(1);
    const heard = await query(promPort, 'gridlink_peer_links{job="gridlink",state="heard"}');
    expect(heard.map((s) => s.value[1])).toEqual(['1', '1']);
    // `gridlink node` adds the process's own series.
    expect((await query(promPort, 'process_resident_memory_bytes{job="gridlink"}')).length).toBe(2);

    prometheus.child.kill('SIGTERM');
    await prometheus.exited;
  });
});
