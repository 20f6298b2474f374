/**
 * DNS-over-HTTPS (RFC 8484) as a `DnsLookup`: the same SRV-then-A/AAAA resolution as over UDP
 * (`dns.ts` does the resolving; this only carries the queries), for platforms that cannot send DNS
 * packets — browsers — or networks that block them. Queries go as GET `?dns=<base64url>` with id 0,
 * so the answers are cacheable by the browser and by proxies, for as long as the server's
 * `Cache-Control` says (the answer's smallest TTL).
 *
 * Glue: the cloud's DNS server sends each SRV target's address in the additional section. Those
 * records answer the A/AAAA lookups that follow for that target without another request; since the
 * server sends a target's whole address set, a family missing from the glue has no records.
 *
 * Failures are classified here (the lookup contract allows a `GridlinkError`, which
 * `classifyDnsError` passes through): NXDOMAIN is `GRIDLINK_NO_NODES`; an unreachable endpoint, an
 * HTTP error, SERVFAIL/REFUSED or a malformed answer move on to the next endpoint, and fail the
 * lookup with the first endpoint's error when none answers.
 */
import { ConnectError } from '../core/errors.js';
import type { DnsAddress, DnsLookup, DnsSrv, HttpResponseLike } from '../platform/types.js';
import { base64Url, decodeMessage, encodeQuery, RecordType, type RecordTypeCode, type WireMessage, type WireRecord } from './doh-wire.js';
import { Endpoints, type HttpGet } from './discovery-endpoints.js';

export const DOH_MEDIA_TYPE = 'application/dns-message';

const Rcode = { NOERROR: 0, NXDOMAIN: 3 } as const;

export interface DohSettings {
  /** DoH endpoint URLs (`https://node.example.com/dns-query`), asked in turn. */
  readonly endpoints: readonly string[];
  readonly get: HttpGet;
  /** One request may take this long. */
  readonly timeoutMs: number;
  readonly now: () => number;
}

interface Glue {
  readonly records: readonly WireRecord[];
  readonly expires: number;
}

/** The URL of a GET query: the endpoint with `dns=` set (other parameters kept). */
export function dohUrl(endpoint: string, query: Uint8Array): string {
  const url = new URL(endpoint);
  url.searchParams.set('dns', base64Url(query));
  return url.href;
}

export function dohLookup(settings: DohSettings): DnsLookup {
  const endpoints = new Endpoints(settings.endpoints, settings.get, settings.timeoutMs);
  const glue = new Map<string, Glue>();

  const read = async (response: HttpResponseLike, url: string): Promise<WireMessage> => {
    const type = response.headers.get('content-type') ?? '';
    const body = new Uint8Array(await response.arrayBuffer());
    if (!type.toLowerCase().startsWith(DOH_MEDIA_TYPE)) {
      throw new ConnectError('GRIDLINK_PROTOCOL', `${url} is not a DNS-over-HTTPS endpoint (content-type '${type.slice(0, 60)}')`, { retriable: true });
    }
    const message = decodeMessage(body);
    if (message.rcode !== Rcode.NOERROR && message.rcode !== Rcode.NXDOMAIN) {
      throw new ConnectError('GRIDLINK_CONNECT_FAILED', `${url} answered DNS rcode ${message.rcode}`, { retriable: true });
    }
    return message;
  };

  /** The records of `type` for `name` (empty: the name has none); NXDOMAIN rejects. */
  const ask = async (name: string, type: RecordTypeCode, signal: AbortSignal): Promise<{ records: WireRecord[]; message: WireMessage }> => {
    const query = encodeQuery(name, type);
    const message = await endpoints.ask((endpoint) => dohUrl(endpoint, query), read, signal);
    if (message.rcode === Rcode.NXDOMAIN) {
      throw new ConnectError('GRIDLINK_NO_NODES', `DNS has no name ${name} (NXDOMAIN)`, { retriable: true });
    }
    return { records: message.answers.filter((r) => r.type === type && r.name === name), message };
  };

  const addresses = async (name: string, type: 1 | 28, signal: AbortSignal): Promise<DnsAddress[]> => {
    const key = name.toLowerCase();
    const known = glue.get(key);
    const records = known !== undefined && settings.now() < known.expires ? known.records : (await ask(key, type, signal)).records;
    return records.flatMap((r) => (r.type === type ? [{ address: r.data, ttl: r.ttl }] : []));
  };

  return {
    async srv(name, signal) {
      const { records, message } = await ask(name.toLowerCase(), RecordType.SRV, signal);
      const now = settings.now();
      // Old glue goes first: this answer's is the current one, and the map stays small.
      for (const [key, entry] of glue) if (entry.expires <= now) glue.delete(key);
      const byName = new Map<string, WireRecord[]>();
      for (const record of message.additionals) {
        if (record.type === RecordType.SRV) continue;
        byName.set(record.name, [...(byName.get(record.name) ?? []), record]);
      }
      for (const [target, list] of byName) glue.set(target, { records: list, expires: now + Math.min(...list.map((r) => r.ttl)) * 1000 });
      return records.flatMap((r): DnsSrv[] => (r.type === RecordType.SRV ? [{ name: r.data.target, port: r.data.port, priority: r.data.priority, weight: r.data.weight }] : []));
    },
    a: (name, signal) => addresses(name, RecordType.A, signal),
    aaaa: (name, signal) => addresses(name, RecordType.AAAA, signal),
  };
}
