/**
 * node:dns behind the platform's `DnsLookup`. One `Resolver` per lookup object, so its server list
 * and `cancel()` concern only the client that made it. Timeout and tries are small: a dead DNS server
 * must cost a connection round a second or so, not c-ares' default of many seconds — the client has
 * a last good answer and the nodes' own advertised list to fall back on.
 */
import { promises as dns } from 'node:dns';
import { onAbort } from '../../core/abort.js';
import type { DnsLookup } from '../types.js';

/** Per query try, in ms; c-ares doubles it on each retry. */
const TIMEOUT_MS = 500;
const TRIES = 2;

export function nodeDns(servers: readonly string[]): DnsLookup {
  const resolver = new dns.Resolver({ timeout: TIMEOUT_MS, tries: TRIES });
  if (servers.length > 0) resolver.setServers([...servers]);
  // Aborting cancels every query this resolver has in flight: they all belong to the same
  // resolution, which is what the signal is about.
  const run = async <T>(signal: AbortSignal, query: () => Promise<T>): Promise<T> => {
    const unsubscribe = onAbort(signal, () => resolver.cancel());
    try {
      return await query();
    } finally {
      unsubscribe();
    }
  };
  return {
    srv: (name, signal) => run(signal, () => resolver.resolveSrv(name)),
    a: (name, signal) => run(signal, () => resolver.resolve4(name, { ttl: true })),
    aaaa: (name, signal) => run(signal, () => resolver.resolve6(name, { ttl: true })),
  };
}
