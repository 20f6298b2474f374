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

/** The HTTP statuses the publish route answers with (a bounded set, so they may be a label). */
export const PUBLISH_STATUSES = ['200', '400', '401', '404', '405', '413', '415', '500', '503', '504'] as const;
export type PublishStatus = (typeof PUBLISH_STATUSES)[number];

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
  /** `POST /sessions/{id}/messages` requests answered, by HTTP status (forwarded ones included). */
  readonly publishRequests: Record<PublishStatus, number> = { 200: 0, 400: 0, 401: 0, 404: 0, 405: 0, 413: 0, 415: 0, 500: 0, 503: 0, 504: 0 };
}
