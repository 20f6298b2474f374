/** `gridlink probe`: its command line, parsed and checked without touching the network. */
import { parseArgs } from 'node:util';
import { isGridlinkError } from '../core/errors.js';
import { normalizeCloudOptions, type NormalizedCloudOptions } from '../client/options.js';
import { UsageError, intValue, stringList, stringValue, type Parsed } from '../process/args.js';

export interface ProbeCommandOptions extends NormalizedCloudOptions {
  session?: string;
  /** Whether --scheme was given (a failure over the default wss:// then gets a hint). */
  schemeGiven: boolean;
  /** Per HTTP request. */
  timeoutMs: number;
}

export const PROBE_USAGE = `Usage: gridlink probe <cloud> [options]

Resolves the cloud like a client does (SRV _gridlink._tcp.<cloud>, then A/AAAA), asks every node
for its health, and prints: node id, address, load, round trip, health, the node a client would be
assigned, and (with --session) where that session is hosted. Exits 1 when the cloud cannot be
resolved or no node is healthy.

Options:
  --dns <ip[:port]>          a DNS server to ask; repeat for several (default: the system's)
  --session <id>             also show where this session is hosted
  --scheme <ws|wss>          scheme of the nodes (default wss)
  --port <n>                 node port when the cloud has no SRV record (default 443 / 80)
  --timeout <ms>             per request to a node (default 2000)
  -h, --help                 show this help`;

const OPTIONS = {
  dns: { type: 'string', multiple: true },
  session: { type: 'string' },
  scheme: { type: 'string' },
  port: { type: 'string' },
  timeout: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export function parseProbeArgs(argv: string[]): Parsed<ProbeCommandOptions> {
  let parsed: ReturnType<typeof parseArgs<{ args: string[]; options: typeof OPTIONS; strict: true; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: true });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  if (values.help === true) return { kind: 'help' };
  if (positionals.length === 0) throw new UsageError('probe needs the cloud name, e.g. gridlink probe cloud.example.com');
  if (positionals.length > 1) throw new UsageError(`unexpected argument '${positionals[1]}'`);
  const scheme = stringValue(values, 'scheme');
  if (scheme !== undefined && scheme !== 'ws' && scheme !== 'wss') throw new UsageError(`--scheme must be ws or wss, got '${scheme}'`);
  const port = intValue(values, 'port', 1, 65535);
  const session = stringValue(values, 'session');
  if (session !== undefined && (session.length === 0 || session.length > 128)) throw new UsageError('--session must be 1-128 characters');
  let cloud: NormalizedCloudOptions;
  try {
    cloud = normalizeCloudOptions({ cloud: positionals[0] as string, dns: stringList(values, 'dns'), ...(scheme === undefined ? {} : { scheme }), ...(port === undefined ? {} : { port }) });
  } catch (error) {
    // The shared validator names the client option ('cloud', 'dns[0]'); say it in CLI terms.
    const message = isGridlinkError(error) ? error.message.replace(/^dns\[\d+\]/, '--dns').replace(/^cloud\b/, '<cloud>') : String(error);
    throw new UsageError(message);
  }
  const options: ProbeCommandOptions = { ...cloud, schemeGiven: scheme !== undefined, timeoutMs: intValue(values, 'timeout', 1, 60_000) ?? 2000 };
  if (session !== undefined) options.session = session;
  return { kind: 'run', options };
}
