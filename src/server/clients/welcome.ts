/**
 * The welcome a node sends a client it hosts: who this node is and which nodes the cloud has (as
 * clients reach them: through the proxy, with cookies, if any), the heartbeat to keep, a fresh
 * resume token, and what the session host says about the session (members, base, want).
 */
import { PROTOCOL_VERSION, type HeartbeatSettings, type HelloFrame, type NodeInfo, type WelcomeFrame } from '../../protocol/frames.js';
import type { WelcomeParts } from '../sessions/session-host.js';
import type { TokenSigner } from './tokens.js';

/** What every welcome of one node shares. */
export interface WelcomeContext {
  /** This node, as clients reach it. */
  readonly node: NodeInfo;
  /** The cloud's nodes as clients reach them, this node first. */
  readonly nodes: readonly NodeInfo[];
  readonly heartbeat: HeartbeatSettings;
  readonly tokens: TokenSigner;
  /** The node's frame limit, told to clients so they refuse at send() what it would not take. */
  readonly maxFrameBytes: number;
  /** The node's bound of a member's meta, told so clients refuse at setMeta() what it would not take. */
  readonly maxMetaBytes: number;
}

/** Builds the welcome for `hello` (admission's `welcome`). */
export function welcomeBuilder(context: WelcomeContext): (hello: HelloFrame, parts: WelcomeParts) => WelcomeFrame {
  const { node, nodes, heartbeat, tokens, maxFrameBytes, maxMetaBytes } = context;
  return (hello, parts) => ({
    t: 'welcome',
    v: PROTOCOL_VERSION,
    node,
    session: hello.session,
    client: hello.client,
    resume: tokens.issue(hello.session, hello.client),
    nodes: [...nodes],
    heartbeat,
    members: parts.members,
    base: parts.base,
    ...(parts.want === undefined ? {} : { want: parts.want }),
    maxFrameBytes,
    meta: parts.metas,
    maxMetaBytes,
    shared: parts.shared,
    maxSharedKeys: parts.sharedLimits.keys,
    maxSharedBytes: parts.sharedLimits.bytes,
  });
}
