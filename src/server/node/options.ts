/**
 * The node's options, normalized once. Everything a caller can get wrong fails here, synchronously,
 * naming the option; the rest of `src/server/` sees only the readonly `NodeConfig`.
 */
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { OptionsError } from '../../core/errors.js';
import { safeLogger, type Logger } from '../../core/logger.js';
import { isCookiePair, MAX_ID_LENGTH } from '../../protocol/codec.js';
import type { HeartbeatSettings, NodeInfo } from '../../protocol/frames.js';
import { isHostLabel, isZoneName, canonicalName } from '../dns/names.js';
import { parseCidr } from '../dns/subnets.js';
import { MAX_REGION_LENGTH, MAX_SUBNETS } from '../peers/frames.js';
import type { ProxySettings } from './proxy-view.js';

export interface NodeServerOptions {
  /** Stable node id (1..128 chars), the same across restarts. */
  id: string;
  /** Port to listen on; default 0 (ephemeral). */
  port?: number;
  /** Interface to listen on; default '127.0.0.1'. */
  host?: string;
  /** URL clients and peers reach this node at (advertised); default `ws://${host}:${port}`. */
  url?: string;
  /**
   * The other nodes of the cloud. An entry with this node's own id is ignored. Behind a proxy,
   * `cookie` is the peer's sticky cookie there (`SRVNAME=S2`): clients are sent to it through the proxy.
   */
  peers?: NodeInfo[];
  /**
   * This node sits behind a reverse proxy with sticky cookies: clients are told to reach every node
   * at `url` (the proxy's public URL) with that node's `cookie` (e.g. `SRVNAME=S1`, as the proxy's
   * `server … cookie S1` line inserts it). Peers still dial each other at their own URLs.
   */
  proxy?: { url: string; cookie: string };
  /**
   * Addresses (IPs or CIDR blocks) of the reverse proxies whose `X-Forwarded-For` and
   * `X-Forwarded-Host` this node believes; from any other peer those headers are ignored. Default none.
   */
  trustedProxies?: string[];
  /**
   * The cloud's shared secret: signs resume tokens and authenticates peer links. Default random per
   * node: resume tokens then work only on the node that issued them, and peer links are not
   * authenticated.
   */
  secret?: string;
  /** Node <-> client heartbeat; defaults 1000 / 10000 (generous: browser tabs get throttled). */
  heartbeat?: { intervalMs?: number; timeoutMs?: number };
  /** Node <-> node heartbeat; defaults 500 / 1500 (brisker than clients, see docs/protocol.md). */
  peerHeartbeat?: { intervalMs?: number; timeoutMs?: number };
  /** How long a detached member is kept for its return; default 15000. */
  memberGraceMs?: number;
  /** No acknowledgements for this long after a session arrives by migration; default 3000. */
  settleMs?: number;
  /** Largest frame accepted, in bytes; default 1 MiB. */
  maxFrameBytes?: number;
  /** Lifetime of a resume token; default 3_600_000. */
  tokenTtlMs?: number;
  /** Default deadline of `drain()`; default 5000. */
  drainDeadlineMs?: number;
  /** The cloud's DNS zone (e.g. 'cloud.example.com'): set it and the node runs the cloud's DNS server beside itself. */
  cloud?: string;
  /** UDP+TCP port of the DNS server; default 0 (ephemeral: see `NodeServer.dns`). */
  dnsPort?: number;
  /** Address the DNS server listens on (an IP literal); default: `host`. */
  dnsHost?: string;
  /** TTL of the DNS records; default 5. */
  dnsTtlSec?: number;
  /** The IP address DNS publishes for this node; default: the advertised URL's host, when it is an IP. */
  address?: string;
  /** This node's region, for "closest node" DNS answers. */
  region?: string;
  /** CIDR blocks whose clients this node is closest to (DNS ranks it first for them). */
  subnets?: string[];
  /**
   * Decides whether a client may join, from its hello's `token` (option `token`/`getToken`), before
   * placement: false or a throw refuses it (`error { code: 'unauthorized' }`, close 4004). Runs on
   * every node a client reaches, first joins and migrations alike (`resumed`: the hello carries a
   * valid resume token for this session and client). Bounded by half the handshake timeout
   * (2.5 s by default): a hook still pending then answers `busy` (the client retries later), not
   * `unauthorized`: a slow auth service is not a wrong token.
   */
  authenticate?: (request: AuthenticateRequest) => boolean | Promise<boolean>;
  /**
   * Joins (client hellos) accepted per second per client address, in bursts of up to twice that;
   * more are answered `error { code: 'busy' }` and closed (1013). Default 200 (high enough for a
   * failover storm of clients behind one NAT, low enough to blunt a flood); `Infinity` turns it
   * off. Behind a reverse proxy, set `trustedProxies`, or every client shares the proxy's address.
   */
  maxJoinsPerSecond?: number;
  logger?: Logger;
}

/** What the `authenticate` hook is asked about. */
export interface AuthenticateRequest {
  /** The hello's `token`; undefined when the client sent none. A credential: do not log it. */
  readonly token: string | undefined;
  readonly session: string;
  readonly client: string;
  /** The client's address as this node believes it (forwarded only from `trustedProxies`). */
  readonly address: string;
  /** The hello carries a valid resume token for this session and client (a migration or a reconnect). */
  readonly resumed: boolean;
}

/** The DNS server a node runs beside itself (`cloud` set). */
export interface NodeDnsConfig {
  readonly zone: string;
  readonly port: number;
  readonly host: string;
  readonly ttlSec: number;
}

export interface NodeConfig {
  readonly id: string;
  readonly port: number;
  readonly host: string;
  /** Undefined until the port is known, unless the caller gave one. */
  readonly url: string | undefined;
  readonly peers: readonly NodeInfo[];
  readonly proxy: ProxySettings | undefined;
  readonly trustedProxies: readonly string[];
  readonly secret: string;
  /** The secret when one was given (peer links are authenticated only then). */
  readonly sharedSecret: string | undefined;
  readonly heartbeat: HeartbeatSettings;
  readonly peerHeartbeat: HeartbeatSettings;
  readonly memberGraceMs: number;
  readonly settleMs: number;
  readonly maxFrameBytes: number;
  readonly tokenTtlMs: number;
  readonly drainDeadlineMs: number;
  /** A connection that sends nothing at all is dropped after this long. */
  readonly handshakeTimeoutMs: number;
  readonly dns: NodeDnsConfig | undefined;
  readonly address: string | undefined;
  readonly region: string | undefined;
  readonly subnets: readonly string[] | undefined;
  readonly authenticate: NodeServerOptions['authenticate'];
  readonly maxJoinsPerSecond: number;
  readonly logger: Logger;
}

const MAX_DURATION = 2_147_483_647; // setTimeout's ceiling

function fail(message: string): never {
  throw new OptionsError('GRIDLINK_INVALID_OPTION', message);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function id(value: unknown, name: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_ID_LENGTH) {
    fail(`${name} must be a string of 1..${MAX_ID_LENGTH} characters`);
  }
  return value;
}

function wsUrl(value: unknown, name: string): string {
  if (typeof value !== 'string' || !/^wss?:\/\/[^/]/i.test(value) || value.length > 2048) {
    fail(`${name} must be a ws:// or wss:// URL`);
  }
  try {
    new URL(value);
  } catch {
    fail(`${name} must be a ws:// or wss:// URL`);
  }
  return value;
}

function duration(value: unknown, name: string, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > MAX_DURATION) {
    fail(`${name} must be a finite number >= ${min} (milliseconds)`);
  }
  return value;
}

function heartbeat(value: unknown, name: string, defaults: HeartbeatSettings): HeartbeatSettings {
  if (value === undefined) return defaults;
  if (!isObject(value)) fail(`${name} must be an object { intervalMs, timeoutMs }`);
  const intervalMs = duration(value.intervalMs, `${name}.intervalMs`, defaults.intervalMs, 10);
  const timeoutMs = duration(value.timeoutMs, `${name}.timeoutMs`, defaults.timeoutMs, 50);
  // A timeout not above the interval would call a healthy but idle link dead.
  if (timeoutMs <= intervalMs) fail(`${name}.timeoutMs must be greater than ${name}.intervalMs (${intervalMs})`);
  return { intervalMs, timeoutMs };
}

function peers(value: unknown, self: string): NodeInfo[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) fail('peers must be an array of { id, url }');
  const out: NodeInfo[] = [];
  const seen = new Set<string>();
  value.forEach((entry: unknown, i) => {
    if (!isObject(entry)) fail(`peers[${i}] must be an object { id, url }`);
    const peerId = id(entry.id, `peers[${i}].id`);
    const url = wsUrl(entry.url, `peers[${i}].url`);
    if (seen.has(peerId)) fail(`peers[${i}].id '${peerId}' is listed twice`);
    seen.add(peerId);
    if (entry.cookie !== undefined && !isCookiePair(entry.cookie)) fail(`peers[${i}].cookie must be one name=value cookie pair like 'SRVNAME=S2'`);
    // A local cloud may hand every node the full list; a node is not its own peer.
    if (peerId !== self) out.push(entry.cookie === undefined ? { id: peerId, url } : { id: peerId, url, cookie: entry.cookie });
  });
  return out;
}

function proxySettings(value: unknown, peerList: readonly NodeInfo[]): ProxySettings | undefined {
  if (value === undefined) {
    if (peerList.some((peer) => peer.cookie !== undefined)) fail('peers[].cookie is set but proxy is not: peer cookies name nodes behind the proxy');
    return undefined;
  }
  if (!isObject(value)) fail(`proxy must be an object { url, cookie }`);
  const url = wsUrl(value.url, 'proxy.url');
  if (!isCookiePair(value.cookie)) fail(`proxy.cookie must be one name=value cookie pair like 'SRVNAME=S1'`);
  const name = value.cookie.slice(0, value.cookie.indexOf('=') + 1);
  peerList.forEach((peer, i) => {
    if (peer.cookie !== undefined && !peer.cookie.startsWith(name)) fail(`peers[${i}].cookie must use the proxy's cookie name (${name.slice(0, -1)})`);
  });
  return { url, cookie: value.cookie };
}

function trustedProxies(value: unknown): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.length > 256) fail('trustedProxies must be an array of at most 256 IP addresses or CIDR blocks');
  return value.map((entry: unknown, i) => {
    if (typeof entry !== 'string' || parseCidr(entry) === undefined) fail(`trustedProxies[${i}] must be an IP address or CIDR block like '10.0.0.0/8', got '${String(entry)}'`);
    return entry;
  });
}

function dnsConfig(options: NodeServerOptions, host: string, ids: string[]): NodeDnsConfig | undefined {
  if (options.cloud === undefined) {
    for (const name of ['dnsPort', 'dnsHost', 'dnsTtlSec'] as const) if (options[name] !== undefined) fail(`${name} is set but cloud is not`);
    return undefined;
  }
  if (typeof options.cloud !== 'string' || !isZoneName(options.cloud)) fail(`cloud must be a DNS zone name like 'cloud.example.com', got '${String(options.cloud)}'`);
  // Node ids become DNS names (<id>.<zone>), so with DNS on they must be labels.
  ids.forEach((nodeId, i) => {
    const label = nodeId.toLowerCase();
    if (!isHostLabel(label) || label.startsWith('_')) fail(`${i === 0 ? 'id' : 'peers[].id'} '${nodeId}' must be a DNS label (1-63 of a-z 0-9 - _, not starting with _) when cloud is set`);
  });
  const dnsHost = options.dnsHost ?? host;
  if (typeof dnsHost !== 'string' || isIP(dnsHost) === 0) {
    fail(options.dnsHost === undefined ? `dnsHost must be set to an IP address when host ('${host}') is not one` : 'dnsHost must be an IP address literal');
  }
  const port = options.dnsPort ?? 0;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) fail('dnsPort must be an integer 0..65535');
  const ttlSec = options.dnsTtlSec ?? 5;
  if (typeof ttlSec !== 'number' || !Number.isInteger(ttlSec) || ttlSec < 0 || ttlSec > 86_400) fail('dnsTtlSec must be an integer 0..86400');
  return { zone: canonicalName(options.cloud), port, host: dnsHost, ttlSec };
}

function placeOptions(options: NodeServerOptions): Pick<NodeConfig, 'address' | 'region' | 'subnets'> {
  const { address, region, subnets } = options;
  if (address !== undefined && (typeof address !== 'string' || isIP(address) === 0)) fail(`address must be an IPv4 or IPv6 address, got '${String(address)}'`);
  if (region !== undefined && (typeof region !== 'string' || region.length === 0 || region.length > MAX_REGION_LENGTH)) {
    fail(`region must be a string of 1..${MAX_REGION_LENGTH} characters`);
  }
  if (subnets !== undefined) {
    if (!Array.isArray(subnets) || subnets.length > MAX_SUBNETS) fail(`subnets must be an array of at most ${MAX_SUBNETS} CIDR blocks`);
    subnets.forEach((cidr: unknown, i) => {
      if (typeof cidr !== 'string' || parseCidr(cidr) === undefined) fail(`subnets[${i}] must be a CIDR block like '10.1.0.0/16', got '${String(cidr)}'`);
    });
  }
  return { address, region, subnets: subnets === undefined ? undefined : [...subnets] };
}

export function normalizeOptions(options: NodeServerOptions): NodeConfig {
  if (!isObject(options)) fail('options must be an object');
  const nodeId = id(options.id, 'id');
  const port = options.port ?? 0;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) fail('port must be an integer 0..65535');
  const host = options.host ?? '127.0.0.1';
  if (typeof host !== 'string' || host.length === 0) fail('host must be a non-empty string');
  const url = options.url === undefined ? undefined : wsUrl(options.url, 'url');
  if (options.secret !== undefined && (typeof options.secret !== 'string' || options.secret.length === 0)) {
    fail('secret must be a non-empty string');
  }
  const maxFrameBytes = options.maxFrameBytes ?? 1024 * 1024;
  if (typeof maxFrameBytes !== 'number' || !Number.isInteger(maxFrameBytes) || maxFrameBytes < 1024 || maxFrameBytes > 256 * 1024 * 1024) {
    fail('maxFrameBytes must be an integer 1024..268435456');
  }
  if (options.logger !== undefined && !isObject(options.logger)) fail('logger must be an object with debug/info/warn/error');
  const clientHeartbeat = heartbeat(options.heartbeat, 'heartbeat', { intervalMs: 1000, timeoutMs: 10_000 });
  const peerList = peers(options.peers, nodeId);
  if (options.authenticate !== undefined && typeof options.authenticate !== 'function') fail('authenticate must be a function (request) => boolean | Promise<boolean>');
  const maxJoinsPerSecond = options.maxJoinsPerSecond ?? 200;
  if (typeof maxJoinsPerSecond !== 'number' || Number.isNaN(maxJoinsPerSecond) || maxJoinsPerSecond <= 0) {
    fail('maxJoinsPerSecond must be a number > 0 (or Infinity: no limit)');
  }
  return {
    id: nodeId,
    port,
    host,
    url,
    peers: peerList,
    proxy: proxySettings(options.proxy, peerList),
    trustedProxies: trustedProxies(options.trustedProxies),
    secret: options.secret ?? randomBytes(32).toString('base64url'),
    sharedSecret: options.secret,
    heartbeat: clientHeartbeat,
    peerHeartbeat: heartbeat(options.peerHeartbeat, 'peerHeartbeat', { intervalMs: 500, timeoutMs: 1500 }),
    memberGraceMs: duration(options.memberGraceMs, 'memberGraceMs', 15_000, 0),
    settleMs: duration(options.settleMs, 'settleMs', 3000, 0),
    maxFrameBytes,
    tokenTtlMs: duration(options.tokenTtlMs, 'tokenTtlMs', 3_600_000, 1000),
    drainDeadlineMs: duration(options.drainDeadlineMs, 'drainDeadlineMs', 5000, 0),
    // A connection that never says hello is as dead as a silent link; 5 s at most.
    handshakeTimeoutMs: Math.min(5000, clientHeartbeat.timeoutMs),
    dns: dnsConfig(options, host, [nodeId, ...peerList.map((peer) => peer.id)]),
    ...placeOptions(options),
    authenticate: options.authenticate,
    maxJoinsPerSecond,
    logger: safeLogger(options.logger),
  };
}
