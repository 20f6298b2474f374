/** `gridlink node`: the command line of one cloud node, parsed and checked without starting it. */
import { isIP } from 'node:net';
import { isCookiePair } from '../protocol/codec.js';
import type { NodeServerOptions } from '../server/node/options.js';
import { isZoneName } from '../server/dns/names.js';
import { parseCidr } from '../server/dns/subnets.js';
import { parseDnsServer, parsePeerSource } from '../server/peers/peer-source.js';
import { UsageError, intValue, parseStrict, stringList, stringValue, wsUrl, type Parsed, type Values } from '../process/args.js';
import {
  METRICS_OPTIONS,
  METRICS_USAGE,
  TUNING_OPTIONS,
  nodeId,
  parseMetricsFlags,
  parseTuning,
  tuningUsage,
  type MetricsFlags,
  type NodeTuning,
} from '../process/node-flags.js';
import { PUBLISH_OPTIONS, PUBLISH_USAGE, parsePublishFlags, type PublishFlags } from '../process/publish-flags.js';
import { configValues, readConfigFile, withConfigFile } from './node-config.js';

/** What `gridlink node` passes on to `startNode`: the same options, documented there, plus the CLI's own. */
export interface NodeCommandOptions
  extends NodeTuning,
    Pick<NodeServerOptions, 'url' | 'peersFrom' | 'peersDnsServers' | 'proxy' | 'trustedProxies' | 'cloud' | 'dnsPort' | 'dnsHost' | 'dnsTtlSec' | 'address' | 'region' | 'subnets'> {
  id: string;
  port: number;
  host: string;
  peers: { id: string; url: string; cookie?: string }[];
  /** Log to stderr as JSON lines. */
  verbose: boolean;
  /** `--auth-…`: admit only clients with a valid JWT (see `NodeAuthFlags`). */
  auth?: NodeAuthFlags;
  /** `--metrics`, `--metrics-token-env`: serve `/metrics`. */
  metrics?: MetricsFlags;
  /** `--publish`, `--publish-keys-env`: take publishes over HTTP. */
  publish?: PublishFlags;
}

/**
 * Where the node's JWT key comes from, as the flags name it: never the key itself, since a command
 * line is visible to every local user (`ps`). `runNode` reads the variable or file when it starts.
 */
export interface NodeAuthFlags {
  key: { kind: 'secret-env'; name: string } | { kind: 'public-key'; file: string } | { kind: 'jwks-url'; url: string };
  issuer?: string[];
  audience?: string[];
}

export const NODE_USAGE = `Usage: gridlink node --id <id> [options]
       gridlink node --config <file.yaml> [options]

Runs one gridlink cloud node. Prints one JSON line when listening:
  {"event":"listening","id":"a","port":7001,"url":"ws://127.0.0.1:7001"}
(with --cloud, also "dns":"127.0.0.1:5353": where its DNS server listens, UDP and TCP).
SIGTERM drains (clients migrate away) and exits 0; SIGINT closes and exits 0.
The resume-token secret shared by the cloud's nodes comes from the GRIDLINK_SECRET environment variable.

Options:
  --config <file.yaml>       read options from a YAML file: each key is a flag's name without --
                             (dns-port: 5353, verbose: true), a repeatable flag's key takes a list
                             (peer: [b=ws://10.0.0.2:7001]); a flag given too replaces the file's key.
                             No secret in the file: it stays in GRIDLINK_SECRET
  --id <id>                  this node's id (required)
  --port <port>              port to listen on (default 0: one the system picks)
  --host <address>           address to listen on (default 127.0.0.1)
  --url <ws-url>             URL to advertise to clients and peers (default: the listening address)
  --peer <id=ws-url>         another node of the cloud (repeat for each)
  --peers <source>           the other nodes from DNS instead of --peer, re-read on the TTL:
                             srv:<name> (SRV; a node's id is its target's first label) or
                             a:<name>:<port> (A/AAAA of a headless service)
  --peers-dns-server <ip[:port]>  DNS server --peers asks instead of the system's (repeat for each)
  --proxy-url <ws-url>       behind a reverse proxy: its public URL, which clients are told to use
  --proxy-cookie <n=v>       this node's sticky cookie at the proxy (e.g. SRVNAME=S1); needs --proxy-url
  --peer-cookie <id=n=v>     a peer's sticky cookie at the proxy (e.g. b=SRVNAME=S2; repeat for each)
  --trusted-proxy <ip|cidr>  believe X-Forwarded-For/-Host only from this address (repeat for each)
  --cloud <zone>             the cloud's DNS zone (e.g. cloud.test): run its DNS server beside the node
  --dns-port <port>          DNS server port, UDP and TCP (default 0: one the system picks)
  --dns-host <address>       DNS server address (default: --host)
  --dns-ttl <seconds>        TTL of the DNS records (default 5)
  --address <ip>             the IP address DNS publishes for this node (default: --url's host, if an IP)
  --region <name>            this node's region, for "closest node" DNS answers
  --subnet <cidr>            clients in this block get this node first (repeat for each)
${tuningUsage('200')}
${METRICS_USAGE}
${PUBLISH_USAGE}

Authentication (JWTs the app's backend signs; give one key flag, or none to admit anyone):
  --auth-jwt-secret-env <NAME>  HS256: the key (at least 32 bytes) is in environment variable NAME
  --auth-jwt-public-key <file>  a PEM public key: RS256 (RSA), ES256 (P-256), ES384 (P-384), EdDSA (Ed25519)
  --auth-jwks-url <https-url>   the keys of this JWKS (fetched on first use, cached 10 minutes)
  --auth-issuer <iss>           the token's iss must be this (repeat to allow several)
  --auth-audience <aud>         the token's aud must be this (repeat to allow several)
A token must carry exp and session (a string) or sessions (strings; "room-*" grants a prefix, "*" all);
its sub, when present, must be the client id. Refused clients get GRIDLINK_UNAUTHORIZED.

  --verbose                  log to stderr as JSON lines
  -h, --help                 show this help`;

const OPTIONS = {
  id: { type: 'string' },
  port: { type: 'string' },
  host: { type: 'string' },
  url: { type: 'string' },
  peer: { type: 'string', multiple: true },
  peers: { type: 'string' },
  'peers-dns-server': { type: 'string', multiple: true },
  'proxy-url': { type: 'string' },
  'proxy-cookie': { type: 'string' },
  'peer-cookie': { type: 'string', multiple: true },
  'trusted-proxy': { type: 'string', multiple: true },
  cloud: { type: 'string' },
  'dns-port': { type: 'string' },
  'dns-host': { type: 'string' },
  'dns-ttl': { type: 'string' },
  address: { type: 'string' },
  region: { type: 'string' },
  subnet: { type: 'string', multiple: true },
  'auth-jwt-secret-env': { type: 'string' },
  'auth-jwt-public-key': { type: 'string' },
  'auth-jwks-url': { type: 'string' },
  'auth-issuer': { type: 'string', multiple: true },
  'auth-audience': { type: 'string', multiple: true },
  verbose: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  config: { type: 'string' },
  ...TUNING_OPTIONS,
  ...METRICS_OPTIONS,
  ...PUBLISH_OPTIONS,
} as const;

/** `readFile` reads `--config`'s file (tests pass the text); flags given beside it win over its keys. */
export function parseNodeArgs(argv: string[], readFile: (file: string) => string = readConfigFile): Parsed<NodeCommandOptions> {
  const flags = parseStrict(argv, OPTIONS);
  const file = stringValue(flags, 'config');
  if (file === undefined || flags.help === true) return nodeArgs(flags);
  return withConfigFile(file, configValues(readFile(file), file, OPTIONS), flags, nodeArgs);
}

function nodeArgs(values: Values): Parsed<NodeCommandOptions> {
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
  Object.assign(options, peersFlags(values, peers.length));
  Object.assign(options, dnsFlags(values), proxyFlags(values, peers), parseMetricsFlags(values), parsePublishFlags(values));
  const auth = authFlags(values);
  if (auth !== undefined) options.auth = auth;
  return { kind: 'run', options };
}

/** --peers (DNS) and --peers-dns-server; --peers replaces --peer, it does not add to it. */
function peersFlags(values: Values, staticPeers: number): Pick<NodeCommandOptions, 'peersFrom' | 'peersDnsServers'> {
  const source = stringValue(values, 'peers');
  const servers = stringList(values, 'peers-dns-server');
  if (source === undefined) {
    if (servers.length > 0) throw new UsageError('--peers-dns-server needs --peers');
    return {};
  }
  if (staticPeers > 0) throw new UsageError('--peers cannot be combined with --peer: list the peers, or read them from DNS');
  try {
    parsePeerSource(source);
    servers.forEach(parseDnsServer);
  } catch (error) {
    throw new UsageError(`--peers${servers.length > 0 ? '/--peers-dns-server' : ''}: ${(error as Error).message}`);
  }
  return servers.length > 0 ? { peersFrom: source, peersDnsServers: servers } : { peersFrom: source };
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** One key flag (or none), and the claims that need one. */
function authFlags(values: ReturnType<typeof parseStrict>): NodeAuthFlags | undefined {
  const secretEnv = stringValue(values, 'auth-jwt-secret-env');
  const publicKey = stringValue(values, 'auth-jwt-public-key');
  const jwksUrl = stringValue(values, 'auth-jwks-url');
  const issuer = stringList(values, 'auth-issuer');
  const audience = stringList(values, 'auth-audience');
  const given = [secretEnv, publicKey, jwksUrl].filter((flag) => flag !== undefined).length;
  if (given > 1) throw new UsageError('give one of --auth-jwt-secret-env, --auth-jwt-public-key and --auth-jwks-url');
  if (given === 0) {
    if (issuer.length > 0 || audience.length > 0) throw new UsageError('--auth-issuer and --auth-audience need a key flag (--auth-jwt-secret-env, --auth-jwt-public-key or --auth-jwks-url)');
    return undefined;
  }
  let key: NodeAuthFlags['key'];
  if (secretEnv !== undefined) {
    // Not quoted: someone who misread the flag may have put the key itself here.
    if (!ENV_NAME.test(secretEnv)) throw new UsageError('--auth-jwt-secret-env takes the NAME of an environment variable holding the key (letters, digits, _), not the key');
    key = { kind: 'secret-env', name: secretEnv };
  } else if (publicKey !== undefined) {
    if (publicKey === '') throw new UsageError('--auth-jwt-public-key must be a file name');
    key = { kind: 'public-key', file: publicKey };
  } else {
    key = { kind: 'jwks-url', url: httpsUrl('auth-jwks-url', jwksUrl ?? '') };
  }
  for (const [flag, list] of [['auth-issuer', issuer], ['auth-audience', audience]] as const) {
    if (list.some((item) => item === '')) throw new UsageError(`--${flag} must not be empty`);
  }
  return { key, ...(issuer.length > 0 ? { issuer } : {}), ...(audience.length > 0 ? { audience } : {}) };
}

function httpsUrl(flag: string, text: string): string {
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (url?.protocol !== 'https:') throw new UsageError(`--${flag} must be an https:// URL, got '${text.slice(0, 100)}'`);
  return text;
}

type ProxyFlags = Pick<NodeCommandOptions, 'proxy' | 'trustedProxies'>;

/** --proxy-url/--proxy-cookie (both or neither), --peer-cookie id=name=value, --trusted-proxy. */
function proxyFlags(values: ReturnType<typeof parseStrict>, peers: NodeCommandOptions['peers']): ProxyFlags {
  const out: ProxyFlags = {};
  const proxyUrl = stringValue(values, 'proxy-url');
  const proxyCookie = stringValue(values, 'proxy-cookie');
  if ((proxyUrl === undefined) !== (proxyCookie === undefined)) throw new UsageError('--proxy-url and --proxy-cookie go together');
  if (proxyUrl !== undefined && proxyCookie !== undefined) out.proxy = { url: wsUrl('proxy-url', proxyUrl), cookie: cookiePair('proxy-cookie', proxyCookie) };
  for (const text of stringList(values, 'peer-cookie')) {
    if (out.proxy === undefined) throw new UsageError('--peer-cookie needs --proxy-url and --proxy-cookie');
    const at = text.indexOf('=');
    const peer = peers.find((p) => p.id === text.slice(0, at));
    if (at <= 0 || peer === undefined) throw new UsageError(`--peer-cookie must be id=name=value for a --peer id, got '${text}'`);
    peer.cookie = cookiePair('peer-cookie', text.slice(at + 1));
  }
  const trusted = stringList(values, 'trusted-proxy');
  for (const entry of trusted) if (parseCidr(entry) === undefined) throw new UsageError(`--trusted-proxy must be an IP address or CIDR block, got '${entry}'`);
  if (trusted.length > 0) out.trustedProxies = trusted;
  return out;
}

function cookiePair(flag: string, text: string): string {
  if (!isCookiePair(text)) throw new UsageError(`--${flag} must be one name=value cookie pair like SRVNAME=S1, got '${text}'`);
  return text;
}

type DnsFlags = Pick<NodeCommandOptions, 'cloud' | 'dnsPort' | 'dnsHost' | 'dnsTtlSec' | 'address' | 'region' | 'subnets'>;

function dnsFlags(values: ReturnType<typeof parseStrict>): DnsFlags {
  const out: DnsFlags = {};
  const cloud = stringValue(values, 'cloud');
  if (cloud !== undefined) {
    if (!isZoneName(cloud)) throw new UsageError(`--cloud must be a DNS zone name like cloud.example.com, got '${cloud}'`);
    out.cloud = cloud;
  } else {
    for (const flag of ['dns-port', 'dns-host', 'dns-ttl']) if (values[flag] !== undefined) throw new UsageError(`--${flag} needs --cloud`);
  }
  const dnsPort = intValue(values, 'dns-port', 0, 65535);
  const dnsTtlSec = intValue(values, 'dns-ttl', 0, 86_400);
  if (dnsPort !== undefined) out.dnsPort = dnsPort;
  if (dnsTtlSec !== undefined) out.dnsTtlSec = dnsTtlSec;
  for (const [flag, key] of [['dns-host', 'dnsHost'], ['address', 'address']] as const) {
    const text = stringValue(values, flag);
    if (text === undefined) continue;
    if (isIP(text) === 0) throw new UsageError(`--${flag} must be an IP address, got '${text}'`);
    out[key] = text;
  }
  const region = stringValue(values, 'region');
  if (region !== undefined) out.region = region;
  const subnets = stringList(values, 'subnet');
  for (const cidr of subnets) if (parseCidr(cidr) === undefined) throw new UsageError(`--subnet must be a CIDR block like 10.1.0.0/16, got '${cidr}'`);
  if (subnets.length > 0) out.subnets = subnets;
  return out;
}

function parsePeer(text: string): { id: string; url: string } {
  const at = text.indexOf('=');
  if (at <= 0) throw new UsageError(`--peer must be id=ws-url, got '${text}'`);
  return { id: nodeId('peer', text.slice(0, at)), url: wsUrl('peer', text.slice(at + 1)) };
}
