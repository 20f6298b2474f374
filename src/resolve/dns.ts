/**
 * A cloud's nodes from its DNS, as the seeds' clients find them: `SRV _gridlink._tcp.<cloud>`
 * (one record per live node, best first), then each target's A/AAAA; when the cloud publishes no
 * SRV record, the A/AAAA records of the cloud's name itself, on the configured default port.
 *
 * - Order: the cloud's. SRV records are sorted by priority (lower first) then weight (heavier
 *   first), and records that tie keep the order the server sent. We deliberately do not apply RFC
 *   2782's weighted random choice: the cloud already ranked its nodes, and every member of a session
 *   should see the same order. (Use the `round-robin` policy to spread first attempts instead.)
 * - Trust: only targets inside the cloud's zone are used; any other is refused with
 *   `GRIDLINK_FOREIGN_NODE`, reported through `onProblem`, and left out. At most `maxNodes` nodes.
 * - Lifetime: Node's API gives no TTL for SRV records, so an SRV-based answer lives as long as the
 *   shortest TTL of the address records it used, and at most `SRV_MAX_TTL_MS`.
 * - Each node is dialled by the address found here (`address`), its URL keeping the DNS name.
 */
import { abortError } from '../core/abort.js';
import { ConnectError, type GridlinkError } from '../core/errors.js';
import type { DnsAddress, DnsLookup, DnsSrv } from '../platform/types.js';
import { classifyDnsError, isNoData } from './dns-errors.js';
import type { Answer, AnswerSource, ResolvedNode } from './resolver.js';

import { SRV_SERVICE } from '../protocol/frames.js';
import { canonicalName, isZoneName } from '../core/dns-names.js';

export { SRV_SERVICE };
/** Used when no address record gave a TTL to go by. */
export const DEFAULT_TTL_MS = 5000;
export const SRV_MAX_TTL_MS = 30_000;
const MAX_TTL_MS = 3_600_000;

export interface DnsResolverSettings {
  /** The cloud's DNS name, lower case, without a trailing dot. */
  readonly cloud: string;
  readonly scheme: 'ws' | 'wss';
  /** Port of the nodes when there is no SRV record. */
  readonly port: number;
  readonly maxNodes: number;
  /** A record that was refused or unusable; the answer goes on without it. */
  readonly onProblem?: (error: GridlinkError) => void;
}

export interface DnsAnswer extends Answer {
  /** Which records the nodes came from. */
  readonly via: 'srv' | 'address';
}

/** A name from an answer, already canonical (lower case, no trailing dot): the one zone-name rule. */
export function isDnsName(name: string): boolean {
  return name === canonicalName(name) && isZoneName(name);
}

export function inZone(name: string, zone: string): boolean {
  return name === zone || name.endsWith(`.${zone}`);
}

/** Priority ascending, then weight descending; `sort` is stable, so ties keep the server's order. */
export function orderSrv(records: readonly DnsSrv[]): DnsSrv[] {
  return [...records].sort((a, b) => a.priority - b.priority || b.weight - a.weight);
}

function ttlMs(records: readonly DnsAddress[], capMs: number): number {
  if (records.length === 0) return Math.min(DEFAULT_TTL_MS, capMs);
  const seconds = Math.min(...records.map((r) => (Number.isFinite(r.ttl) && r.ttl >= 0 ? r.ttl : 0)));
  return Math.min(seconds * 1000, capMs);
}

export interface DnsSource extends AnswerSource {
  lookup(signal: AbortSignal): Promise<DnsAnswer>;
}

export function dnsResolver(lookup: DnsLookup, settings: DnsResolverSettings): DnsSource {
  const { cloud, scheme, maxNodes } = settings;
  const problem = (error: GridlinkError): void => settings.onProblem?.(error);

  /** The first address of `name` (A preferred), or the classified reason there is none. */
  async function addressOf(name: string, signal: AbortSignal): Promise<DnsAddress> {
    const [v4, v6] = await Promise.allSettled([lookup.a(name, signal), lookup.aaaa(name, signal)]);
    if (signal.aborted) throw abortError(signal, `resolving ${name}`);
    const first = (v4.status === 'fulfilled' ? v4.value[0] : undefined) ?? (v6.status === 'fulfilled' ? v6.value[0] : undefined);
    if (first !== undefined) return first;
    const errors = [v4, v6].flatMap((r) => (r.status === 'rejected' ? [classifyDnsError(r.reason, `A/AAAA ${name}`)] : []));
    throw errors.find((e) => !isNoData(e)) ?? errors[0] ?? new ConnectError('GRIDLINK_NO_NODES', `DNS has no address for ${name}`, { retriable: true });
  }

  async function bySrv(records: readonly DnsSrv[], signal: AbortSignal): Promise<DnsAnswer> {
    const targets: Array<{ name: string; port: number }> = [];
    const seen = new Set<string>();
    for (const record of orderSrv(records)) {
      const name = canonicalName(record.name);
      if (name === '') continue; // target "." means "no service here" (RFC 2782)
      if (!isDnsName(name) || !Number.isInteger(record.port) || record.port < 1 || record.port > 65535) {
        problem(new ConnectError('GRIDLINK_NO_NODES', `DNS answered an unusable SRV record (${name.slice(0, 100)}:${record.port})`, { retriable: true }));
        continue;
      }
      if (!inZone(name, cloud)) {
        problem(new ConnectError('GRIDLINK_FOREIGN_NODE', `DNS named ${name.slice(0, 100)} for ${cloud}, which is outside the cloud's zone; ignored`, { retriable: true }));
        continue;
      }
      if (seen.has(`${name}:${record.port}`)) continue;
      seen.add(`${name}:${record.port}`);
      targets.push({ name, port: record.port });
      if (targets.length >= maxNodes) break;
    }
    const settled = await Promise.allSettled(targets.map((t) => addressOf(t.name, signal)));
    if (signal.aborted) throw abortError(signal, `resolving ${cloud}`);
    const nodes: ResolvedNode[] = [];
    const used: DnsAddress[] = [];
    const errors: GridlinkError[] = [];
    settled.forEach((result, i) => {
      const target = targets[i] as { name: string; port: number };
      if (result.status === 'rejected') {
        errors.push(classifyDnsError(result.reason, `A/AAAA ${target.name}`));
        return;
      }
      used.push(result.value);
      const id = target.name === cloud ? target.name : target.name.slice(0, -(cloud.length + 1));
      nodes.push({ id, url: `${scheme}://${target.name}:${target.port}/`, address: result.value.address });
    });
    if (nodes.length === 0) {
      throw errors.find((e) => !isNoData(e)) ?? errors[0] ?? new ConnectError('GRIDLINK_NO_NODES', `DNS named no usable node for ${cloud}`, { retriable: true });
    }
    for (const error of errors) problem(error);
    return { nodes, ttlMs: ttlMs(used, SRV_MAX_TTL_MS), via: 'srv' };
  }

  async function byAddress(signal: AbortSignal): Promise<DnsAnswer> {
    const [v4, v6] = await Promise.allSettled([lookup.a(cloud, signal), lookup.aaaa(cloud, signal)]);
    if (signal.aborted) throw abortError(signal, `resolving ${cloud}`);
    const records = [v4, v6].flatMap((r) => (r.status === 'fulfilled' ? r.value : []));
    const addresses = [...new Map(records.map((r) => [r.address, r])).values()].slice(0, maxNodes);
    if (addresses.length === 0) {
      const errors = [v4, v6].flatMap((r) => (r.status === 'rejected' ? [classifyDnsError(r.reason, `A/AAAA ${cloud}`)] : []));
      throw (
        errors.find((e) => !isNoData(e)) ??
        new ConnectError('GRIDLINK_NO_NODES', `DNS has neither SRV ${SRV_SERVICE}.${cloud} nor A/AAAA records for ${cloud}`, { cause: errors[0], retriable: true })
      );
    }
    const url = `${scheme}://${cloud}:${settings.port}/`;
    // One name, several addresses: each address is a node, named by its IP until it tells us its id.
    const nodes = addresses.map((r) => ({ id: r.address, url, address: r.address }));
    return { nodes, ttlMs: ttlMs(addresses, MAX_TTL_MS), via: 'address' };
  }

  return {
    async lookup(signal) {
      const name = `${SRV_SERVICE}.${cloud}`;
      let records: DnsSrv[];
      try {
        records = await lookup.srv(name, signal);
      } catch (raw) {
        if (signal.aborted) throw abortError(signal, `resolving ${cloud}`);
        const error = classifyDnsError(raw, `SRV ${name}`);
        // Only "no such record" means "try the name's addresses"; a dead server fails fast.
        if (!isNoData(error)) throw error;
        return byAddress(signal);
      }
      return records.length === 0 ? byAddress(signal) : bySrv(records, signal);
    },
  };
}
