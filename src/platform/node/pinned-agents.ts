/**
 * Dialling a node by IP while `Host` and TLS SNI stay its name: an undici `Agent` whose sockets are
 * opened with a `lookup` that always answers the pinned address. undici hands its `connect` options
 * to `net.connect` / `tls.connect`, and takes SNI and `Host` from the URL, so nothing else changes.
 * (Rewriting the URL to the IP instead would break SNI and certificate checks for `wss`.)
 *
 * One agent per address, kept in a small map: health probes reuse its keep-alive connections, and a
 * WebSocket's socket leaves the agent once upgraded, so closing an old agent never cuts a link.
 * The agents come from the platform's factory, so they carry its TLS settings and cookie jar.
 */
import type { LookupFunction } from 'node:net';
import type { Dispatcher } from 'undici';

const MAX_AGENTS = 64;

export function pinnedLookup(address: string): LookupFunction {
  const family = address.includes(':') ? 6 : 4;
  return (_hostname, options, callback) => {
    // Node 20 connects with autoSelectFamily, which asks for every address (`all: true`).
    if (options.all === true) callback(null, [{ address, family }]);
    else callback(null, address, family);
  };
}

/** Builds a dispatcher; `lookup` set = dial that pinned address. */
export type AgentFactory = (lookup: LookupFunction | undefined) => Dispatcher;

export class PinnedAgents {
  readonly #agents = new Map<string, Dispatcher>();

  constructor(private readonly create: AgentFactory) {}

  for(address: string): Dispatcher {
    let agent = this.#agents.get(address);
    if (agent !== undefined) return agent;
    if (this.#agents.size >= MAX_AGENTS) {
      const [oldest, old] = this.#agents.entries().next().value as [string, Dispatcher];
      this.#agents.delete(oldest);
      void old.close().catch(() => {});
    }
    agent = this.create(pinnedLookup(address));
    this.#agents.set(address, agent);
    return agent;
  }
}
