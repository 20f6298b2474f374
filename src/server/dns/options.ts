/** The DNS server's options, normalized once: every mistake fails here, naming the option. */
import { isIP } from 'node:net';
import { safeLogger, type Logger } from '../../core/logger.js';
import { dnsName, fail, integer, isRecord, logger, optionKeys, optionsObject, shown } from '../../core/validate.js';
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
  /**
   * Open TCP connections per client address; further ones from it are closed at once, so one host
   * cannot take every slot. Default 32 (a resolver rarely needs more than a few).
   */
  maxTcpConnectionsPerAddress?: number;
  /** A TCP connection that has not sent a complete query this long after it opened is closed. Default min(3000, tcpIdleTimeoutMs). */
  tcpFirstQueryTimeoutMs?: number;
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
  readonly maxTcpConnectionsPerAddress: number;
  readonly tcpFirstQueryTimeoutMs: number;
  readonly logger: Logger;
}

/** A TTL above a day makes no sense for a zone that follows load. */
const MAX_TTL_SEC = 86_400;

const DNS_KEYS = optionKeys<DnsServerOptions>({
  zone: true, port: true, host: true, ttlSec: true, negativeTtlSec: true, view: true, maxTcpConnections: true,
  tcpIdleTimeoutMs: true, maxTcpConnectionsPerAddress: true, tcpFirstQueryTimeoutMs: true, logger: true,
});

export function normalizeDnsOptions(input: DnsServerOptions): DnsConfig {
  const options = optionsObject(input, DNS_KEYS);
  const zone = dnsName('zone', options.zone);
  const host = options.host ?? '127.0.0.1';
  if (typeof host !== 'string' || isIP(host) === 0) fail('host', `must be an IP address literal, got ${shown(host)}`);
  const view = options.view;
  if (!isRecord(view) || typeof view.snapshot !== 'function') fail('view', 'must be an object with a snapshot() method');
  const ttlSec = integer('ttlSec', options.ttlSec, 5, 0, MAX_TTL_SEC);
  const tcpIdleTimeoutMs = integer('tcpIdleTimeoutMs', options.tcpIdleTimeoutMs, 10_000, 100, 3_600_000);
  return {
    zone,
    port: integer('port', options.port, 0, 0, 65_535),
    host,
    ttlSec,
    negativeTtlSec: integer('negativeTtlSec', options.negativeTtlSec, ttlSec, 0, MAX_TTL_SEC),
    view: view as unknown as CloudView,
    maxTcpConnections: integer('maxTcpConnections', options.maxTcpConnections, 256, 1, 65_535),
    tcpIdleTimeoutMs,
    maxTcpConnectionsPerAddress: integer('maxTcpConnectionsPerAddress', options.maxTcpConnectionsPerAddress, 32, 1, 65_535),
    tcpFirstQueryTimeoutMs: integer('tcpFirstQueryTimeoutMs', options.tcpFirstQueryTimeoutMs, Math.min(3000, tcpIdleTimeoutMs), 100, 3_600_000),
    logger: safeLogger(logger('logger', options.logger)),
  };
}
