/**
 * The cloud's DNS server: authoritative for one zone, over UDP and TCP on the same port, answering
 * from a `CloudView`. Every query is handled synchronously from bytes to bytes (snapshot, then a
 * cached answer or decode, rank, encode), so one bad packet can only cost its own answer: each is
 * handled inside a try/catch, and nothing a query does can wait on another.
 */
import { createSocket, type RemoteInfo, type Socket as UdpSocket } from 'node:dgram';
import { createServer, isIP, type Server, type Socket } from 'node:net';
import { buildResponse, Rcode, setRcode, type QueryContext, type ZoneSettings } from './answer.js';
import { AnswerCache, snapshotKey } from './cache.js';
import { normalizeDnsOptions, type DnsConfig, type DnsServerOptions } from './options.js';
import { serveTcpConnection } from './tcp.js';
import type { CloudSnapshot } from './view.js';
import { CLASSIC_UDP_BYTES, decodeQuery, encodeResponse, HEADER_BYTES, MAX_TCP_BYTES, MAX_UDP_BYTES, udpLimit } from './wire.js';
import { listenFailure } from '../node/listen.js';
import { plainAddress } from './subnets.js';

export type { DnsServerOptions } from './options.js';

export interface DnsServer {
  /** The UDP and TCP port. */
  readonly port: number;
  readonly host: string;
  /** `host:port` (`[host]:port` for IPv6), e.g. for `dig @host -p port` or a client's `dns` option. */
  readonly address: string;
  /**
   * Answers one query given as bytes (DNS-over-HTTPS: `src/server/dns/doh.ts`), from `source` (the
   * asker's IP). No size limit but DNS's own 64 KiB; undefined when the query must not be answered.
   */
  query(bytes: Uint8Array, source: string): Uint8Array | undefined;
  /**
   * Queries answered since start, by transport and response code (`rcode` 0..15), and queries
   * dropped unanswered, by transport: for the node's metrics.
   */
  counts(): DnsCounts;
  /** Stops listening, closes every TCP connection; resolves when all is closed. Idempotent. */
  close(): Promise<void>;
}

export async function startDnsServer(options: DnsServerOptions): Promise<DnsServer> {
  const config = normalizeDnsOptions(options);
  const { udp, tcp, port } = await bindBoth(config).catch((error: unknown) => {
    throw listenFailure('the DNS server', config.host, config.port, error);
  });
  return new Dns(config, udp, tcp, port);
}

/** HTTPS (DoH) answers, like TCP ones, are limited only by DNS's 64 KiB. */
export type Transport = 'udp' | 'tcp' | 'https';

export type DnsCounts = Record<Transport, { readonly answered: readonly number[]; readonly dropped: number }>;

/** Counted per query: an increment in a preallocated array. */
type Tally = Record<Transport, { answered: number[]; dropped: number }>;

const UDP_RECV_BUFFER_BYTES = 1 << 20;
/** Queries longer than this are answered but not cached. */
const MAX_CACHED_QUERY_BYTES = 512;
/** Attempts at finding an ephemeral port free for both UDP and TCP. */
const BIND_ATTEMPTS = 5;

/** UDP first (port 0 picks one), then TCP on the same port; with port 0, retried if TCP's is taken. */
async function bindBoth(config: DnsConfig): Promise<{ udp: UdpSocket; tcp: Server; port: number }> {
  for (let attempt = 1; ; attempt++) {
    const udp = createSocket({ type: isIP(config.host) === 6 ? 'udp6' : 'udp4' });
    try {
      await new Promise<void>((resolve, reject) => {
        udp.once('error', reject);
        udp.bind(config.port, config.host, () => {
          udp.off('error', reject);
          resolve();
        });
      });
    } catch (error) {
      udp.close();
      throw error;
    }
    // Queries come in bursts (a cloud's clients reconnecting at once); the default buffer drops them.
    try {
      udp.setRecvBufferSize(UDP_RECV_BUFFER_BYTES);
    } catch {
      // capped or refused by the OS: the default still works
    }
    const port = udp.address().port;
    const tcp = createServer();
    try {
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(port, config.host, () => {
          tcp.off('error', reject);
          resolve();
        });
      });
      return { udp, tcp, port };
    } catch (error) {
      udp.close();
      const inUse = (error as NodeJS.ErrnoException).code === 'EADDRINUSE';
      if (config.port !== 0 || !inUse || attempt >= BIND_ATTEMPTS) throw error;
    }
  }
}

class Dns implements DnsServer {
  readonly host: string;
  readonly address: string;
  private readonly settings: ZoneSettings;
  private readonly connections = new Set<Socket>();
  /** Open TCP connections per client address. */
  private readonly perAddress = new Map<string, number>();
  private readonly cache = new AnswerCache();
  private readonly tally: Tally = { udp: blankCounts(), tcp: blankCounts(), https: blankCounts() };
  private closing: Promise<void> | undefined;

  constructor(
    private readonly config: DnsConfig,
    private readonly udp: UdpSocket,
    private readonly tcp: Server,
    readonly port: number,
  ) {
    this.host = config.host;
    this.address = `${isIP(config.host) === 6 ? `[${config.host}]` : config.host}:${port}`;
    this.settings = {
      zone: config.zone,
      ttlSec: config.ttlSec,
      negativeTtlSec: config.negativeTtlSec,
      // One serial per server start: the zone has no transfers, so it only has to look sane.
      serial: Math.floor(Date.now() / 1000) >>> 0,
      udpPayloadSize: MAX_UDP_BYTES,
    };
    udp.on('message', (message: Buffer, remote: RemoteInfo) => this.udpMessage(message, remote));
    udp.on('error', (error) => config.logger.warn('dns udp socket error', { error: error.message }));
    tcp.maxConnections = config.maxTcpConnections;
    tcp.on('connection', (socket: Socket) => this.tcpConnection(socket));
    tcp.on('error', (error) => config.logger.warn('dns tcp server error', { error: error.message }));
    config.logger.info('dns listening', { zone: config.zone, address: this.address });
  }

  /** One host may hold a few slots, never all of them; the first query must come quickly. */
  private tcpConnection(socket: Socket): void {
    const address = plainAddress(socket.remoteAddress ?? '');
    const count = this.perAddress.get(address) ?? 0;
    if (count >= this.config.maxTcpConnectionsPerAddress) {
      this.config.logger.debug('dns tcp connection refused: too many from this address', { address });
      socket.on('error', () => {});
      socket.destroy();
      return;
    }
    this.perAddress.set(address, count + 1);
    this.connections.add(socket);
    const timeouts = { idleMs: this.config.tcpIdleTimeoutMs, firstQueryMs: this.config.tcpFirstQueryTimeoutMs };
    serveTcpConnection(socket, { answer: (bytes, source) => this.answer(bytes, source, 'tcp') }, timeouts, () => {
      this.connections.delete(socket);
      const left = (this.perAddress.get(address) ?? 1) - 1;
      if (left <= 0) this.perAddress.delete(address);
      else this.perAddress.set(address, left);
    });
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      const tcpClosed = new Promise<void>((resolve) => this.tcp.close(() => resolve()));
      for (const socket of this.connections) socket.destroy();
      await new Promise<void>((resolve) => {
        try {
          this.udp.close(() => resolve());
        } catch {
          resolve(); // already closed
        }
      });
      await tcpClosed;
    })();
    return this.closing;
  }

  query(bytes: Uint8Array, source: string): Uint8Array | undefined {
    // Typed as Uint8Array so the published types need no @types/node; dns-packet wants a Buffer.
    const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return this.answer(buffer, source, 'https');
  }

  private udpMessage(message: Buffer, remote: RemoteInfo): void {
    if (remote.port === 0) return; // nowhere to answer
    const answer = this.answer(message, remote.address, 'udp');
    if (answer === undefined) return;
    this.udp.send(answer, remote.port, remote.address, (error) => {
      if (error) this.config.logger.debug('dns udp send failed', { error: error.message });
    });
  }

  counts(): DnsCounts {
    return this.tally;
  }

  private answer(bytes: Buffer, source: string, transport: Transport): Buffer | undefined {
    const answer = this.respond(bytes, source, transport);
    const counts = this.tally[transport];
    // The response code is the low 4 bits of the header's fourth byte.
    if (answer === undefined || answer.length < 4) counts.dropped++;
    else counts.answered[(answer[3] ?? 0) & 0x0f]!++;
    return answer;
  }

  /** Bytes in, bytes out (or nothing). Never throws: a failure is logged and answered SERVFAIL or dropped. */
  private respond(bytes: Buffer, source: string, transport: Transport): Buffer | undefined {
    try {
      if (bytes.length < HEADER_BYTES) return undefined;
      let snapshot: CloudSnapshot;
      try {
        snapshot = this.config.view.snapshot();
      } catch (error) {
        this.config.logger.error('dns view snapshot threw', { error: error instanceof Error ? error.message : String(error) });
        return this.serverFailure(bytes, transport);
      }
      if (snapshot.settled === false) return this.serverFailure(bytes, transport);
      const second = Math.floor(Date.now() / 1000);
      const context = { snapshot, source, rotation: (second + sourceHash(source)) % 0x7fffffff };
      // Big packets are not questions worth remembering (and would make big keys).
      if (bytes.length > MAX_CACHED_QUERY_BYTES) return this.compute(bytes, transport, context);
      const key = `${transport}|${source}|${snapshotKey(snapshot)}|${bytes.toString('latin1', 2)}`;
      const cached = this.cache.get(key, bytes.readUInt16BE(0), second);
      if (cached !== undefined) return cached;
      const answer = this.compute(bytes, transport, context);
      this.cache.set(key, answer);
      return answer;
    } catch (error) {
      this.config.logger.debug('dns query dropped', { transport, error: error instanceof Error ? error.message : String(error) });
      return undefined;
    }
  }

  private compute(bytes: Buffer, transport: Transport, context: Omit<QueryContext, 'settings'>): Buffer | undefined {
    const decoded = decodeQuery(bytes);
    if (decoded.kind === 'drop') return undefined;
    if (decoded.kind === 'formerr') return encodeResponse(decoded.response, CLASSIC_UDP_BYTES);
    const response = buildResponse(decoded.packet, { settings: this.settings, ...context });
    return response === undefined ? undefined : encodeResponse(response, transport === 'udp' ? udpLimit(decoded.packet) : MAX_TCP_BYTES);
  }

  /** The view failed: SERVFAIL, with the question echoed when there is one. */
  private serverFailure(bytes: Buffer, transport: Transport): Buffer | undefined {
    const decoded = decodeQuery(bytes);
    if (decoded.kind !== 'query') return decoded.kind === 'formerr' ? encodeResponse(decoded.response, CLASSIC_UDP_BYTES) : undefined;
    const failed = buildResponse(decoded.packet, { settings: this.settings, snapshot: { nodes: [] }, rotation: 0 });
    if (failed === undefined) return undefined;
    setRcode(failed, Rcode.SERVFAIL);
    failed.flags = (failed.flags ?? 0) & ~(1 << 10); // not authoritative for an answer it could not give
    return encodeResponse({ ...failed, answers: [], authorities: [] }, transport === 'udp' ? udpLimit(decoded.packet) : MAX_TCP_BYTES);
  }
}

function blankCounts(): { answered: number[]; dropped: number } {
  return { answered: new Array<number>(16).fill(0), dropped: 0 };
}

/** FNV-1a of the asker's address: different askers start the rotation at different nodes. */
export function sourceHash(source: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < source.length; i++) hash = Math.imul(hash ^ source.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % 0x7fffffff;
}
