/**
 * The node's publisher (publish/publisher.ts), wired to its placement, its sessions and its peers'
 * URLs: forwards go to a peer at the URL peers dial it on, not the one clients are told (which may
 * be a proxy's).
 */
import { maxMessageFrameBytes, type NodeInfo } from '../../protocol/frames.js';
import { publishKey } from '../publish/publish-options.js';
import { Publisher } from '../publish/publisher.js';
import type { SessionHost } from '../sessions/session-host.js';
import type { NodeConfig } from './options.js';

export interface NodePublisherDeps {
  readonly config: NodeConfig;
  /** This node as peers reach it. */
  readonly self: NodeInfo;
  /** The peers as this node dials them (they change with peers from DNS). */
  peers(): readonly NodeInfo[];
  running(): boolean;
  /** Placement's host of the session (named as clients reach it; only its id is used). */
  hostOf(session: string): NodeInfo;
  /** Resolves once this node has heard from its peers (before that, placement would name itself for everything). */
  settled(): Promise<void>;
  readonly sessions: SessionHost;
}

/** `{"t":"pub","id":"<128 chars>","b":1,"d":}` and then some. */
const PUB_ENVELOPE_BYTES = 256;

export function nodePublisher(deps: NodePublisherDeps): Publisher {
  const { config, self, sessions } = deps;
  return new Publisher(
    {
      self: self.id,
      running: deps.running,
      settled: deps.settled,
      hostOf(session) {
        const id = deps.hostOf(session).id;
        const url = id === self.id ? self.url : deps.peers().find((peer) => peer.id === id)?.url;
        return { id, url: url ?? self.url };
      },
      async deliver(session, id, data, _timeoutMs, signal) {
        const { members, away } = await sessions.publish(session, id, data, signal);
        return members + away === 0 ? { status: 'no-members', id, members: 0 } : { status: 'delivered', id, members, away };
      },
    },
    {
      // A `pub` frame must fit what members take from a node, with room for its envelope and id.
      maxMessageBytes: maxMessageFrameBytes(config.maxFrameBytes) - PUB_ENVELOPE_BYTES,
      // Every node of a cloud that shares a secret can forward; otherwise the first API key, if any.
      forwardKey: config.publish?.forwardKey ?? (config.sharedSecret === undefined ? undefined : publishKey(config.sharedSecret)),
    },
  );
}
