/**
 * The node's options, normalized once. Everything a caller can get wrong fails here, synchronously,
 * naming the option; the rest of `src/server/` sees only the readonly `NodeConfig`.
 */
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { safeLogger, type Logger } from '../../core/logger.js';
import { MAX_ID_LENGTH } from '../../protocol/codec.js';
import { DEFAULT_MAX_META_BYTES, DEFAULT_MAX_SHARED_BYTES, DEFAULT_MAX_SHARED_KEYS, type HeartbeatSettings, type JsonValue, type NodeInfo } from '../../protocol/frames.js';
import {
  dnsName, duration, fail, heartbeat, integer, list, logger, nodeLabel, optionKeys, optionsObject, shown, text,
} from '../../core/validate.js';
import { parseCidr } from '../dns/subnets.js';
import { MAX_REGION_LENGTH, MAX_SUBNETS } from '../peers/frames.js';
import type { ProxySettings } from './proxy-view.js';
import { checkedUrl, peers, peerSource, proxySettings, type PeerSourceConfig } from './peer-options.js';
import type { ConnectionLimits } from '../clients/connection-limit.js';
import { metricsConfig, type MetricsConfig, type MetricsOptions } from '../metrics/serve.js';
import { publishConfig, type PublishConfig, type PublishRouteOptions } from '../publish/publish-options.js';

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
   * The other nodes read from DNS instead (not with `peers`): `srv:<name>` (SRV; a node's id is its
   * target's first label) or `a:<name>:<port>` (A/AAAA of a headless service), re-resolved on the
   * answer's TTL; see peers/peer-source.ts and docs/operations.md "Peers from DNS".
   */
  peersFrom?: string;
  /** DNS servers (`ip` or `ip:port`) `peersFrom` asks instead of the system's. */
  peersDnsServers?: string[];
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
  /**
   * Secrets also accepted, never signed with: resume tokens and peer proofs made with them still
   * count. For rotating `secret` without splitting the cloud (docs/operations.md, "Rotating
   * secrets"). At most 4; needs `secret`.
   */
  acceptedSecrets?: string[];
  /**
   * Take publishes over HTTP (`POST /sessions/{id}/messages`) with `Authorization: Bearer <key>`:
   * `true` accepts the key derived from `secret` (`publishKey(secret)`), `{ apiKeys }` these keys
   * too. Off by default. `node.publish()` works either way; forwarding a publish to another node
   * needs that node's route on.
   */
  publish?: boolean | PublishRouteOptions;
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
  /**
   * Largest member `meta`, in UTF-8 bytes of its JSON text; default 1024. A welcome carries every
   * member's: keep `maxMembersPerSession` × this well below the clients' `maxFrameBytes`.
   */
  maxMetaBytes?: number;
  /**
   * Bounds of one session's shared map (`client.setShared`): keys, deletions included (default
   * 1000, at most 4096), and bytes of keys plus JSON values (default 65536). A welcome carries the
   * whole map: keep `maxSharedBytes` well below the clients' `maxFrameBytes`.
   */
  maxSharedKeys?: number;
  maxSharedBytes?: number;
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
   *
   * It may return the member's identity instead of true: `{ meta }` admits the client and makes
   * `meta` its meta, whatever the client claimed (every member sees the server's; the client's
   * `setMeta` is then refused). JSON, at most `maxMetaBytes`; a larger one refuses the client
   * (`meta-too-large`) and is logged as the hook's mistake.
   */
  authenticate?: (request: AuthenticateRequest) => AuthenticateResult | Promise<AuthenticateResult>;
  /**
   * Joins (client hellos) accepted per second per client address, in bursts of up to twice that;
   * more are answered `error { code: 'busy' }` and closed (1013). Default 200 (high enough for a
   * failover storm of clients behind one NAT, low enough to blunt a flood); `Infinity` turns it
   * off. Behind a reverse proxy, set `trustedProxies`, or every client shares the proxy's address.
   */
  maxJoinsPerSecond?: number;
  // ---- connection limits (issue 11: connection exhaustion) ----
  /**
   * Open connections per client address (as the node believes it: the TCP peer, or the forwarded
   * client behind `trustedProxies`), client and peer links included; past it an upgrade is refused
   * with HTTP 503. Default 2048: a NAT with 1,000 clients of one cloud fits with room to spare.
   */
  maxConnectionsPerAddress?: number;
  /**
   * Connections that have not said hello yet (TCP accepted, upgrade pending, or upgraded without a
   * first frame), node-wide. When full, a new connection displaces the oldest pending one.
   * Default 2048.
   */
  maxPendingConnections?: number;
  /** The same per client address (a newcomer displaces its own address's oldest). Default 1024. */
  maxPendingConnectionsPerAddress?: number;
  /**
   * A connection that has not sent its hello (or peer hello) this long after it was accepted is
   * closed (4008, or destroyed before the upgrade). Default min(5000, heartbeat.timeoutMs).
   */
  helloTimeoutMs?: number;
  /** Members one session may have, members announced by others included; default 256 (at most 4096). */
  maxMembersPerSession?: number;
  /**
   * Members one hello may announce that the session does not know yet (placeholders, held for the
   * grace period); default 64. A migrating session's other members beyond it simply join on arrival.
   */
  maxClaimedMembers?: number;
  /**
   * Serve `GET /metrics` (Prometheus text format) on this node's port: `true`, or `{ token }` to
   * ask every scrape for `Authorization: Bearer <token>`, `processMetrics: true` to add the
   * process's own series (one node per process: `gridlink node` sets it). Default off (404).
   */
  metrics?: boolean | MetricsOptions;
  logger?: Logger;
}

/** The `authenticate` hook's answer: admit or not, or admit with the member's identity (it overrides the client's meta). */
export type AuthenticateResult = boolean | { readonly meta: JsonValue };

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
  /** Peers from DNS (option `peersFrom`): then `peers` is empty and the source fills it at runtime. */
  readonly peerSource: PeerSourceConfig | undefined;
  readonly proxy: ProxySettings | undefined;
  readonly trustedProxies: readonly string[];
  readonly secret: string;
  /** The secret when one was given (peer links are authenticated only then). */
  readonly sharedSecret: string | undefined;
  /** Secrets that verify but never sign (rotation). */
  readonly acceptedSecrets: readonly string[];
  /** Undefined: the publish route is off. */
  readonly publish: PublishConfig | undefined;
  readonly heartbeat: HeartbeatSettings;
  readonly peerHeartbeat: HeartbeatSettings;
  readonly memberGraceMs: number;
  readonly settleMs: number;
  readonly maxFrameBytes: number;
  readonly maxMetaBytes: number;
  readonly maxSharedKeys: number;
  readonly maxSharedBytes: number;
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
  /** maxConnectionsPerAddress, maxPendingConnections(PerAddress), helloTimeoutMs. */
  readonly connections: ConnectionLimits;
  readonly maxMembersPerSession: number;
  readonly maxClaimedMembers: number;
  /** Undefined: `/metrics` is not served. */
  readonly metrics: MetricsConfig | undefined;
  readonly logger: Logger;
}

const NODE_KEYS = optionKeys<NodeServerOptions>({
  id: true, port: true, host: true, url: true, peers: true, peersFrom: true, peersDnsServers: true, proxy: true, trustedProxies: true, secret: true, acceptedSecrets: true, publish: true,
  heartbeat: true, peerHeartbeat: true, memberGraceMs: true, settleMs: true, maxFrameBytes: true, maxMetaBytes: true, maxSharedKeys: true, maxSharedBytes: true, tokenTtlMs: true,
  drainDeadlineMs: true, cloud: true, dnsPort: true, dnsHost: true, dnsTtlSec: true, address: true, region: true,
  subnets: true, authenticate: true, maxJoinsPerSecond: true, maxMembersPerSession: true, maxClaimedMembers: true, logger: true, metrics: true,
  maxConnectionsPerAddress: true, maxPendingConnections: true, maxPendingConnectionsPerAddress: true, helloTimeoutMs: true,
});
/** A list of CIDR blocks (a bare IP is a /32 or /128). */
function cidrs(name: string, value: unknown, max: number, what: string, example: string): string[] | undefined {
  if (value === undefined) return undefined;
  return list(name, value, what, max).map((entry: unknown, i) => {
    if (typeof entry !== 'string' || parseCidr(entry) === undefined) fail(`${name}[${i}]`, `must be ${example}, got ${shown(entry)}`);
    return entry;
  });
}

function ipLiteral(name: string, value: unknown, what = 'an IP address literal'): string {
  if (typeof value !== 'string' || isIP(value) === 0) fail(name, `must be ${what}, got ${shown(value)}`);
  return value;
}

function dnsConfig(options: Record<string, unknown>, host: string, ids: string[]): NodeDnsConfig | undefined {
  if (options.cloud === undefined) {
    for (const name of ['dnsPort', 'dnsHost', 'dnsTtlSec'] as const) if (options[name] !== undefined) fail(name, 'is set but cloud is not');
    return undefined;
  }
  const zone = dnsName('cloud', options.cloud);
  ids.forEach((nodeId, i) => nodeLabel(i === 0 ? 'id' : 'peers[].id', nodeId));
  if (options.dnsHost === undefined && isIP(host) === 0) fail('dnsHost', `must be set to an IP address when host ('${host}') is not one`);
  return {
    zone,
    port: integer('dnsPort', options.dnsPort, 0, 0, 65535),
    host: ipLiteral('dnsHost', options.dnsHost ?? host),
    ttlSec: integer('dnsTtlSec', options.dnsTtlSec, 5, 0, 86_400),
  };
}

function placeOptions(options: Record<string, unknown>): Pick<NodeConfig, 'address' | 'region' | 'subnets'> {
  return {
    address: options.address === undefined ? undefined : ipLiteral('address', options.address, 'an IPv4 or IPv6 address'),
    region: options.region === undefined ? undefined : text('region', options.region, MAX_REGION_LENGTH),
    subnets: cidrs('subnets', options.subnets, MAX_SUBNETS, 'CIDR blocks', `a CIDR block like '10.1.0.0/16'`),
  };
}

/** The connection limits; the hello deadline defaults to the handshake timeout. */
function connectionLimits(options: Record<string, unknown>, handshakeTimeoutMs: number): ConnectionLimits {
  return {
    perAddress: integer('maxConnectionsPerAddress', options.maxConnectionsPerAddress, 2048, 1),
    pending: integer('maxPendingConnections', options.maxPendingConnections, 2048, 1),
    pendingPerAddress: integer('maxPendingConnectionsPerAddress', options.maxPendingConnectionsPerAddress, 1024, 1),
    helloTimeoutMs: duration('helloTimeoutMs', options.helloTimeoutMs, handshakeTimeoutMs, 50),
  };
}

function acceptedSecrets(value: unknown, secret: string | undefined): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.length > 4) fail('acceptedSecrets', 'must be an array of at most 4 secrets');
  if (value.length > 0 && secret === undefined) fail('acceptedSecrets', 'needs secret (the one that signs)');
  return value.map((item, i) => text(`acceptedSecrets[${i}]`, item));
}

export function normalizeOptions(input: NodeServerOptions): NodeConfig {
  const options = optionsObject(input, NODE_KEYS);
  const nodeId = text('id', options.id, MAX_ID_LENGTH);
  const host = options.host === undefined ? '127.0.0.1' : text('host', options.host);
  const secret = options.secret === undefined ? undefined : text('secret', options.secret);
  const clientHeartbeat = heartbeat('heartbeat', options.heartbeat, { intervalMs: 1000, timeoutMs: 10_000 }, 50);
  const peerList = peers(options.peers, nodeId);
  const authenticate = options.authenticate as NodeServerOptions['authenticate'];
  if (authenticate !== undefined && typeof authenticate !== 'function') fail('authenticate', 'must be a function (request) => boolean | { meta } (or a promise of one)');
  const maxJoinsPerSecond = options.maxJoinsPerSecond ?? 200;
  if (typeof maxJoinsPerSecond !== 'number' || Number.isNaN(maxJoinsPerSecond) || maxJoinsPerSecond <= 0) {
    fail('maxJoinsPerSecond', 'must be a number > 0 (or Infinity: no limit)');
  }
  // A connection that never says hello is as dead as a silent link; 5 s at most.
  const handshakeTimeoutMs = Math.min(5000, clientHeartbeat.timeoutMs);
  return {
    id: nodeId,
    port: integer('port', options.port, 0, 0, 65535),
    host,
    url: options.url === undefined ? undefined : checkedUrl('url', options.url),
    peers: peerList,
    peerSource: peerSource(options),
    proxy: proxySettings(options.proxy, peerList),
    trustedProxies: cidrs('trustedProxies', options.trustedProxies, 256, 'IP addresses or CIDR blocks', `an IP address or CIDR block like '10.0.0.0/8'`) ?? [],
    secret: secret ?? randomBytes(32).toString('base64url'),
    sharedSecret: secret,
    acceptedSecrets: acceptedSecrets(options.acceptedSecrets, secret),
    publish: publishConfig(options.publish, secret, acceptedSecrets(options.acceptedSecrets, secret)),
    heartbeat: clientHeartbeat,
    peerHeartbeat: heartbeat('peerHeartbeat', options.peerHeartbeat, { intervalMs: 500, timeoutMs: 1500 }, 50),
    memberGraceMs: duration('memberGraceMs', options.memberGraceMs, 15_000, 0),
    settleMs: duration('settleMs', options.settleMs, 3000, 0),
    maxFrameBytes: integer('maxFrameBytes', options.maxFrameBytes, 1024 * 1024, 1024, 256 * 1024 * 1024),
    maxMetaBytes: integer('maxMetaBytes', options.maxMetaBytes, DEFAULT_MAX_META_BYTES, 2, 64 * 1024),
    maxSharedKeys: integer('maxSharedKeys', options.maxSharedKeys, DEFAULT_MAX_SHARED_KEYS, 1, 4096),
    maxSharedBytes: integer('maxSharedBytes', options.maxSharedBytes, DEFAULT_MAX_SHARED_BYTES, 2, 16 * 1024 * 1024),
    tokenTtlMs: duration('tokenTtlMs', options.tokenTtlMs, 3_600_000, 1000),
    drainDeadlineMs: duration('drainDeadlineMs', options.drainDeadlineMs, 5000, 0),
    handshakeTimeoutMs,
    dns: dnsConfig(options, host, [nodeId, ...peerList.map((peer) => peer.id)]),
    ...placeOptions(options),
    authenticate,
    maxJoinsPerSecond,
    connections: connectionLimits(options, handshakeTimeoutMs),
    maxMembersPerSession: integer('maxMembersPerSession', options.maxMembersPerSession, 256, 1, 4096),
    maxClaimedMembers: integer('maxClaimedMembers', options.maxClaimedMembers, 64, 0, 4096),
    metrics: metricsConfig(options.metrics),
    logger: safeLogger(logger('logger', options.logger)),
  };
}
