/**
 * Dialling a node by IP while `Host` and TLS SNI stay its name: an undici `Agent` whose sockets are
 * opened with a `lookup` that always answers the pinned address. undici hands its `connect` options
 * to `net.connect` / `tls.connect`, and takes SNI and `Host` from the URL, so nothing else changes.
 * (Rewriting the URL to the IP instead would break SNI and certificate checks for `wss`.)
 *
 * One agent per address (and one for ordinary dialling), shared by every client of the process
 * that trusts the same CAs: an agent holds sockets, not client state, and one per client would cost
 * every idle client tens of kilobytes. Each client composes its own cookie jar on top. A dropped
 * agent is not closed (another client may still use it); an idle one holds no sockets after its
 * keep-alive timeout, and a WebSocket's socket leaves the agent once upgraded anyway.
 */
import type { LookupFunction } from 'node:net';
import type { Dispatcher } from 'undici';

const MAX_AGENTS = 1024;

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

  /** The agent that dials `address` (or dials normally, when undefined). */
  for(address: string | undefined): Dispatcher {
    const key = address ?? '';
    let agent = this.#agents.get(key);
    if (agent !== undefined) return agent;
    if (this.#agents.size >= MAX_AGENTS) this.#agents.delete(this.#agents.keys().next().value as string);
    agent = this.create(address === undefined ? undefined : pinnedLookup(address));
    this.#agents.set(key, agent);
    return agent;
  }
}
