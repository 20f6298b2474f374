/**
 * The node process's command-line contract: its id syntax and the tuning flags, which `gridlink node`
 * parses and the local cloud passes to the nodes it spawns. One place names them, below both.
 */
import { intValue, stringValue, UsageError, type Options, type Values } from './args.js';

/** Node ids on the command line: no '=' (it separates `--peer id=url`) and nothing a shell mangles. */
export const NODE_ID = /^[A-Za-z0-9._-]{1,128}$/;

export function nodeId(name: string, text: string): string {
  if (!NODE_ID.test(text)) throw new UsageError(`--${name} must be 1-128 of A-Z a-z 0-9 . _ -, got '${text}'`);
  return text;
}

/** Heartbeat and placement timings a node accepts; unset fields keep the node's defaults. */
export interface NodeTuning {
  heartbeat?: { intervalMs?: number; timeoutMs?: number };
  peerHeartbeat?: { intervalMs?: number; timeoutMs?: number };
  memberGraceMs?: number;
  settleMs?: number;
  /** Joins per second per client address (node option `maxJoinsPerSecond`); Infinity: no limit. */
  maxJoinsPerSecond?: number;
  /** Largest member meta in bytes of JSON (node option `maxMetaBytes`). */
  maxMetaBytes?: number;
  /** Bounds of a session's shared map (node options `maxSharedKeys`, `maxSharedBytes`). */
  maxSharedKeys?: number;
  maxSharedBytes?: number;
}

const MAX_MS = 24 * 60 * 60 * 1000;
/** Upper bounds of the shared map's: a welcome carries the whole map, and a wire map at most 4096 keys. */
export const MAX_SHARED_KEYS = 4096;
export const MAX_SHARED_BYTES = 16 * 1024 * 1024;

export const TUNING_OPTIONS = {
  'heartbeat-interval': { type: 'string' },
  'heartbeat-timeout': { type: 'string' },
  'peer-interval': { type: 'string' },
  'peer-timeout': { type: 'string' },
  'member-grace': { type: 'string' },
  settle: { type: 'string' },
  'max-joins-per-second': { type: 'string' },
  'max-meta-bytes': { type: 'string' },
  'max-shared-keys': { type: 'string' },
  'max-shared-bytes': { type: 'string' },
} as const satisfies Options;

/** The tuning flags' help; `joinsDefault` differs: a node's is 200, a local cloud's is off. */
export const tuningUsage = (joinsDefault: string): string => `  --heartbeat-interval <ms>  ping clients this often when idle
  --heartbeat-timeout <ms>   a client silent this long is dead
  --peer-interval <ms>       ping peer nodes this often
  --peer-timeout <ms>        a peer silent this long leaves placement
  --member-grace <ms>        keep a detached member this long
  --settle <ms>              hold acknowledgements this long after a migration
  --max-joins-per-second <n|off>  joins per second per client address (default ${joinsDefault})
  --max-meta-bytes <n>       largest member meta, bytes of JSON (default 1024)
  --max-shared-keys <n>      keys of a session's shared map, deletions included (default 1000)
  --max-shared-bytes <n>     bytes of a session's shared map, keys plus JSON values (default 65536)`;

export function parseTuning(values: Values): NodeTuning {
  const ms = (name: string): number | undefined => intValue(values, name, 0, MAX_MS);
  const tuning: NodeTuning = {};
  const heartbeat = defined({ intervalMs: ms('heartbeat-interval'), timeoutMs: ms('heartbeat-timeout') });
  const peerHeartbeat = defined({ intervalMs: ms('peer-interval'), timeoutMs: ms('peer-timeout') });
  const memberGraceMs = ms('member-grace');
  const settleMs = ms('settle');
  if (heartbeat !== undefined) tuning.heartbeat = heartbeat;
  if (peerHeartbeat !== undefined) tuning.peerHeartbeat = peerHeartbeat;
  if (memberGraceMs !== undefined) tuning.memberGraceMs = memberGraceMs;
  if (settleMs !== undefined) tuning.settleMs = settleMs;
  const joins = stringValue(values, 'max-joins-per-second');
  if (joins !== undefined) tuning.maxJoinsPerSecond = joins === 'off' ? Number.POSITIVE_INFINITY : intValue(values, 'max-joins-per-second', 1, 1_000_000);
  const maxMetaBytes = intValue(values, 'max-meta-bytes', 2, 64 * 1024);
  if (maxMetaBytes !== undefined) tuning.maxMetaBytes = maxMetaBytes;
  const maxSharedKeys = intValue(values, 'max-shared-keys', 1, MAX_SHARED_KEYS);
  if (maxSharedKeys !== undefined) tuning.maxSharedKeys = maxSharedKeys;
  const maxSharedBytes = intValue(values, 'max-shared-bytes', 2, MAX_SHARED_BYTES);
  if (maxSharedBytes !== undefined) tuning.maxSharedBytes = maxSharedBytes;
  return tuning;
}

/** The flags that make `parseTuning` return `tuning` again (the local cloud passes them to nodes). */
export function tuningArgs(tuning: NodeTuning): string[] {
  const args: string[] = [];
  const add = (flag: string, value: number | undefined): void => {
    if (value !== undefined) args.push(`--${flag}`, String(value));
  };
  add('heartbeat-interval', tuning.heartbeat?.intervalMs);
  add('heartbeat-timeout', tuning.heartbeat?.timeoutMs);
  add('peer-interval', tuning.peerHeartbeat?.intervalMs);
  add('peer-timeout', tuning.peerHeartbeat?.timeoutMs);
  add('member-grace', tuning.memberGraceMs);
  add('settle', tuning.settleMs);
  add('max-meta-bytes', tuning.maxMetaBytes);
  add('max-shared-keys', tuning.maxSharedKeys);
  add('max-shared-bytes', tuning.maxSharedBytes);
  if (tuning.maxJoinsPerSecond !== undefined) {
    args.push('--max-joins-per-second', tuning.maxJoinsPerSecond === Number.POSITIVE_INFINITY ? 'off' : String(tuning.maxJoinsPerSecond));
  }
  return args;
}

function defined(pair: { intervalMs: number | undefined; timeoutMs: number | undefined }) {
  if (pair.intervalMs === undefined && pair.timeoutMs === undefined) return undefined;
  const out: { intervalMs?: number; timeoutMs?: number } = {};
  if (pair.intervalMs !== undefined) out.intervalMs = pair.intervalMs;
  if (pair.timeoutMs !== undefined) out.timeoutMs = pair.timeoutMs;
  return out;
}

// ---- metrics (`gridlink node` only: the local cloud's nodes are scraped by nobody) ----

export const METRICS_OPTIONS = {
  metrics: { type: 'boolean' },
  'metrics-token-env': { type: 'string' },
} as const satisfies Options;

export const METRICS_USAGE = `  --metrics                  serve GET /metrics (Prometheus text format, process series included) on --port
  --metrics-token-env <NAME> scrapes must send Authorization: Bearer <the value of NAME> (implies --metrics)`;

/** `--metrics` as the flags give it: the token's variable, never the token (argv is public to `ps`). */
export interface MetricsFlags {
  tokenEnv?: string;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

export function parseMetricsFlags(values: Values): { metrics?: MetricsFlags } {
  const tokenEnv = stringValue(values, 'metrics-token-env');
  if (tokenEnv === undefined) return values.metrics === true ? { metrics: {} } : {};
  // Not quoted: someone who misread the flag may have put the token itself here.
  if (!ENV_NAME.test(tokenEnv)) throw new UsageError('--metrics-token-env takes the NAME of an environment variable holding the token (letters, digits, _), not the token');
  return { metrics: { tokenEnv } };
}

/** The node's `metrics` option, the token read from the environment when the flags name one. */
export function metricsOption(flags: MetricsFlags, env: NodeJS.ProcessEnv): { token?: string; processMetrics: true } {
  if (flags.tokenEnv === undefined) return { processMetrics: true };
  const token = env[flags.tokenEnv];
  if (token === undefined || token === '') throw new UsageError(`--metrics-token-env: environment variable ${flags.tokenEnv} is not set`);
  return { token, processMetrics: true };
}
