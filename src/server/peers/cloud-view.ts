/**
 * The cloud as this node's DNS server sees it: this node (healthy while it is running, i.e. not
 * draining) and every peer, healthy while the peer monitor holds it alive, with the load it last
 * reported over the peer links. So a dead peer leaves the answers when its peer link times out,
 * and a draining one at once (its `peer-drain` takes it out of the alive set).
 *
 * The load reporter is the other half of that channel: it sends this node's load to its peers when
 * a link opens and, checked once per peer heartbeat, whenever the load has changed.
 */
import { isIP } from 'node:net';
import { setUnrefInterval } from '../../core/timers.js';
import type { NodeInfo } from '../../protocol/frames.js';
import type { CloudNode, CloudSnapshot, CloudView, NodeLoad } from '../dns/view.js';
import type { LoadFrame } from './frames.js';

/** What the view reads from its node. */
export interface ViewHost {
  readonly self: NodeInfo;
  readonly peers: readonly NodeInfo[];
  /** This node's own DNS details (options `address`, `region`, `subnets`). */
  readonly place: { readonly address?: string | undefined; readonly region?: string | undefined; readonly subnets?: readonly string[] | undefined };
  load(): NodeLoad;
  running(): boolean;
  alivePeers(): readonly string[];
  /** Whether every peer has answered once (or the startup wait is over). */
  settled(): boolean;
}

/** The IP of a URL whose host is an IP literal, and its port (the scheme's default when absent). */
export function urlEndpoint(url: string): { address: string | undefined; port: number } {
  try {
    const parsed = new URL(url);
    const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
    const port = parsed.port === '' ? (parsed.protocol === 'wss:' || parsed.protocol === 'https:' ? 443 : 80) : Number(parsed.port);
    return { address: isIP(host) === 0 ? undefined : host, port };
  } catch {
    return { address: undefined, port: 0 };
  }
}

export class NodeCloudView implements CloudView {
  private readonly reported = new Map<string, LoadFrame>();
  private readonly endpoints = new Map<string, { address: string | undefined; port: number }>();

  private peers: readonly NodeInfo[];

  constructor(private readonly host: ViewHost) {
    this.peers = host.peers;
    for (const node of [host.self, ...host.peers]) this.endpoints.set(node.id, urlEndpoint(node.url));
  }

  /** The peer set changed at runtime (peers from DNS): what a dropped peer reported goes with it. */
  setPeers(peers: readonly NodeInfo[]): void {
    this.peers = peers;
    const keep = new Set([this.host.self.id, ...peers.map((peer) => peer.id)]);
    for (const id of [...this.endpoints.keys()]) if (!keep.has(id)) this.endpoints.delete(id);
    for (const id of [...this.reported.keys()]) if (!keep.has(id)) this.reported.delete(id);
    for (const peer of peers) this.endpoints.set(peer.id, urlEndpoint(peer.url));
  }

  /** A peer's load frame arrived (either direction of the link). */
  noteLoad(peerId: string, frame: LoadFrame): void {
    if (this.endpoints.has(peerId)) this.reported.set(peerId, frame);
  }

  /** This node's load frame, as its peers should hear it. */
  ownLoad(): LoadFrame {
    const { links, sessions } = this.host.load();
    const { address, region, subnets } = this.host.place;
    const frame: LoadFrame = { t: 'load', links, sessions };
    if (address !== undefined) frame.address = address;
    if (region !== undefined) frame.region = region;
    if (subnets !== undefined) frame.subnets = [...subnets];
    return frame;
  }

  snapshot(): CloudSnapshot {
    const { self, place } = this.host;
    const endpoint = this.endpoints.get(self.id) ?? { address: undefined, port: 0 };
    const running = this.host.running();
    const nodes: CloudNode[] = [{
      id: self.id,
      address: place.address ?? endpoint.address,
      port: endpoint.port,
      load: this.host.load(),
      region: place.region,
      subnets: place.subnets,
      healthy: running,
      draining: !running,
    }];
    const alive = new Set(this.host.alivePeers());
    for (const peer of this.peers) {
      const report = this.reported.get(peer.id);
      const peerEndpoint = this.endpoints.get(peer.id) ?? { address: undefined, port: 0 };
      nodes.push({
        id: peer.id,
        address: report?.address ?? peerEndpoint.address,
        port: peerEndpoint.port,
        // Not heard from yet: counted as idle (it is alive, so it just started or just came back).
        load: { links: report?.links ?? 0, sessions: report?.sessions ?? 0 },
        region: report?.region,
        subnets: report?.subnets,
        healthy: alive.has(peer.id),
      });
    }
    return { nodes, self: self.id, settled: this.host.settled() };
  }
}

/** Sends this node's load to its peers whenever it changed, checked every `intervalMs`. */
export class LoadReporter {
  private last = '';
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(view: NodeCloudView, broadcast: (frame: LoadFrame) => void, intervalMs: number) {
    this.timer = setUnrefInterval(() => {
      const frame = view.ownLoad();
      const key = `${frame.links}/${frame.sessions}`;
      if (key === this.last) return;
      this.last = key;
      broadcast(frame);
    }, intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
