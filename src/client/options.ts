/**
 * One options object, normalized in one place. Every check fails fast with the option's name, and
 * everything past this module sees only the frozen `NormalizedOptions` with defaults filled in.
 */
import type { Logger } from '../core/logger.js';
import type { RetrySettings } from '../core/retry.js';
import type { CooldownSettings } from '../core/cooldown.js';
import type { PolicyFunction, PolicyName } from '../choose/policy.js';
import type { HeartbeatSettings, JsonValue, NodeInfo } from '../protocol/frames.js';
import { jsonValue } from '../protocol/json.js';
import { MAX_ID_LENGTH, MAX_TOKEN_LENGTH } from '../protocol/codec.js';
import { internList } from '../resolve/intern.js';
import type { Resolver } from '../resolve/resolver.js';
import type { TokenSource } from '../session/connector.js';
import { cloudOptionFields, SCHEMES } from './cloud-options.js';
import { missingPiece, type CloudFields, type CloudOptionsCheck, type Piece } from './pieces.js';

export { normalizeCloudOptions, type CloudResolverOptions, type NormalizedCloudOptions } from './cloud-options.js';
import {
  duration, fail, failOptions, group, heartbeat, HEARTBEAT_KEYS, integer, isRecord, knownKeys, list,
  logger, number, oneOf, optionKeys, optionsObject, signal, text, wsUrl,
} from '../core/validate.js';

export interface ConnectOptions {
  /** The session to join. Required. */
  session: string;
  /** Static list of nodes: URLs (`ws://…`, `wss://…`) or `{ id, url }`. */
  nodes?: ReadonlyArray<string | NodeInfo>;
  /** A resolver of your own (DNS, discovery document, …); combined with `nodes` if both are given. */
  resolver?: Resolver;
  /**
   * The cloud's DNS name (`cloud.example.com`): nodes come from `SRV _gridlink._tcp.<cloud>`, else
   * from the name's A/AAAA records. Asked over DNS-over-HTTPS when `doh` is given (browsers must
   * give it), else over the platform's DNS (Node).
   */
  cloud?: string;
  /** DNS servers to ask for `cloud` ('ip' or 'ip:port'); the system's by default. Node only. */
  dns?: readonly string[];
  /** DNS-over-HTTPS endpoints (RFC 8484) to ask for `cloud`, in turn: e.g. every node's `/dns-query`. */
  doh?: string | readonly string[];
  /** Discovery document URLs (`https://node/.well-known/gridlink`), asked in turn, for the cloud's nodes. */
  discovery?: string | readonly string[];
  /** Scheme of node URLs built from DNS answers. Default `'wss'`. */
  scheme?: 'ws' | 'wss';
  /** Node port when the cloud has no SRV record. Default 443 for wss, 80 for ws. */
  port?: number;
  /** Extra host names a redirect or an advertised node list may send the client to. */
  allowHosts?: readonly string[];
  /** This client's id within the session; random by default. Keep it to resume after a restart. */
  clientId?: string;
  /** How candidates are ordered for each connection round. Default `'assigned'`. */
  policy?: PolicyName | PolicyFunction;
  heartbeat?: Partial<HeartbeatSettings>;
  /** One attempt (dial + hello + answer) may take this long. Default 2000. */
  connectTimeoutMs?: number;
  /**
   * Start the next candidate if the current one has not connected after this long (Node: its TCP
   * connect, unless dialled through a proxy's sticky cookie; browsers: the WebSocket's open). Default 150.
   */
  staggerMs?: number;
  /** Redirects followed per attempt. Default 3. */
  maxRedirects?: number;
  /** Backoff between full rounds of attempts. */
  retry?: Partial<RetrySettings>;
  /** How long a failed node sits out (grows while it keeps failing). */
  cooldown?: Partial<CooldownSettings>;
  /** Unconfirmed reliable messages kept (and sends buffered while migrating). Default 4 MiB. */
  maxBufferedBytes?: number;
  /** Largest frame accepted from a node. Default 1 MiB. */
  maxFrameBytes?: number;
  /** Receive acknowledgements are batched for this long. Default 20. */
  ackDelayMs?: number;
  /** What the other members see of this one (`members`, member events): plain JSON, at most the node's `maxMetaBytes` (default 1 KB). Default null. */
  meta?: JsonValue;
  /** Nodes accepted from a resolver or an advertised list. Default 64. */
  maxNodes?: number;
  /** Out-of-order messages held per sender while waiting for a replay. Default 10000. */
  maxHeldMessages?: number;
  /** Aborting it closes the client (and rejects `ready` if it is still connecting). */
  signal?: AbortSignal;
  /** Opt-in diagnostics; tokens are redacted. Needs the `logging` piece in the browser core. */
  logger?: Logger;
  /**
   * Opt-in pieces (`cloudDiscovery`, `latencyPolicy`, `affinityPolicy`, `roundRobinPolicy`,
   * `pageLifecycle`, `logging`) for the options that need them. Node has them all already.
   */
  use?: readonly Piece[];
  /**
   * Credential sent in every hello, for the node's `authenticate` hook (1..4096 chars). A node
   * that refuses it fails the client with `GRIDLINK_UNAUTHORIZED`. Not with `getToken`.
   */
  token?: string;
  /**
   * Called for every join attempt's hello (first join and each migration), so an expired token is
   * refreshed. Bounded by `connectTimeoutMs`; a throw or a timeout fails that attempt only. With
   * it, a refused token is retried (the next call may return a fresh one). Not with `token`.
   */
  getToken?: () => string | Promise<string>;
  /**
   * `wss://` trust (Node only; browsers use the system's): extra certificate authorities in PEM,
   * e.g. a private cloud's or a test CA. Certificates are always verified.
   */
  tls?: { ca?: string | Uint8Array | ReadonlyArray<string | Uint8Array> };
}

export interface NormalizedOptions {
  readonly session: string;
  readonly clientId: string | undefined;
  readonly nodes: readonly NodeInfo[];
  readonly resolver: Resolver | undefined;
  readonly cloud: string | undefined;
  readonly dns: readonly string[];
  readonly doh: readonly string[];
  readonly discovery: readonly string[];
  readonly scheme: 'ws' | 'wss';
  readonly port: number;
  readonly allowHosts: readonly string[];
  readonly policy: PolicyName | PolicyFunction;
  readonly heartbeat: HeartbeatSettings;
  readonly connectTimeoutMs: number;
  readonly staggerMs: number;
  readonly maxRedirects: number;
  readonly retry: RetrySettings;
  readonly cooldown: CooldownSettings;
  readonly maxBufferedBytes: number;
  readonly maxFrameBytes: number;
  readonly ackDelayMs: number;
  readonly meta: JsonValue;
  readonly maxNodes: number;
  readonly maxHeldMessages: number;
  readonly signal: AbortSignal | undefined;
  /** The caller's logger as given; create-client wraps it with the `logging` piece. */
  readonly logger: Logger | undefined;
  readonly token: TokenSource | undefined;
  readonly use: readonly Piece[];
}

const CONNECT_KEYS = optionKeys<ConnectOptions>({
  session: true, nodes: true, resolver: true, cloud: true, dns: true, doh: true, discovery: true, scheme: true, port: true,
  allowHosts: true, clientId: true, policy: true, heartbeat: true, connectTimeoutMs: true, staggerMs: true,
  maxRedirects: true, retry: true, cooldown: true, maxBufferedBytes: true, maxFrameBytes: true, ackDelayMs: true, meta: true,
  maxNodes: true, maxHeldMessages: true, signal: true, logger: true, token: true, getToken: true, tls: true, use: true,
});
const RETRY_KEYS = optionKeys<RetrySettings>({ minDelayMs: true, maxDelayMs: true, factor: true, maxElapsedMs: true });
const COOLDOWN_KEYS = optionKeys<CooldownSettings>({ baseMs: true, maxMs: true });
const TLS_KEYS = optionKeys<NonNullable<ConnectOptions['tls']>>({ ca: true });
const NODE_KEYS = optionKeys<NodeInfo>({ id: true, url: true, cookie: true });

function nodeEntry(entry: unknown, index: number): NodeInfo {
  const name = `nodes[${index}]`;
  if (typeof entry === 'string') {
    const href = wsUrl(name, entry).href;
    return { id: href, url: href };
  }
  if (!isRecord(entry)) fail(name, 'must be a URL string or { id, url }');
  knownKeys(name, entry, NODE_KEYS);
  const url = wsUrl(`${name}.url`, entry.url).href;
  return { id: text(`${name}.id`, entry.id, MAX_ID_LENGTH), url };
}

/** `token` or `getToken`, as the connector asks for it. */
function tokenSource(token: unknown, getToken: unknown): TokenSource | undefined {
  if (token !== undefined && getToken !== undefined) failOptions('give token or getToken, not both');
  if (getToken !== undefined) {
    if (typeof getToken !== 'function') fail('getToken', 'must be a function');
    const get = getToken as () => string | Promise<string>;
    return { get: () => get(), refreshes: true };
  }
  if (token === undefined) return undefined;
  // The message names the option, never the value: it is a credential.
  const value = text('token', token, MAX_TOKEN_LENGTH);
  return { get: () => value, refreshes: false };
}

/** `tls.ca`: PEM text or bytes, or a list of them. Read by the Node platform, checked here. */
function checkTls(value: unknown): void {
  const tls = group('tls', value, TLS_KEYS);
  const isPem = (v: unknown): boolean => typeof v === 'string' || v instanceof Uint8Array;
  const ca = tls?.ca;
  if (ca !== undefined && !isPem(ca) && !(Array.isArray(ca) && ca.every(isPem))) fail('tls.ca', 'must be a PEM string or Buffer, or an array of them');
}

/** Frozen all the way down (but not into the caller's resolver, signal or logger objects). */
function deepFreeze<T extends NormalizedOptions>(options: T): T {
  for (const value of [options.nodes, options.dns, options.doh, options.discovery, options.heartbeat, options.retry, options.cooldown, options.allowHosts, options.use]) Object.freeze(value);
  for (const node of options.nodes) Object.freeze(node);
  return Object.freeze(options);
}

const PIECES = ['cloud', 'policy', 'lifecycle', 'logger', 'extras'];

/** `use`: pieces exported by gridlink (tagged objects), nothing else. */
function pieces(value: unknown): Piece[] {
  if (value === undefined) return [];
  const entries = list('use', value, 'pieces');
  entries.forEach((entry, i) => {
    if (!isRecord(entry) || !PIECES.includes(entry.piece as string)) fail(`use[${i}]`, 'must be a piece exported by gridlink');
  });
  return [...entries] as Piece[];
}

const POLICIES: readonly PolicyName[] = ['assigned', 'latency', 'affinity', 'round-robin'];

/** The options with the cloud's checked too (the Node entry's, and the full bundle's, set). */
export function normalizeOptions(input: ConnectOptions): NormalizedOptions {
  return normalizeCoreOptions(input, cloudOptionFields);
}

const CLOUD_OPTIONS = ['cloud', 'discovery', 'dns', 'doh'] as const;

const NO_CLOUD: CloudFields = Object.freeze({ cloud: undefined, dns: [], doh: [], discovery: [] });

/** The options, with the cloud's (`cloud`, `dns`, `doh`, `discovery`) checked by `cloudOptions` when given. */
export function normalizeCoreOptions(input: ConnectOptions, cloudOptions?: CloudOptionsCheck): NormalizedOptions {
  const o = optionsObject(input, CONNECT_KEYS);
  const session = text('session', o.session, MAX_ID_LENGTH);
  const clientId = o.clientId === undefined ? undefined : text('clientId', o.clientId, MAX_ID_LENGTH);
  // '@server' sends what the backend publishes: ids starting with '@' are the nodes' to give.
  if (clientId?.startsWith('@')) fail('clientId', "must not start with '@'");
  // Shared copies (intern.ts): every client of a cloud names the same nodes.
  const nodes = o.nodes === undefined ? [] : internList(list('nodes', o.nodes, 'URLs or { id, url }').map(nodeEntry));
  const resolver = o.resolver as Resolver | undefined;
  if (resolver !== undefined && typeof resolver?.resolve !== 'function') fail('resolver', 'must have a resolve(signal) method');
  const enough = (cloud: unknown, discovery: readonly string[]): void => {
    if (nodes.length === 0 && resolver === undefined && cloud === undefined && discovery.length === 0) {
      failOptions('give nodes, cloud, discovery or resolver: where to find the cloud');
    }
  };
  // The cloud's options are checked by the cloud piece; without it, naming one is the mistake.
  const named = CLOUD_OPTIONS.find((key) => o[key] !== undefined);
  if (named !== undefined && cloudOptions === undefined) missingPiece(named, 'cloudDiscovery');
  const { cloud, dns, doh, discovery } = cloudOptions === undefined ? (enough(undefined, []), NO_CLOUD) : cloudOptions(o, enough);
  const scheme = oneOf('scheme', o.scheme, 'wss', SCHEMES);
  const policy = (o.policy ?? 'assigned') as PolicyName | PolicyFunction;
  if (typeof policy !== 'function' && !POLICIES.includes(policy)) fail('policy', `must be ${POLICIES.map((p) => `'${p}'`).join(', ')} or a function`);
  const retry = group('retry', o.retry, RETRY_KEYS) ?? {};
  const cooldown = group('cooldown', o.cooldown, COOLDOWN_KEYS) ?? {};
  const minDelayMs = number('retry.minDelayMs', retry.minDelayMs, 100, 0);
  const maxDelayMs = number('retry.maxDelayMs', retry.maxDelayMs, 5000, minDelayMs);
  const baseMs = number('cooldown.baseMs', cooldown.baseMs, 1000, 0);
  const allowHosts = o.allowHosts === undefined ? [] : list('allowHosts', o.allowHosts, 'host names', Number.POSITIVE_INFINITY, (h) => typeof h === 'string');
  checkTls(o.tls);
  return deepFreeze({
    session,
    clientId,
    nodes,
    resolver,
    cloud,
    dns,
    doh,
    discovery,
    scheme,
    port: integer('port', o.port, scheme === 'wss' ? 443 : 80, 1, 65535),
    allowHosts: (allowHosts as string[]).map((h) => h.toLowerCase()),
    policy,
    heartbeat: heartbeat('heartbeat', o.heartbeat, { intervalMs: 1000, timeoutMs: 3000 }, 100),
    connectTimeoutMs: duration('connectTimeoutMs', o.connectTimeoutMs, 2000, 10),
    staggerMs: duration('staggerMs', o.staggerMs, 150, 0),
    maxRedirects: integer('maxRedirects', o.maxRedirects, 3, 0, 16),
    retry: {
      minDelayMs,
      maxDelayMs,
      factor: number('retry.factor', retry.factor, 2, 1, 10),
      maxElapsedMs: number('retry.maxElapsedMs', retry.maxElapsedMs, 60_000, 0, Number.MAX_SAFE_INTEGER, true),
    },
    cooldown: { baseMs, maxMs: number('cooldown.maxMs', cooldown.maxMs, 30_000, baseMs) },
    maxBufferedBytes: number('maxBufferedBytes', o.maxBufferedBytes, 4 * 1024 * 1024, 1024),
    maxFrameBytes: number('maxFrameBytes', o.maxFrameBytes, 1024 * 1024, 1024),
    ackDelayMs: number('ackDelayMs', o.ackDelayMs, 20, 0, 10_000),
    meta: o.meta === undefined ? null : jsonValue('meta', o.meta, 'GRIDLINK_INVALID_OPTION'),
    maxNodes: integer('maxNodes', o.maxNodes, 64, 1, 4096),
    maxHeldMessages: integer('maxHeldMessages', o.maxHeldMessages, 10_000, 1),
    signal: signal('signal', o.signal),
    logger: logger('logger', o.logger),
    token: tokenSource(o.token, o.getToken),
    use: pieces(o.use),
  });
}
