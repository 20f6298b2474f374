/**
 * `gridlink probe <cloud>`: what a client would see. Resolves the cloud exactly as the client's DNS
 * resolver does, probes every node's `/healthz` in parallel (dialled by the resolved address, Host
 * its name), and prints one row per node, the node the `assigned` policy would try first, and —
 * with `--session` — the session's host as a healthy node reports it (`GET /host?session=`),
 * cross-checked with the rendezvous owner over the healthy nodes.
 */
import { type GridlinkError, isGridlinkError } from '../core/errors.js';
import { assignedPolicy } from '../choose/policy.js';
import { rendezvousOwner } from '../protocol/rendezvous.js';
import { getJson, probeHealth, type HealthProbe } from '../dial/health.js';
import { nodePlatform } from '../platform/node/index.js';
import type { Platform } from '../platform/types.js';
import { dnsResolver, SRV_SERVICE, type DnsAnswer } from '../resolve/dns.js';
import type { ResolvedNode } from '../resolve/resolver.js';
import type { CliIo } from './io.js';
import type { ProbeCommandOptions } from './probe-args.js';

interface Row {
  readonly node: ResolvedNode;
  readonly probe: HealthProbe | undefined;
  readonly error: GridlinkError | undefined;
}

const DNS_GUARD_MS = 15_000;

const healthy = (row: Row): boolean => row.probe !== undefined && (row.probe.health.status ?? 'ok') === 'ok';
const idOf = (row: Row): string => row.probe?.health.id ?? row.node.id;
const fail = (error: unknown): string => (isGridlinkError(error) ? `${error.message} [${error.code}]` : String(error));

export async function runProbe(options: ProbeCommandOptions, io: CliIo, platform: Platform = nodePlatform): Promise<number> {
  const servers = options.dns.length > 0 ? options.dns.join(', ') : 'the system resolver';
  if (platform.dns === undefined) throw new Error('this platform cannot query DNS');
  const warnings: GridlinkError[] = [];
  const resolver = dnsResolver(platform.dns(options.dns), { ...options, onProblem: (e) => warnings.push(e) });
  let answer: DnsAnswer;
  try {
    answer = await resolver.lookup(AbortSignal.timeout(DNS_GUARD_MS));
  } catch (error) {
    io.err(`gridlink probe: cannot resolve ${options.cloud} via ${servers}: ${fail(error)}\n`);
    return 1;
  }
  const rows: Row[] = await Promise.all(
    answer.nodes.map(async (node) => {
      try {
        return { node, probe: await probeHealth(platform, node, { timeoutMs: options.timeoutMs }), error: undefined };
      } catch (error) {
        return { node, probe: undefined, error: isGridlinkError(error) ? error : undefined };
      }
    }),
  );
  const from = answer.via === 'srv' ? `SRV ${SRV_SERVICE}.${options.cloud}` : `A/AAAA ${options.cloud} (no SRV record)`;
  io.out(`${options.cloud}: ${rows.length} node${rows.length === 1 ? '' : 's'} from ${from} via ${servers}; answer good for ${(answer.ttlMs / 1000).toFixed(0)} s\n\n`);
  const assigned = assignedPolicy.rank(answer.nodes, { session: options.session ?? '', failed: new Set() })[0];
  io.out(table(rows, assigned));
  for (const warning of warnings) io.out(`warning: ${fail(warning)}\n`);
  const live = rows.filter(healthy);
  for (const row of rows) if (row.error !== undefined) io.out(`${idOf(row)}: ${row.error.message}\n`);
  if (live.length === 0) {
    io.err(`gridlink probe: no node of ${options.cloud} is healthy\n`);
    if (options.scheme === 'wss' && !options.schemeGiven) io.err('hint: probed over wss:// (the default); if the nodes speak plain ws:// (a local cloud does), add --scheme ws\n');
    return 1;
  }
  io.out(`\nassigned: ${assigned === undefined ? '-' : assigned.id} (first in the cloud's order${assigned !== undefined && !live.some((r) => r.node === assigned) ? '; NOT healthy' : ''})\n`);
  if (options.session !== undefined) io.out(`${await hostLine(platform, options, live)}\n`);
  return 0;
}

function table(rows: readonly Row[], assigned: ResolvedNode | undefined): string {
  const lines = [['NODE', 'ADDRESS', 'LOAD (links/sessions)', 'RTT', 'HEALTH', '']];
  for (const row of rows) {
    const port = new URL(row.node.url).port || (row.node.url.startsWith('wss:') ? '443' : '80');
    const address = row.node.address?.includes(':') === true ? `[${row.node.address}]` : (row.node.address ?? new URL(row.node.url).hostname);
    const load = row.probe?.health.load;
    lines.push([
      idOf(row),
      `${address}:${port}`,
      load === undefined ? '-' : `${load.links ?? '?'}/${load.sessions ?? '?'}`,
      row.probe === undefined ? '-' : `${row.probe.rttMs.toFixed(1)} ms`,
      row.probe === undefined ? `down (${row.error?.code ?? 'error'})` : (row.probe.health.status ?? 'ok'),
      row.node === assigned ? '<- assigned' : '',
    ]);
  }
  const widths = (lines[0] as string[]).map((_, i) => Math.max(...lines.map((l) => (l[i] as string).length)));
  return lines.map((l) => l.map((cell, i) => cell.padEnd(widths[i] as number)).join('  ').trimEnd()).join('\n') + '\n';
}

/** The session's host, as the first healthy node answers it, checked against rendezvous. */
async function hostLine(platform: Platform, options: ProbeCommandOptions, live: readonly Row[]): Promise<string> {
  const session = options.session as string;
  const owner = rendezvousOwner(session, live, idOf);
  const expected = owner === undefined ? '-' : idOf(owner);
  const asked = live[0] as Row;
  try {
    const { body } = await getJson(platform, asked.node, `/host?session=${encodeURIComponent(session)}`, { timeoutMs: options.timeoutMs });
    const host = (body as { host?: { id?: unknown } } | null)?.host;
    if (typeof host?.id !== 'string') throw new Error('answer has no host.id');
    const agree = host.id === expected ? 'rendezvous over the healthy nodes agrees' : `rendezvous over the healthy nodes says ${expected}: the nodes' views differ (a node joining or leaving)`;
    return `session ${session}: hosted on ${host.id.slice(0, 128)} (GET /host on ${idOf(asked)}); ${agree}`;
  } catch (error) {
    return `session ${session}: ${expected} by rendezvous over the healthy nodes (GET /host on ${idOf(asked)} failed: ${fail(error)})`;
  }
}
