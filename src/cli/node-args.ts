/** `gridlink node`: the command line of one cloud node, parsed and checked without starting it. */
import {
  TUNING_OPTIONS,
  TUNING_USAGE,
  UsageError,
  intValue,
  nodeId,
  parseStrict,
  parseTuning,
  stringList,
  stringValue,
  wsUrl,
  type NodeTuning,
  type Parsed,
} from './args.js';

export interface NodeCommandOptions extends NodeTuning {
  id: string;
  port: number;
  host: string;
  /** Advertised URL (e.g. the fault proxy's in the local cloud); default: the node's own. */
  url?: string;
  peers: { id: string; url: string }[];
  /** Log to stderr as JSON lines. */
  verbose: boolean;
}

export const NODE_USAGE = `Usage: gridlink node --id <id> [options]

Runs one gridlink cloud node. Prints one JSON line when listening:
  {"event":"listening","id":"a","port":7001,"url":"ws://127.0.0.1:7001"}
SIGTERM drains (clients migrate away) and exits 0; SIGINT closes and exits 0.
The resume-token secret shared by the cloud's nodes comes from the GRIDLINK_SECRET environment variable.

Options:
  --id <id>                  this node's id (required)
  --port <port>              port to listen on (default 0: any free port)
  --host <address>           address to listen on (default 127.0.0.1)
  --url <ws-url>             URL to advertise to clients and peers (default: the listening address)
  --peer <id=ws-url>         another node of the cloud (repeat for each)
${TUNING_USAGE}
  --verbose                  log to stderr as JSON lines
  -h, --help                 show this help`;

const OPTIONS = {
  id: { type: 'string' },
  port: { type: 'string' },
  host: { type: 'string' },
  url: { type: 'string' },
  peer: { type: 'string', multiple: true },
  verbose: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  ...TUNING_OPTIONS,
} as const;

export function parseNodeArgs(argv: string[]): Parsed<NodeCommandOptions> {
  const values = parseStrict(argv, OPTIONS);
  if (values.help === true) return { kind: 'help' };
  const idText = stringValue(values, 'id');
  if (idText === undefined) throw new UsageError('--id is required');
  const id = nodeId('id', idText);
  const url = stringValue(values, 'url');
  const peers = stringList(values, 'peer').map(parsePeer);
  const seen = new Set<string>([id]);
  for (const peer of peers) {
    if (seen.has(peer.id)) {
      throw new UsageError(peer.id === id ? `--peer ${peer.id} is this node itself` : `--peer ${peer.id} is given twice`);
    }
    seen.add(peer.id);
  }
  const options: NodeCommandOptions = {
    id,
    port: intValue(values, 'port', 0, 65535) ?? 0,
    host: stringValue(values, 'host') ?? '127.0.0.1',
    peers,
    verbose: values.verbose === true,
    ...parseTuning(values),
  };
  if (url !== undefined) options.url = wsUrl('url', url);
  return { kind: 'run', options };
}

function parsePeer(text: string): { id: string; url: string } {
  const at = text.indexOf('=');
  if (at <= 0) throw new UsageError(`--peer must be id=ws-url, got '${text}'`);
  return { id: nodeId('peer', text.slice(0, at)), url: wsUrl('peer', text.slice(at + 1)) };
}
