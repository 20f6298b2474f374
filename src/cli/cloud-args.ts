/** `gridlink cloud`: the command line of a local cloud, parsed and checked without starting it. */
import { isZoneName } from '../server/dns/names.js';
import { UsageError, intValue, parseStrict, stringValue, type Parsed } from '../process/args.js';
import { TUNING_OPTIONS, tuningUsage, nodeId, parseTuning, type NodeTuning } from '../process/node-flags.js';

export interface CloudCommandOptions extends NodeTuning {
  nodes: number;
  ids?: string[];
  host: string;
  /** The cloud's DNS zone: every node runs its DNS server. */
  cloud?: string;
  /** First DNS port (node i: dnsPort + i); default ephemeral. */
  dnsPort?: number;
  verbose: boolean;
}

export const CLOUD_USAGE = `Usage: gridlink cloud [options]

Starts a local cloud in the foreground: nodes as child processes on loopback, each behind its own
fault proxy. Prints the nodes' ids and URLs; Ctrl-C (SIGINT) or SIGTERM stops it.

Options:
  --nodes <n>                how many nodes, 1-26 (default 3)
  --ids <a,b,c>              node ids, comma-separated (default a, b, c, ...)
  --host <address>           address the proxies listen on (default 127.0.0.1)
  --cloud <zone>             serve the cloud's DNS zone (e.g. cloud.test) from every node, on 127.0.0.1
  --dns-port <port>          first DNS port: node i listens on port + i (default: ports the system picks)
${tuningUsage('off: all of a local cloud\'s clients share one address')}
  --verbose                  show the nodes' logs on stderr
  -h, --help                 show this help`;

const OPTIONS = {
  nodes: { type: 'string' },
  ids: { type: 'string' },
  host: { type: 'string' },
  cloud: { type: 'string' },
  'dns-port': { type: 'string' },
  verbose: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  ...TUNING_OPTIONS,
} as const;

export function parseCloudArgs(argv: string[]): Parsed<CloudCommandOptions> {
  const values = parseStrict(argv, OPTIONS);
  if (values.help === true) return { kind: 'help' };
  const idsText = stringValue(values, 'ids');
  const ids = idsText?.split(',').map((id) => nodeId('ids', id.trim()));
  if (ids !== undefined && new Set(ids).size !== ids.length) throw new UsageError('--ids has a duplicate id');
  if (ids !== undefined && ids.length > 26) throw new UsageError('--ids lists more than 26 nodes');
  const nodes = intValue(values, 'nodes', 1, 26) ?? ids?.length ?? 3;
  if (ids !== undefined && ids.length !== nodes) {
    throw new UsageError(`--nodes ${nodes} does not match the ${ids.length} ids of --ids`);
  }
  const options: CloudCommandOptions = {
    nodes,
    host: stringValue(values, 'host') ?? '127.0.0.1',
    verbose: values.verbose === true,
    ...parseTuning(values),
  };
  if (ids !== undefined) options.ids = ids;
  const cloud = stringValue(values, 'cloud');
  if (cloud !== undefined && !isZoneName(cloud)) throw new UsageError(`--cloud must be a DNS zone name like cloud.test, got '${cloud}'`);
  if (cloud !== undefined) options.cloud = cloud;
  const dnsPort = intValue(values, 'dns-port', 0, 65535 - (nodes - 1));
  if (dnsPort !== undefined && cloud === undefined) throw new UsageError('--dns-port needs --cloud');
  if (dnsPort !== undefined) options.dnsPort = dnsPort;
  return { kind: 'run', options };
}
