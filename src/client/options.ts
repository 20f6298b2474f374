/**
 * One options object, normalized in one place. Every check fails fast with the option's name, and
 * everything past this module sees only the frozen `NormalizedOptions` with defaults filled in.
 */
import { OptionsError } from '../core/errors.js';
import { safeLogger, type Logger } from '../core/logger.js';
import type { RetrySettings } from '../core/retry.js';
import type { CooldownSettings } from '../core/cooldown.js';
import type { PolicyFunction, PolicyName } from '../choose/policy.js';
import type { HeartbeatSettings, NodeInfo } from '../protocol/frames.js';
import { MAX_ID_LENGTH, MAX_TOKEN_LENGTH } from '../protocol/codec.js';
import type { Resolver } from '../resolve/resolver.js';
import type { TokenSource } from '../session/connector.js';
import { isDnsName } from '../resolve/dns.js';

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
  /** Start the next candidate if the current one has not answered after this long. Default 150. */
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
  /** Nodes accepted from a resolver or an advertised list. Default 64. */
  maxNodes?: number;
  /** Out-of-order messages held per sender while waiting for a replay. Default 10000. */
  maxHeldMessages?: number;
  /** Aborting it closes the client (and rejects `ready` if it is still connecting). */
  signal?: AbortSignal;
  /** Opt-in diagnostics; tokens are redacted. */
  logger?: Logger;
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
  readonly maxNodes: number;
  readonly maxHeldMessages: number;
  readonly signal: AbortSignal | undefined;
  readonly logger: Logger;
  readonly token: TokenSource | undefined;
}

function fail(message: string): never {
  throw new OptionsError('GRIDLINK_INVALID_OPTION', message);
}

function number(name: string, value: unknown, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER, allowInfinity = false): number {
  if (value === undefined) return fallback;
  if (allowInfinity && value === Number.POSITIVE_INFINITY) return value;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    fail(`${name} must be a finite number >= ${min}${max < Number.MAX_SAFE_INTEGER ? ` and <= ${max}` : ''}${allowInfinity ? ' (or Infinity)' : ''}`);
  }
  return value;
}

function integer(name: string, value: unknown, fallback: number, min: number, max?: number): number {
  const n = number(name, value, fallback, min, max);
  if (!Number.isInteger(n)) fail(`${name} must be a whole number`);
  return n;
}

function group<T extends object>(name: string, value: T | undefined): Partial<T> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(`${name} must be an object`);
  return value;
}

function id(name: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_ID_LENGTH) fail(`${name} must be a string of 1..${MAX_ID_LENGTH} characters`);
  return value;
}

function nodeEntry(entry: unknown, index: number): NodeInfo {
  const url = typeof entry === 'string' ? entry : typeof entry === 'object' && entry !== null ? (entry as NodeInfo).url : undefined;
  if (typeof url !== 'string') fail(`nodes[${index}] must be a URL string or { id, url }`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    fail(`nodes[${index}] is not a valid URL: ${url}`);
  }
  if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') fail(`nodes[${index}] must be a ws:// or wss:// URL`);
  const nodeId = typeof entry === 'string' ? parsed.href : id(`nodes[${index}].id`, (entry as NodeInfo).id);
  return { id: nodeId, url: parsed.href };
}

/** `token` or `getToken`, as the connector asks for it. */
function tokenSource(token: unknown, getToken: unknown): TokenSource | undefined {
  if (token !== undefined && getToken !== undefined) fail('give token or getToken, not both');
  if (getToken !== undefined) {
    if (typeof getToken !== 'function') fail('getToken must be a function returning a string or a promise of one');
    const get = getToken as () => string | Promise<string>;
    return { get: () => get(), refreshes: true };
  }
  if (token === undefined) return undefined;
  // The message names the option, never the value: it is a credential.
  if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) fail(`token must be a string of 1..${MAX_TOKEN_LENGTH} characters`);
  return { get: () => token, refreshes: false };
}

/** `tls.ca`: PEM text or bytes, or a list of them. Read by the Node platform, checked here. */
function checkTls(tls: ConnectOptions['tls']): void {
  if (tls === undefined) return;
  if (typeof tls !== 'object' || tls === null || Array.isArray(tls)) fail('tls must be an object { ca? }');
  const isPem = (v: unknown): boolean => typeof v === 'string' || v instanceof Uint8Array;
  const ca = tls.ca;
  if (ca !== undefined && !isPem(ca) && !(Array.isArray(ca) && ca.every(isPem))) fail('tls.ca must be a PEM string or Buffer, or an array of them');
}

/** A DNS name: letters, digits, '-', '_' in dot-separated labels; lower-cased, trailing dot dropped. */
function cloudName(value: unknown): string {
  const name = typeof value === 'string' ? value.toLowerCase().replace(/\.$/, '') : '';
  if (!isDnsName(name)) fail('cloud must be a DNS name such as cloud.example.com');
  return name;
}

const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)$/;
const IPV6 = /^[0-9a-f:.]*:[0-9a-f:.]*$/i;

/** 'ip', 'ip:port', '[ipv6]' or '[ipv6]:port': what node:dns's setServers takes (no names). */
function dnsServers(value: unknown): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) fail(`dns must be an array of 'ip' or 'ip:port' strings`);
  return value.map((entry: unknown, i) => {
    const text = typeof entry === 'string' ? entry : '';
    const match = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(text) ?? /^([^:]+)(?::(\d{1,5}))?$/.exec(text) ?? [text, text, undefined];
    const [, host = '', port] = match;
    const ipOk = IPV4.test(host) || (IPV6.test(host) && (text.startsWith('[') || !text.includes(']')));
    if (!ipOk || (port !== undefined && (Number(port) < 1 || Number(port) > 65535))) {
      fail(`dns[${i}] must be an IP address with an optional port ('127.0.0.1:5353', '[::1]:53'), got '${String(entry).slice(0, 100)}'`);
    }
    return text;
  });
}

/** One http(s) URL or a list of them (`doh`, `discovery`). */
function httpUrls(name: string, value: unknown): string[] {
  if (value === undefined) return [];
  const list: unknown[] = Array.isArray(value) ? value : [value];
  if (list.length === 0) fail(`${name} must name at least one URL`);
  return list.map((entry, i) => {
    try {
      const url = new URL(String(entry));
      if ((url.protocol === 'http:' || url.protocol === 'https:') && typeof entry === 'string') return url.href;
    } catch {
      // reported below
    }
    return fail(`${name}${Array.isArray(value) ? `[${i}]` : ''} must be an http:// or https:// URL, got '${String(entry).slice(0, 100)}'`);
  });
}

/** Frozen all the way down (but not into the caller's resolver, signal or logger objects). */
function deepFreeze<T extends NormalizedOptions>(options: T): T {
  for (const value of [options.nodes, options.dns, options.doh, options.discovery, options.heartbeat, options.retry, options.cooldown, options.allowHosts]) Object.freeze(value);
  for (const node of options.nodes) Object.freeze(node);
  return Object.freeze(options);
}

/** Options of a stand-alone cloud resolver (`createCloudResolver`), shared with `connect()`'s. */
export interface CloudResolverOptions {
  cloud: string;
  dns?: readonly string[];
  /** DNS-over-HTTPS endpoints; required where the platform has no DNS (browsers). */
  doh?: string | readonly string[];
  /** One DoH request may take this long. Default 2000. */
  timeoutMs?: number;
  scheme?: 'ws' | 'wss';
  port?: number;
  maxNodes?: number;
}

export interface NormalizedCloudOptions {
  readonly cloud: string;
  readonly dns: readonly string[];
  readonly doh: readonly string[];
  readonly timeoutMs: number;
  readonly scheme: 'ws' | 'wss';
  readonly port: number;
  readonly maxNodes: number;
}

export function normalizeCloudOptions(input: CloudResolverOptions): NormalizedCloudOptions {
  if (typeof input !== 'object' || input === null) fail('options must be an object');
  const scheme = input.scheme ?? 'wss';
  if (scheme !== 'ws' && scheme !== 'wss') fail(`scheme must be 'ws' or 'wss'`);
  const dns = dnsServers(input.dns);
  const doh = httpUrls('doh', input.doh);
  if (dns.length > 0 && doh.length > 0) fail('give dns or doh, not both: they are two ways to ask the same DNS');
  return Object.freeze({
    cloud: cloudName(input.cloud),
    dns: Object.freeze(dns),
    doh: Object.freeze(doh),
    timeoutMs: number('timeoutMs', input.timeoutMs, 2000, 10),
    scheme,
    port: integer('port', input.port, scheme === 'wss' ? 443 : 80, 1, 65535),
    maxNodes: integer('maxNodes', input.maxNodes, 64, 1, 4096),
  });
}

export function normalizeOptions(input: ConnectOptions): NormalizedOptions {
  if (typeof input !== 'object' || input === null) fail('options must be an object');
  const session = id('session', input.session);
  const clientId = input.clientId === undefined ? undefined : id('clientId', input.clientId);
  if (input.nodes !== undefined && !Array.isArray(input.nodes)) fail('nodes must be an array');
  const nodes = (input.nodes ?? []).map(nodeEntry);
  if (input.resolver !== undefined && typeof input.resolver?.resolve !== 'function') fail('resolver must have a resolve(signal) method');
  const cloud = input.cloud === undefined ? undefined : cloudName(input.cloud);
  const discovery = httpUrls('discovery', input.discovery);
  if (nodes.length === 0 && input.resolver === undefined && cloud === undefined && discovery.length === 0) {
    fail('give at least one of nodes, cloud, discovery or resolver, so the client can find the cloud');
  }
  const dns = dnsServers(input.dns);
  if (dns.length > 0 && cloud === undefined) fail('dns needs cloud: the DNS servers are asked for the cloud name');
  const doh = httpUrls('doh', input.doh);
  if (doh.length > 0 && cloud === undefined) fail('doh needs cloud: the DNS-over-HTTPS servers are asked for the cloud name');
  if (doh.length > 0 && dns.length > 0) fail('give dns or doh, not both: they are two ways to ask the same DNS');
  const scheme = input.scheme ?? 'wss';
  if (scheme !== 'ws' && scheme !== 'wss') fail(`scheme must be 'ws' or 'wss'`);
  const policy = input.policy ?? 'assigned';
  if (typeof policy !== 'function' && !['assigned', 'latency', 'affinity', 'round-robin'].includes(policy)) {
    fail(`policy must be 'assigned', 'latency', 'affinity', 'round-robin' or a function`);
  }
  const heartbeat = group('heartbeat', input.heartbeat);
  const retry = group('retry', input.retry);
  const cooldown = group('cooldown', input.cooldown);
  const intervalMs = number('heartbeat.intervalMs', heartbeat.intervalMs, 1000, 10);
  const timeoutMs = number('heartbeat.timeoutMs', heartbeat.timeoutMs, 3000, 100);
  if (timeoutMs <= intervalMs) fail('heartbeat.timeoutMs must be greater than heartbeat.intervalMs');
  const minDelayMs = number('retry.minDelayMs', retry.minDelayMs, 100, 0);
  const maxDelayMs = number('retry.maxDelayMs', retry.maxDelayMs, 5000, minDelayMs);
  const baseMs = number('cooldown.baseMs', cooldown.baseMs, 1000, 0);
  if (input.allowHosts !== undefined && (!Array.isArray(input.allowHosts) || input.allowHosts.some((h) => typeof h !== 'string'))) {
    fail('allowHosts must be an array of host names');
  }
  const logger = input.logger;
  if (logger !== undefined && (['debug', 'info', 'warn', 'error'] as const).some((level) => typeof logger[level] !== 'function')) {
    fail('logger must have debug, info, warn and error methods');
  }
  if (input.signal !== undefined && !(typeof input.signal === 'object' && 'aborted' in input.signal)) fail('signal must be an AbortSignal');
  checkTls(input.tls);
  return deepFreeze({
    session,
    clientId,
    nodes,
    resolver: input.resolver,
    cloud,
    dns,
    doh,
    discovery,
    scheme,
    port: integer('port', input.port, scheme === 'wss' ? 443 : 80, 1, 65535),
    allowHosts: (input.allowHosts ?? []).map((h) => h.toLowerCase()),
    policy,
    heartbeat: { intervalMs, timeoutMs },
    connectTimeoutMs: number('connectTimeoutMs', input.connectTimeoutMs, 2000, 10),
    staggerMs: number('staggerMs', input.staggerMs, 150, 0),
    maxRedirects: integer('maxRedirects', input.maxRedirects, 3, 0, 16),
    retry: {
      minDelayMs,
      maxDelayMs,
      factor: number('retry.factor', retry.factor, 2, 1, 10),
      maxElapsedMs: number('retry.maxElapsedMs', retry.maxElapsedMs, 60_000, 0, Number.MAX_SAFE_INTEGER, true),
    },
    cooldown: { baseMs, maxMs: number('cooldown.maxMs', cooldown.maxMs, 30_000, baseMs) },
    maxBufferedBytes: number('maxBufferedBytes', input.maxBufferedBytes, 4 * 1024 * 1024, 1024),
    maxFrameBytes: number('maxFrameBytes', input.maxFrameBytes, 1024 * 1024, 1024),
    ackDelayMs: number('ackDelayMs', input.ackDelayMs, 20, 0, 10_000),
    maxNodes: integer('maxNodes', input.maxNodes, 64, 1, 4096),
    maxHeldMessages: integer('maxHeldMessages', input.maxHeldMessages, 10_000, 1),
    signal: input.signal,
    logger: safeLogger(input.logger),
    token: tokenSource(input.token, input.getToken),
  });
}
