/** The local cloud's options, normalized once: every mistake fails here, naming the option. */
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { safeLogger, type Logger } from '../core/logger.js';
import { NODE_ID, type NodeTuning } from '../process/node-flags.js';
import {
  dnsName, duration, fail, failOptions, group, HEARTBEAT_KEYS, integer, list, logger, nodeLabel, optionKeys, optionsObject,
  signal, text,
} from '../core/validate.js';

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
  /** Every node takes publishes over HTTP with the key derived from `secret` (`publishKey(secret)`); default false. */
  publish?: boolean;
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
  publish: boolean;
}

const CLOUD_KEYS = optionKeys<LocalCloudOptions>({
  nodes: true, ids: true, host: true, secret: true, cliPath: true, startTimeoutMs: true, logger: true, signal: true,
  cloud: true, dnsPort: true, heartbeat: true, peerHeartbeat: true, memberGraceMs: true, settleMs: true, maxJoinsPerSecond: true,
  maxMetaBytes: true, maxSharedKeys: true, maxSharedBytes: true, publish: true,
});

/** The children take timings as integer flags; a fraction would fail there, far from the caller. */
function milliseconds(name: string, value: unknown): number | undefined {
  return value === undefined ? undefined : integer(name, value, 0, 0);
}

/** A heartbeat group handed on to the nodes, which apply their own defaults and rules. */
function tuningHeartbeat(name: string, value: unknown): NodeTuning['heartbeat'] {
  const given = group(name, value, HEARTBEAT_KEYS);
  if (given === undefined) return undefined;
  const out: NonNullable<NodeTuning['heartbeat']> = {};
  const intervalMs = milliseconds(`${name}.intervalMs`, given.intervalMs);
  const timeoutMs = milliseconds(`${name}.timeoutMs`, given.timeoutMs);
  if (intervalMs !== undefined) out.intervalMs = intervalMs;
  if (timeoutMs !== undefined) out.timeoutMs = timeoutMs;
  return out;
}

export function normalizeCloudOptions(input: LocalCloudOptions): CloudConfig {
  const options = optionsObject(input, CLOUD_KEYS);
  const given = options.ids === undefined ? undefined : list('ids', options.ids, 'node ids');
  const count = integer('nodes', options.nodes ?? given?.length ?? 3, 3, 1, 26);
  const ids = given ?? Array.from({ length: count }, (_, i) => String.fromCharCode(97 + i));
  if (ids.length !== count) failOptions(`nodes (${count}) does not match ids (${ids.length} ids)`);
  for (const id of ids) if (typeof id !== 'string' || !NODE_ID.test(id)) fail('ids', `'${String(id)}' must be 1-128 of A-Z a-z 0-9 . _ -`);
  if (new Set(ids).size !== ids.length) fail('ids', 'must be unique');
  const logged = logger('logger', options.logger);
  const config: CloudConfig = {
    ids: ids as string[],
    host: options.host === undefined ? '127.0.0.1' : text('host', options.host),
    secret: options.secret === undefined ? randomBytes(32).toString('base64url') : text('secret', options.secret),
    cliPath: options.cliPath === undefined ? fileURLToPath(new URL('./cli.js', import.meta.url)) : text('cliPath', options.cliPath),
    startTimeoutMs: duration('startTimeoutMs', options.startTimeoutMs, 20_000, 1),
    logger: safeLogger(logged),
    verbose: logged !== undefined,
    signal: signal('signal', options.signal),
    zone: undefined,
    dnsPort: 0,
    publish: false,
  };
  if (options.publish !== undefined) {
    if (typeof options.publish !== 'boolean') fail('publish', 'must be true or false');
    config.publish = options.publish;
  }
  if (options.cloud !== undefined) {
    config.zone = dnsName('cloud', options.cloud);
    for (const id of config.ids) nodeLabel('ids', id);
  }
  if (options.dnsPort !== undefined) {
    if (config.zone === undefined) fail('dnsPort', 'is set but cloud is not');
    // Node i listens on dnsPort + i, so the last node's port must exist too.
    config.dnsPort = options.dnsPort === 0 ? 0 : integer('dnsPort', options.dnsPort, 0, 0, 65536 - count);
  }
  const heartbeat = tuningHeartbeat('heartbeat', options.heartbeat);
  const peerHeartbeat = tuningHeartbeat('peerHeartbeat', options.peerHeartbeat);
  const memberGraceMs = milliseconds('memberGraceMs', options.memberGraceMs);
  const settleMs = milliseconds('settleMs', options.settleMs);
  if (heartbeat !== undefined) config.heartbeat = heartbeat;
  if (peerHeartbeat !== undefined) config.peerHeartbeat = peerHeartbeat;
  if (memberGraceMs !== undefined) config.memberGraceMs = memberGraceMs;
  if (settleMs !== undefined) config.settleMs = settleMs;
  if (options.maxMetaBytes !== undefined) config.maxMetaBytes = integer('maxMetaBytes', options.maxMetaBytes, 1024, 2, 64 * 1024);
  // Every client of a local cloud comes from one address (loopback), so the nodes' per-address
  // join limit would throttle a test's or a demo's whole crowd: off unless asked for.
  const joins = options.maxJoinsPerSecond;
  config.maxJoinsPerSecond = joins === Number.POSITIVE_INFINITY ? joins : integer('maxJoinsPerSecond', joins, Number.POSITIVE_INFINITY, 1);
  return config;
}

export function wsUrl(host: string, port: number): string {
  return `ws://${host.includes(':') ? `[${host}]` : host}:${port}`;
}
