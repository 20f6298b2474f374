/** The local cloud's options, normalized once: every mistake fails here, naming the option. */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { OptionsError } from '../core/errors.js';
import { safeLogger, type Logger } from '../core/logger.js';
import { NODE_ID, type NodeTuning } from '../process/node-flags.js';
import { canonicalName, isZoneName } from '../server/dns/names.js';

export interface LocalCloudOptions extends NodeTuning {
  /** How many nodes, 1..26; default 3 (or the number of `ids`). */
  nodes?: number;
  /** Node ids; default 'a', 'b', 'c', ... */
  ids?: string[];
  /** Address the proxies listen on (and the nodes' URLs use); default 127.0.0.1. */
  host?: string;
  /** Resume-token secret shared by the nodes; default random. */
  secret?: string;
  /** The gridlink CLI the children run; default cli.js beside this bundle. */
  cliPath?: string;
  /** Hang guard for one node to report listening; default 20000 ms. */
  startTimeoutMs?: number;
  /** Receives the cloud's and the nodes' records (nodes log only when this is given). */
  logger?: Logger;
  /** Aborting during start rejects (nothing left running); aborting later stops the cloud. */
  signal?: AbortSignal;
  /** The cloud's DNS zone (e.g. 'cloud.test'): every node runs the cloud's DNS server on 127.0.0.1. */
  cloud?: string;
  /** First DNS port: node i listens on dnsPort + i (UDP and TCP). Default 0: ephemeral ports. */
  dnsPort?: number;
}

/** Normalized options: what the rest of src/cloud/ sees. */
export interface CloudConfig extends NodeTuning {
  readonly ids: readonly string[];
  host: string;
  secret: string;
  cliPath: string;
  startTimeoutMs: number;
  logger: Logger;
  verbose: boolean;
  signal: AbortSignal | undefined;
  /** Canonical DNS zone, when the nodes run DNS. */
  zone: string | undefined;
  /** 0 = ephemeral. */
  dnsPort: number;
}

export function normalizeCloudOptions(options: LocalCloudOptions): CloudConfig {
  const fail = (message: string): never => {
    throw new OptionsError('GRIDLINK_INVALID_OPTION', message);
  };
  const count = options.nodes ?? options.ids?.length ?? 3;
  if (!Number.isInteger(count) || count < 1 || count > 26) fail(`nodes must be an integer 1..26, got ${count}`);
  const ids = options.ids ?? Array.from({ length: count }, (_, i) => String.fromCharCode(97 + i));
  if (ids.length !== count) fail(`nodes (${count}) does not match ids (${ids.length} ids)`);
  for (const id of ids) if (typeof id !== 'string' || !NODE_ID.test(id)) fail(`ids: '${id}' must be 1-128 of A-Z a-z 0-9 . _ -`);
  if (new Set(ids).size !== ids.length) fail('ids must be unique');
  const secret = options.secret ?? randomBytes(32).toString('base64url');
  if (typeof secret !== 'string' || secret.length === 0) fail('secret must be a non-empty string');
  const startTimeoutMs = options.startTimeoutMs ?? 20_000;
  if (!Number.isFinite(startTimeoutMs) || startTimeoutMs <= 0) fail('startTimeoutMs must be a finite number > 0');
  const config: CloudConfig = {
    ids,
    host: options.host ?? '127.0.0.1',
    secret,
    cliPath: options.cliPath ?? fileURLToPath(new URL('./cli.js', import.meta.url)),
    startTimeoutMs,
    logger: safeLogger(options.logger),
    verbose: options.logger !== undefined,
    signal: options.signal,
    zone: undefined,
    dnsPort: 0,
  };
  if (options.cloud !== undefined) {
    if (typeof options.cloud !== 'string' || !isZoneName(options.cloud)) fail(`cloud must be a DNS zone name like 'cloud.test', got '${String(options.cloud)}'`);
    config.zone = canonicalName(options.cloud);
    for (const id of ids) if (!/^[A-Za-z0-9-]{1,63}$/.test(id)) fail(`ids: '${id}' must be a DNS label (1-63 of A-Z a-z 0-9 -) when cloud is set`);
  }
  if (options.dnsPort !== undefined) {
    if (config.zone === undefined) fail('dnsPort is set but cloud is not');
    const dnsPort = options.dnsPort;
    if (!Number.isInteger(dnsPort) || dnsPort < 0 || dnsPort + (dnsPort === 0 ? 0 : count - 1) > 65535) {
      fail(`dnsPort must be an integer 0..${65536 - count} (node i uses dnsPort + i)`);
    }
    config.dnsPort = dnsPort;
  }
  // The children take these as integer flags; a fraction would fail there, far from the caller.
  const tuning = [options.heartbeat?.intervalMs, options.heartbeat?.timeoutMs, options.peerHeartbeat?.intervalMs,
    options.peerHeartbeat?.timeoutMs, options.memberGraceMs, options.settleMs];
  if (tuning.some((ms) => ms !== undefined && (!Number.isSafeInteger(ms) || ms < 0))) {
    fail('heartbeat, peerHeartbeat, memberGraceMs and settleMs take integer milliseconds >= 0');
  }
  if (options.heartbeat !== undefined) config.heartbeat = options.heartbeat;
  if (options.peerHeartbeat !== undefined) config.peerHeartbeat = options.peerHeartbeat;
  if (options.memberGraceMs !== undefined) config.memberGraceMs = options.memberGraceMs;
  if (options.settleMs !== undefined) config.settleMs = options.settleMs;
  // Every client of a local cloud comes from one address (loopback), so the nodes' per-address
  // join limit would throttle a test's or a demo's whole crowd: off unless asked for.
  const joins = options.maxJoinsPerSecond ?? Number.POSITIVE_INFINITY;
  if (joins !== Number.POSITIVE_INFINITY && (!Number.isSafeInteger(joins) || joins < 1)) fail('maxJoinsPerSecond must be an integer >= 1 (or Infinity: no limit)');
  config.maxJoinsPerSecond = joins;
  return config;
}

export function wsUrl(host: string, port: number): string {
  return `ws://${host.includes(':') ? `[${host}]` : host}:${port}`;
}
