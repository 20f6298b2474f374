/**
 * The discovery document a node serves at `/.well-known/gridlink`: the cloud as this node sees it,
 * for clients that cannot ask DNS (browser pages) and do not want to configure DoH:
 *
 *   { cloud?, ttl, heartbeat: { intervalMs, timeoutMs }, nodes: [{ id, url, load: { links, sessions }, healthy }] }
 *
 * Healthy nodes come first, in the order the cloud's DNS ranks them (`dns/ranking.ts`: closest,
 * then least loaded, ties rotated per asker and second), then the others with `healthy: false`, by
 * id. `ttl` (seconds) is how long the document stays good; the route sends it as `max-age` too.
 */
import type { HeartbeatSettings, NodeInfo } from '../../protocol/frames.js';
import { rank } from '../dns/ranking.js';
import { sourceHash } from '../dns/server.js';
import type { CloudSnapshot, NodeLoad } from '../dns/view.js';

export const WELL_KNOWN_PATH = '/.well-known/gridlink';
export const DEFAULT_DISCOVERY_TTL_SEC = 5;

export interface DiscoveryNode {
  readonly id: string;
  readonly url: string;
  /** Behind a reverse proxy: the sticky cookie that routes to this node (Node clients send it). */
  readonly cookie?: string;
  readonly load: NodeLoad;
  readonly healthy: boolean;
}

export interface DiscoveryDocument {
  /** The cloud's DNS zone, when the node serves one. */
  readonly cloud?: string;
  readonly ttl: number;
  /** The node <-> client heartbeat settings (as in `welcome`). */
  readonly heartbeat: HeartbeatSettings;
  readonly nodes: readonly DiscoveryNode[];
}

export interface DiscoveryContext {
  /** Every node of the cloud with the URL clients reach it at (this node and its peers). */
  readonly nodes: readonly NodeInfo[];
  readonly heartbeat: HeartbeatSettings;
  readonly cloud?: string | undefined;
  readonly ttlSec?: number | undefined;
  /** The asker's address: proximity, and where the rotation of equally good nodes starts. */
  readonly source?: string | undefined;
  /** Seconds since the epoch (the rotation advances once a second, as the DNS answers do). */
  readonly second?: number;
}

export function discoveryDocument(snapshot: CloudSnapshot, context: DiscoveryContext): DiscoveryDocument {
  const urls = new Map(context.nodes.map((node) => [node.id, node]));
  const second = context.second ?? Math.floor(Date.now() / 1000);
  const source = context.source ?? '';
  // Ranking leaves out nodes without an address (DNS cannot publish them); a document names nodes
  // by URL, so any placeholder address lets every healthy node be ranked.
  const known = snapshot.nodes.filter((node) => urls.has(node.id)).map((node) => ({ ...node, address: node.address ?? node.id }));
  const ranked = rank(known, { clientAddress: context.source, rotation: (second + sourceHash(source)) % 0x7fffffff }).nodes.map((r) => r.node);
  const healthy = new Set(ranked.map((node) => node.id));
  const rest = known.filter((node) => !healthy.has(node.id)).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const entry = (node: (typeof known)[number], isHealthy: boolean): DiscoveryNode => {
    const { url, cookie } = urls.get(node.id) as NodeInfo;
    return { id: node.id, url, ...(cookie === undefined ? {} : { cookie }), load: { links: node.load.links, sessions: node.load.sessions }, healthy: isHealthy };
  };
  return {
    ...(context.cloud === undefined ? {} : { cloud: context.cloud }),
    ttl: context.ttlSec ?? DEFAULT_DISCOVERY_TTL_SEC,
    heartbeat: { intervalMs: context.heartbeat.intervalMs, timeoutMs: context.heartbeat.timeoutMs },
    nodes: [...ranked.map((node) => entry(node, true)), ...rest.map((node) => entry(node, false))],
  };
}
