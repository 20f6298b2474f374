/**
 * The cloud's load-balancing policy, as DNS answers express it. Pure: nodes + who asks -> order.
 *
 * 1. Only nodes that can take clients: healthy, not draining, with a known address.
 * 2. Closest first, when the asker's address is known and some node lists subnets: nodes whose
 *    subnets hold the address (tier 0), then the other nodes of those nodes' regions (tier 1), then
 *    the rest (tier 2).
 * 3. Least loaded first within a tier. Load is `links + sessions`. Nodes whose loads are within 10%
 *    (at least 1) of the lightest node of a band share that band: small differences are noise that
 *    changes faster than a TTL, and ordering by them would send every asker of one TTL to one node.
 * 4. Within a band the order rotates (the server advances it every second and offsets it per
 *    asker), so equally good nodes share the new clients.
 *
 * SRV expresses the same order: priority = the band's index (0 = best), weight = 1000 / (1 + load)
 * (lighter nodes of a band are picked more often by clients that weigh SRV records).
 */
import { inSubnets } from './subnets.js';
import type { CloudNode, NodeLoad } from './view.js';

export interface RankContext {
  /** The asker's address (EDNS client subnet, else the query's source); enables proximity. */
  readonly clientAddress?: string | undefined;
  /** Rotates the order within each band; the server passes the current second plus a hash of the asker. */
  readonly rotation: number;
}

export interface RankedNode {
  readonly node: CloudNode & { readonly address: string };
  /** SRV priority: index of the node's band, 0 = best. */
  readonly priority: number;
  /** SRV weight, 1..1000. */
  readonly weight: number;
  /** 0 = in the asker's subnet, 1 = same region as such a node, 2 = elsewhere (or proximity unused). */
  readonly tier: 0 | 1 | 2;
}

export interface Ranking {
  readonly nodes: readonly RankedNode[];
  /** The asker's address changed the order (so an ECS answer is scoped to its subnet). */
  readonly usedProximity: boolean;
}

/** What ranking compares: a session costs its host about what a link does (state, relay fan-out). */
export function loadScore(load: NodeLoad): number {
  const links = Number.isFinite(load.links) && load.links > 0 ? load.links : 0;
  const sessions = Number.isFinite(load.sessions) && load.sessions > 0 ? load.sessions : 0;
  return links + sessions;
}

export function srvWeight(load: NodeLoad): number {
  return Math.max(1, Math.round(1000 / (1 + loadScore(load))));
}

/** Loads within this much of a band's lightest node count as equal. */
function tolerance(score: number): number {
  return Math.max(1, Math.floor(score * 0.1));
}

type Usable = CloudNode & { readonly address: string };

function usable(node: CloudNode): node is Usable {
  return node.healthy && node.draining !== true && typeof node.address === 'string' && node.address.length > 0;
}

function tiers(nodes: readonly Usable[], clientAddress: string | undefined): { tierOf: (node: Usable) => 0 | 1 | 2; used: boolean } {
  const flat = { tierOf: (): 2 => 2, used: false };
  if (clientAddress === undefined || !nodes.some((node) => (node.subnets?.length ?? 0) > 0)) return flat;
  const near = new Set(nodes.filter((node) => inSubnets(clientAddress, node.subnets)));
  if (near.size === 0) return flat;
  const regions = new Set<string>();
  for (const node of near) if (node.region !== undefined && node.region !== '') regions.add(node.region);
  return {
    tierOf: (node) => (near.has(node) ? 0 : node.region !== undefined && regions.has(node.region) ? 1 : 2),
    used: true,
  };
}

export function rank(nodes: readonly CloudNode[], context: RankContext): Ranking {
  const live = nodes.filter(usable);
  const { tierOf, used } = tiers(live, context.clientAddress);
  const keyed = live
    .map((node) => ({ node, tier: tierOf(node), score: loadScore(node.load) }))
    .sort((a, b) => a.tier - b.tier || a.score - b.score || (a.node.id < b.node.id ? -1 : a.node.id > b.node.id ? 1 : 0));
  const out: RankedNode[] = [];
  const rotation = Number.isSafeInteger(context.rotation) ? Math.abs(context.rotation) : 0;
  let priority = 0;
  let start = 0;
  while (start < keyed.length) {
    const first = keyed[start] as (typeof keyed)[number];
    const limit = first.score + tolerance(first.score);
    let end = start + 1;
    for (let next = keyed[end]; next !== undefined && next.tier === first.tier && next.score <= limit; next = keyed[++end]);
    const band = keyed.slice(start, end);
    const shift = rotation % band.length;
    band.forEach((_, i) => {
      const entry = band[(i + shift) % band.length] as (typeof keyed)[number];
      out.push({ node: entry.node, priority, weight: srvWeight(entry.node.load), tier: entry.tier });
    });
    start = end;
    priority++;
  }
  return { nodes: out, usedProximity: used };
}
