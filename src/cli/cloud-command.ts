/** `gridlink cloud`: a local cloud in the foreground, with its console on stdin, until SIGINT or SIGTERM. */
import { startLocalCloud, type LocalCloudOptions } from '../cloud/local-cloud.js';
import { jsonLinesLogger } from '../process/log-lines.js';
import type { CloudCommandOptions } from './cloud-args.js';
import { CONSOLE_HELP, runConsole } from './cloud-console.js';

export async function runCloud(options: CloudCommandOptions): Promise<number> {
  const stopSignal = new AbortController();
  const onSignal = (): void => stopSignal.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const cloud = await startLocalCloud({ ...cloudOptions(options), signal: stopSignal.signal }).catch((error: unknown) => {
      // Ctrl-C while the nodes were starting: nothing is left running, and that is not a failure.
      if (stopSignal.signal.aborted) return undefined;
      throw error;
    });
    if (cloud === undefined) return 130;
    process.stdout.write(nodeTable(cloud.nodes));
    if (cloud.zone !== undefined) process.stdout.write(dnsLines(cloud.zone, cloud.dns));
    process.stdout.write(CONSOLE_HELP);
    runConsole(cloud, { input: process.stdin, out: (text) => void process.stdout.write(text) }, stopSignal.signal);
    if (!stopSignal.signal.aborted) {
      await new Promise<void>((resolve) => stopSignal.signal.addEventListener('abort', () => resolve(), { once: true }));
    }
    await cloud.stop();
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

export function cloudOptions(options: CloudCommandOptions): LocalCloudOptions {
  const out: LocalCloudOptions = { nodes: options.nodes, host: options.host };
  if (options.ids !== undefined) out.ids = options.ids;
  if (options.cloud !== undefined) out.cloud = options.cloud;
  if (options.dnsPort !== undefined) out.dnsPort = options.dnsPort;
  if (options.heartbeat !== undefined) out.heartbeat = options.heartbeat;
  if (options.peerHeartbeat !== undefined) out.peerHeartbeat = options.peerHeartbeat;
  if (options.memberGraceMs !== undefined) out.memberGraceMs = options.memberGraceMs;
  if (options.settleMs !== undefined) out.settleMs = options.settleMs;
  if (options.maxJoinsPerSecond !== undefined) out.maxJoinsPerSecond = options.maxJoinsPerSecond;
  if (options.verbose) out.logger = jsonLinesLogger(process.stderr);
  return out;
}

/** A plain two-column table: ids padded to the longest one. */
export function nodeTable(nodes: ReadonlyArray<{ id: string; url: string }>): string {
  const width = Math.max(4, ...nodes.map((node) => node.id.length));
  const rows = [`${'NODE'.padEnd(width)}  URL`, ...nodes.map((node) => `${node.id.padEnd(width)}  ${node.url}`)];
  return `${rows.join('\n')}\n`;
}

/** Where the cloud's DNS answers, and a query to try. */
export function dnsLines(zone: string, servers: readonly string[]): string {
  const first = servers[0];
  if (first === undefined) return '';
  const at = first.lastIndexOf(':');
  const host = first.slice(0, at).replace(/^\[(.*)\]$/, '$1');
  return `DNS for ${zone} (UDP and TCP): ${servers.join(' ')}\n` +
    `Try: dig @${host} -p ${first.slice(at + 1)} _gridlink._tcp.${zone} SRV\n`;
}
