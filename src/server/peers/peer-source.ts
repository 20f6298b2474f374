/**
 * Peers from DNS: the other nodes of the cloud read from DNS instead of being listed one by one,
 * so adding a node is a DNS change (a Kubernetes headless Service, Consul, the cloud's own DNS).
 *
 * Two sources, written as one string (option `peersFrom`, flag `--peers`):
 * - `srv:<name>` — SRV records; each target is a node: id = the target's first label
 *   (`b.cloud.internal` -> `b`; a node's `id` must be that label), URL `ws://<address>:<port>`
 *   with the target's address as this resolver finds it (the target name when it has none).
 * - `a:<name>:<port>` — A/AAAA records of a headless service; every address is a node on `port`,
 *   id = the address with `.`/`:` as `-` (`10.0.0.7` -> `10-0-0-7`, the pod-name style).
 *
 * This node's own entry (its id, or its own URL) is skipped. Every answer is checked: a name that
 * cannot be a node id, a port out of range, or past MAX_DISCOVERED_PEERS is left out with a warning.
 *
 * Re-resolution follows the answer's TTL (node:dns gives none for SRV itself, so the targets'
 * address records' — as the client's resolver does), clamped to [1 s, 60 s]. A failed or empty
 * answer keeps the last good set and retries with backoff (1 s doubling to 30 s): a DNS hiccup never
 * empties the cloud. The source's state is one union (`#state`), moved only by `#move`.
 */
import { Resolver } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { Logger } from '../../core/logger.js';
import type { NodeInfo } from '../../protocol/frames.js';

export type PeerSourceSpec = { kind: 'srv'; name: string } | { kind: 'a'; name: string; port: number };

export const MAX_DISCOVERED_PEERS = 64;
export const MIN_REFRESH_MS = 1000;
export const MAX_REFRESH_MS = 60_000;
const FIRST_RETRY_MS = 1000;
const MAX_RETRY_MS = 30_000;
const NAME = /^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9])?)(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9])?)*\.?$/i;
const LABEL_ID = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;

/** `srv:<name>` or `a:<name>:<port>`; throws an Error naming what is wrong. */
export function parsePeerSource(text: string): PeerSourceSpec {
  if (text.startsWith('srv:')) {
    const name = text.slice(4);
    if (!NAME.test(name)) throw new Error(`'${text}': '${name}' is not a DNS name`);
    return { kind: 'srv', name: name.replace(/\.$/, '') };
  }
  if (text.startsWith('a:')) {
    const rest = text.slice(2);
    const colon = rest.lastIndexOf(':');
    const name = rest.slice(0, colon);
    const port = Number(rest.slice(colon + 1));
    if (colon <= 0 || !NAME.test(name)) throw new Error(`'${text}': must be a:<name>:<port>`);
    if (!/^\d+$/.test(rest.slice(colon + 1)) || port < 1 || port > 65535) throw new Error(`'${text}': the port must be 1..65535`);
    return { kind: 'a', name: name.replace(/\.$/, ''), port };
  }
  throw new Error(`'${text}': must be srv:<name> or a:<name>:<port>`);
}

/** `127.0.0.1:5353`, `[::1]:53` or a bare IP: a DNS server the source asks instead of the system's. */
export function parseDnsServer(text: string): string {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  const [host, port] = bracketed !== null ? [bracketed[1], bracketed[2]] : text.split(':').length === 2 ? text.split(':') : [text, undefined];
  if (host === undefined || isIP(host) === 0) throw new Error(`'${text}': must be an IP address, optionally with :port`);
  if (port !== undefined && (!/^\d+$/.test(port) || Number(port) < 1 || Number(port) > 65535)) throw new Error(`'${text}': the port must be 1..65535`);
  return text;
}

/** One address with its TTL in seconds. */
export interface TtlAddress {
  readonly address: string;
  readonly ttl: number;
}

/** The lookups a source makes (node:dns/promises by default; unit tests pass a fake). */
export interface PeerLookup {
  srv(name: string): Promise<{ name: string; port: number }[]>;
  /** A and AAAA together; an empty list when the name has neither. */
  addresses(name: string): Promise<TtlAddress[]>;
}

/** node:dns/promises, asking `servers` when given (tests point it at a local DNS server). */
export function dnsLookup(servers?: readonly string[]): PeerLookup {
  const resolver = new Resolver({ timeout: 2000, tries: 2 });
  if (servers !== undefined && servers.length > 0) resolver.setServers([...servers]);
  const settledList = async (query: Promise<TtlAddress[]>): Promise<TtlAddress[]> => query.catch(() => []);
  return {
    srv: (name) => resolver.resolveSrv(name),
    addresses: async (name) => {
      const [v4, v6] = await Promise.all([settledList(resolver.resolve4(name, { ttl: true })), settledList(resolver.resolve6(name, { ttl: true }))]);
      return [...v4, ...v6];
    },
  };
}

export interface Discovered {
  readonly peers: NodeInfo[];
  /** When to ask again, clamped to [MIN_REFRESH_MS, MAX_REFRESH_MS]. */
  readonly refreshMs: number;
}

/** What counts as this node in an answer. */
export interface SelfInfo {
  readonly id: string;
  readonly url?: string | undefined;
}

/** One resolution of `spec`: the peers found (validated, bounded, self left out) and when to ask again. */
export async function discoverPeers(spec: PeerSourceSpec, lookup: PeerLookup, self: SelfInfo, logger: Logger): Promise<Discovered> {
  const found: { id: string; url: string; ttl: number }[] = [];
  if (spec.kind === 'srv') {
    // Checked records are bounded (a hostile answer must not cost thousands of lookups); their
    // addresses are asked for together, so one slow target does not delay the rest.
    const records = (await lookup.srv(spec.name)).slice(0, 2 * MAX_DISCOVERED_PEERS);
    const valid = records.filter((record) => {
      const target = record.name.replace(/\.$/, '');
      const ok = NAME.test(target) && LABEL_ID.test(target.split('.')[0] ?? '') && Number.isInteger(record.port) && record.port >= 1 && record.port <= 65535;
      if (!ok) logger.warn('peer discovery: ignoring a malformed SRV record', { name: spec.name, target: record.name, port: record.port });
      return ok;
    });
    const addresses = await Promise.all(valid.map((record) => lookup.addresses(record.name.replace(/\.$/, '')).catch((): TtlAddress[] => [])));
    valid.forEach((record, i) => {
      const target = record.name.replace(/\.$/, '');
      const address = addresses[i]?.[0];
      const host = address === undefined ? target : isIP(address.address) === 6 ? `[${address.address}]` : address.address;
      found.push({ id: target.split('.')[0] ?? '', url: `ws://${host}:${record.port}`, ttl: address?.ttl ?? MAX_REFRESH_MS / 1000 });
    });
  } else {
    for (const { address, ttl } of await lookup.addresses(spec.name)) {
      if (isIP(address) === 0) {
        logger.warn('peer discovery: ignoring a malformed address', { name: spec.name, address });
        continue;
      }
      found.push({ id: address.replace(/[.:]/g, '-'), url: `ws://${isIP(address) === 6 ? `[${address}]` : address}:${spec.port}`, ttl });
    }
  }
  const peers: NodeInfo[] = [];
  const seen = new Set<string>();
  let ttl = MAX_REFRESH_MS / 1000;
  for (const entry of found) {
    if (entry.id === self.id || entry.url === self.url || seen.has(entry.id)) continue;
    if (peers.length >= MAX_DISCOVERED_PEERS) {
      logger.warn('peer discovery: too many peers; ignoring the rest', { name: spec.name, max: MAX_DISCOVERED_PEERS });
      break;
    }
    seen.add(entry.id);
    peers.push({ id: entry.id, url: entry.url });
    ttl = Math.min(ttl, Number.isFinite(entry.ttl) && entry.ttl >= 0 ? entry.ttl : 0);
  }
  peers.sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
  return { peers, refreshMs: Math.min(MAX_REFRESH_MS, Math.max(MIN_REFRESH_MS, ttl * 1000)) };
}

type SourceState =
  | { kind: 'idle' }
  /** A good answer is in hand; the next question is due at the timer. */
  | { kind: 'fresh'; timer: NodeJS.Timeout }
  /** The last question failed (or found nobody): the last good set stands, retried after `retryMs`. */
  | { kind: 'retrying'; timer: NodeJS.Timeout; retryMs: number }
  | { kind: 'stopped' };

export interface PeerSourceOptions {
  readonly spec: PeerSourceSpec;
  readonly lookup: PeerLookup;
  readonly self: SelfInfo;
  readonly logger: Logger;
  /** The discovered set changed (sorted by id); never called with an empty set after a failure. */
  readonly onPeers: (peers: NodeInfo[]) => void;
}

/** Resolves `spec` now and again on the answer's TTL, reporting each change of the peer set. */
export class PeerSource {
  #state: SourceState = { kind: 'idle' };
  #current = '';
  #peers: NodeInfo[] = [];
  readonly #options: PeerSourceOptions;

  constructor(options: PeerSourceOptions) {
    this.#options = options;
  }

  /** The last good set (empty before the first answer). */
  get peers(): readonly NodeInfo[] {
    return this.#peers;
  }

  /** Resolves once, and schedules the next round; the returned promise never rejects. */
  async start(): Promise<void> {
    if (this.#state.kind !== 'idle') return;
    await this.#round();
  }

  stop(): void {
    this.#move({ kind: 'stopped' });
  }

  /** The one transition: clears the timer it leaves behind; nothing leaves `stopped`. */
  #move(next: SourceState): boolean {
    const prev = this.#state;
    if (prev.kind === 'stopped') {
      if (next.kind !== 'stopped' && 'timer' in next) clearTimeout(next.timer);
      return false;
    }
    if (prev.kind === 'fresh' || prev.kind === 'retrying') clearTimeout(prev.timer);
    this.#state = next;
    return true;
  }

  #schedule(ms: number): NodeJS.Timeout {
    const timer = setTimeout(() => void this.#round(), ms);
    timer.unref?.();
    return timer;
  }

  async #round(): Promise<void> {
    const { spec, lookup, self, logger } = this.#options;
    let result: Discovered | undefined;
    let problem: string | undefined;
    try {
      result = await discoverPeers(spec, lookup, self, logger);
      if (result.peers.length === 0 && this.#peers.length > 0) problem = 'the answer lists no peer';
    } catch (error) {
      problem = error instanceof Error ? error.message : String(error);
    }
    if (this.#state.kind === 'stopped') return;
    if (result === undefined || problem !== undefined) {
      const prev = this.#state;
      const retryMs = prev.kind === 'retrying' ? Math.min(MAX_RETRY_MS, prev.retryMs * 2) : FIRST_RETRY_MS;
      logger.warn('peer discovery failed; keeping the last peers', { name: spec.name, problem, peers: this.#peers.length, retryMs });
      this.#move({ kind: 'retrying', timer: this.#schedule(retryMs), retryMs });
      return;
    }
    this.#move({ kind: 'fresh', timer: this.#schedule(result.refreshMs) });
    const key = result.peers.map((peer) => `${peer.id}=${peer.url}`).join(' ');
    if (key === this.#current) return;
    this.#current = key;
    this.#peers = result.peers;
    logger.info('peers from DNS', { name: spec.name, peers: result.peers.map((peer) => peer.id) });
    try {
      this.#options.onPeers(result.peers);
    } catch (error) {
      logger.error('peer source onPeers hook threw', { error });
    }
  }
}

/** The node's source (option `peersFrom`), after its first round (failed or not: it keeps retrying). */
export async function startPeerSource(
  config: { readonly peerSource?: { readonly spec: PeerSourceSpec; readonly servers: readonly string[] | undefined } | undefined; readonly id: string; readonly logger: Logger },
  self: NodeInfo,
  onPeers: (peers: NodeInfo[]) => void,
): Promise<PeerSource | undefined> {
  if (config.peerSource === undefined) return undefined;
  const source = new PeerSource({ spec: config.peerSource.spec, lookup: dnsLookup(config.peerSource.servers), self: { id: config.id, url: self.url }, logger: config.logger, onPeers });
  await source.start();
  return source;
}
