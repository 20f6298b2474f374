/**
 * What the cloud's DNS server needs to know about the cloud: a snapshot of its nodes. The node
 * server builds it from its peer monitor and the loads its peers report (`../dns-view.ts`); tests
 * and other embedders hand-build one. The DNS server asks for a snapshot once per query, so a view
 * should return something it already holds rather than compute.
 */

export interface NodeLoad {
  /** Open client links. */
  readonly links: number;
  /** Sessions hosted. */
  readonly sessions: number;
}

export interface CloudNode {
  /** Node id; its DNS name is `<id>.<zone>` (lower-cased), so it must be a valid DNS label. */
  readonly id: string;
  /** IPv4 or IPv6 literal the node's clients dial; undefined = unknown (the node is left out of answers). */
  readonly address: string | undefined;
  /** The port of the node's advertised URL (SRV `port`). */
  readonly port: number;
  readonly load: NodeLoad;
  /** Region name: nodes of one region are "close" to each other (see ranking). */
  readonly region?: string | undefined;
  /** CIDR blocks whose clients this node is closest to. */
  readonly subnets?: readonly string[] | undefined;
  /** Alive as the view's owner sees it (itself: running; a peer: its peer link is alive). */
  readonly healthy: boolean;
  /** Shutting down: left out of answers at once, whatever `healthy` says. */
  readonly draining?: boolean | undefined;
}

export interface CloudSnapshot {
  readonly nodes: readonly CloudNode[];
  /** Id of the node this DNS server runs beside: its name is the SOA MNAME (primary server). */
  readonly self?: string | undefined;
  /**
   * False while the node has not yet heard from its peers (just started): its view of the cloud is
   * "just me", so it answers SERVFAIL rather than a wrong list, and resolvers ask another node.
   */
  readonly settled?: boolean;
}

export interface CloudView {
  /** The cloud as it is now. Called once per query: keep it cheap, never throw. */
  snapshot(): CloudSnapshot;
}
