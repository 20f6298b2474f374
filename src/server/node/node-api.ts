/** What a running node offers its owner: `startNode()` resolves with one (node-server.ts starts it; node.ts is the node). */
import type { Emitter } from '../../core/emitter.js';
import type { NodeInfo } from '../../protocol/frames.js';
import type { PublishOptions, PublishResult } from '../publish/publish-api.js';
import type { NodeEvents } from './node-events.js';

export interface NodeStats {
  id: string;
  /** Open client links. */
  links: number;
  sessions: number;
  /** Members of hosted sessions, attached or detached. */
  members: number;
  /** Messages relayed since start. */
  relayed: number;
  alivePeers: string[];
}

/** Also an event emitter: `on('join' | 'leave' | 'message' | 'migrated-in', …)` (node-events.ts). */
export interface NodeServer extends Pick<Emitter<NodeEvents>, 'on' | 'once' | 'off' | 'removeAllListeners' | 'listenerCount'> {
  readonly id: string;
  readonly url: string;
  readonly port: number;
  readonly info: NodeInfo;
  /** The cloud's DNS server running beside this node (option `cloud`), e.g. `{ address: '127.0.0.1:5353' }`. */
  readonly dns: { readonly address: string; readonly host: string; readonly port: number } | undefined;
  stats(): NodeStats;
  /** Host of `session` as this node currently sees it (rendezvous over the live set, or its pin). */
  hostOf(session: string): NodeInfo;
  /**
   * Publishes `data` into `session` from `@server` (docs/protocol.md "Publish"): delivered by the
   * session's host — this node, or forwarded to it — to every member present, and kept for the ones
   * away for their grace period until they come back; resolves once each member present confirmed
   * it (`delivered`), or `no-members`. Retry a failure with the same `idempotencyKey`.
   */
  publish(session: string, data: string | Uint8Array, options?: PublishOptions): Promise<PublishResult>;
  /** Leaves placement, tells clients to migrate, resolves once they left or the deadline passed; then the node is closed. */
  drain(options?: { deadlineMs?: number }): Promise<void>;
  /** Immediate: closes every link (1001), stops the peer monitor, closes the listener. */
  close(): Promise<void>;
}
