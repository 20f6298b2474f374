/** The DNS server's options, normalized once: every mistake fails here, naming the option. */
import { isIP } from 'node:net';
import { OptionsError } from '../../core/errors.js';
import { safeLogger, type Logger } from '../../core/logger.js';
import { canonicalName, isZoneName } from './names.js';
import type { CloudView } from './view.js';

export interface DnsServerOptions {
  /** The zone this server is authoritative for, e.g. 'cloud.test' (a trailing dot is fine). */
  zone: string;
  /** UDP and TCP port; default 0 (ephemeral; the same port for both). */
  port?: number;
  /** Address to listen on (an IP literal); default '127.0.0.1'. */
  host?: string;
  /** TTL of every record; default 5 s (short: the answers follow load and health). */
  ttlSec?: number;
  /** How long resolvers may cache "no such name" (SOA MINIMUM); default: ttlSec. */
  negativeTtlSec?: number;
  /** Where the answers come from. */
  view: CloudView;
  /** Open TCP connections at most; further ones are refused by the kernel backlog. Default 256. */
  maxTcpConnections?: number;
  /** A TCP connection idle this long, or a query still incomplete after it, is closed. Default 10000 ms. */
  tcpIdleTimeoutMs?: number;
  logger?: Logger;
}

export interface DnsConfig {
  readonly zone: string;
  readonly port: number;
  readonly host: string;
  readonly ttlSec: number;
  readonly negativeTtlSec: number;
  readonly view: CloudView;
  readonly maxTcpConnections: number;
  readonly tcpIdleTimeoutMs: number;
  readonly logger: Logger;
}

/** A TTL above a day makes no sense for a zone that follows load. */
const MAX_TTL_SEC = 86_400;

function fail(message: string): never {
  throw new OptionsError('GRIDLINK_INVALID_OPTION', message);
}

function integer(value: unknown, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) fail(`${name} must be an integer ${min}..${max}`);
  return value;
}

export function normalizeDnsOptions(options: DnsServerOptions): DnsConfig {
  if (typeof options !== 'object' || options === null) fail('options must be an object');
  if (typeof options.zone !== 'string' || !isZoneName(options.zone)) {
    fail(`zone must be a DNS name of letters, digits, '-' and '_' labels (e.g. 'cloud.example.com'), got '${String(options.zone)}'`);
  }
  const host = options.host ?? '127.0.0.1';
  if (typeof host !== 'string' || isIP(host) === 0) fail(`host must be an IP address literal, got '${String(host)}'`);
  const view = options.view as unknown;
  if (typeof view !== 'object' || view === null || typeof (view as { snapshot?: unknown }).snapshot !== 'function') {
    fail('view must be an object with a snapshot() method');
  }
  if (options.logger !== undefined && (typeof options.logger !== 'object' || options.logger === null)) {
    fail('logger must be an object with debug/info/warn/error');
  }
  const ttlSec = integer(options.ttlSec, 'ttlSec', 5, 0, MAX_TTL_SEC);
  return {
    zone: canonicalName(options.zone),
    port: integer(options.port, 'port', 0, 0, 65_535),
    host,
    ttlSec,
    negativeTtlSec: integer(options.negativeTtlSec, 'negativeTtlSec', ttlSec, 0, MAX_TTL_SEC),
    view: options.view,
    maxTcpConnections: integer(options.maxTcpConnections, 'maxTcpConnections', 256, 1, 65_535),
    tcpIdleTimeoutMs: integer(options.tcpIdleTimeoutMs, 'tcpIdleTimeoutMs', 10_000, 100, 3_600_000),
    logger: safeLogger(options.logger),
  };
}
