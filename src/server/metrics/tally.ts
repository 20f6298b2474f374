/**
 * What a node counts for `/metrics`, as plain numbers. Counting happens on paths that must stay
 * cheap (every relayed message, every DNS query), so it is a field increment and nothing more: no
 * metric library call, no label lookup, no allocation. The registry (`node-metrics.ts`) reads these
 * at scrape time. They are counted whether or not metrics are served, which costs the same nothing.
 */

/** Why a hello was answered with `redirect` (placement.ts's reasons). */
export type RedirectReason = 'not-host' | 'draining';

/** The `error` codes admission answers a hello with (a bounded set, so they may be a label). */
export type RefusalCode = 'busy' | 'version' | 'unauthorized' | 'rejected' | 'draining';

export class NodeTally {
  /** Hellos that joined a session here. */
  joins = 0;
  readonly redirects: Record<RedirectReason, number> = { 'not-host': 0, draining: 0 };
  readonly refusals: Record<RefusalCode, number> = { busy: 0, version: 0, unauthorized: 0, rejected: 0, draining: 0 };
  /** Wire bytes of the `msg` frames clients sent (what the node relays, as it arrived). */
  relayedBytes = 0;
  /** Client links closed because the client went silent for the heartbeat timeout. */
  clientHeartbeatTimeouts = 0;
  /** Peer links (this node's outbound ones) closed because the peer went silent. */
  peerHeartbeatTimeouts = 0;
}
