/**
 * The node's options, normalized once. Everything a caller can get wrong fails here, synchronously,
 * naming the option; the rest of `src/server/` sees only the readonly `NodeConfig`.
 */
import { randomBytes } from 'node:crypto';
import { OptionsError } from '../core/errors.js';
import { safeLogger, type Logger } from '../core/logger.js';
import { MAX_ID_LENGTH } from '../protocol/codec.js';
import type { HeartbeatSettings, NodeInfo } from '../protocol/frames.js';

export interface NodeServerOptions {
  /** Stable node id (1..128 chars), the same across restarts. */
  id: string;
  /** Port to listen on; default 0 (ephemeral). */
  port?: number;
  /** Interface to listen on; default '127.0.0.1'. */
  host?: string;
  /** URL clients and peers reach this node at (advertised); default `ws://${host}:${port}`. */
  url?: string;
  /** The other nodes of the cloud. An entry with this node's own id is ignored. */
  peers?: NodeInfo[];
  /** HMAC secret shared by the cloud for resume tokens; default random per node. */
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
  logger?: Logger;
}

export interface NodeConfig {
  readonly id: string;
  readonly port: number;
  readonly host: string;
  /** Undefined until the port is known, unless the caller gave one. */
  readonly url: string | undefined;
  readonly peers: readonly NodeInfo[];
  readonly secret: string;
  readonly heartbeat: HeartbeatSettings;
  readonly peerHeartbeat: HeartbeatSettings;
  readonly memberGraceMs: number;
  readonly settleMs: number;
  readonly maxFrameBytes: number;
  readonly tokenTtlMs: number;
  readonly drainDeadlineMs: number;
  /** A connection that sends nothing at all is dropped after this long. */
  readonly handshakeTimeoutMs: number;
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
    // A local cloud may hand every node the full list; a node is not its own peer.
    if (peerId !== self) out.push({ id: peerId, url });
  });
  return out;
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
  return {
    id: nodeId,
    port,
    host,
    url,
    peers: peers(options.peers, nodeId),
    secret: options.secret ?? randomBytes(32).toString('base64url'),
    heartbeat: clientHeartbeat,
    peerHeartbeat: heartbeat(options.peerHeartbeat, 'peerHeartbeat', { intervalMs: 500, timeoutMs: 1500 }),
    memberGraceMs: duration(options.memberGraceMs, 'memberGraceMs', 15_000, 0),
    settleMs: duration(options.settleMs, 'settleMs', 3000, 0),
    maxFrameBytes,
    tokenTtlMs: duration(options.tokenTtlMs, 'tokenTtlMs', 3_600_000, 1000),
    drainDeadlineMs: duration(options.drainDeadlineMs, 'drainDeadlineMs', 5000, 0),
    // A connection that never says hello is as dead as a silent link; 5 s at most.
    handshakeTimeoutMs: Math.min(5000, clientHeartbeat.timeoutMs),
    logger: safeLogger(options.logger),
  };
}
