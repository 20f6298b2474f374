/**
 * Resolvers turn what the caller configured (a static list, a cloud name) into the cloud's nodes,
 * best first. Contract: `resolve()` may be called before every connection round; it is the
 * resolver's job to cache (honouring TTLs: `withCache`) and to keep a last good answer when its
 * source fails (`withLastKnownGood`). It rejects with a retriable `GridlinkError` when it has
 * nothing at all, and with the abort error when `signal` aborts.
 */
import type { NodeInfo } from '../protocol/frames.js';
import { internList } from './intern.js';

/** A node as a resolver knows it: `address`, when set, is the IP to dial (Host stays the URL's name). */
export interface ResolvedNode extends NodeInfo {
  readonly address?: string;
}

export interface Resolver {
  resolve(signal: AbortSignal): Promise<readonly ResolvedNode[]>;
}

/** An answer that says how long it stays good (DNS records carry a TTL). */
export interface Answer {
  readonly nodes: readonly ResolvedNode[];
  readonly ttlMs: number;
}

/** A source of answers with lifetimes; `withCache` turns it into a `Resolver`. */
export interface AnswerSource {
  lookup(signal: AbortSignal): Promise<Answer>;
}

/** A fixed list: the simplest cloud, and the fallback when everything else is down. */
export function staticResolver(nodes: readonly NodeInfo[]): Resolver {
  // A shared copy (intern.ts): every client of a cloud names the same nodes.
  const answer = internList(nodes);
  return { resolve: () => Promise.resolve(answer) };
}
