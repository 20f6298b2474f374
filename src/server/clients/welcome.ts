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
  /** The cloud's nodes as clients reach them (any order: welcomes list them by id). */
  readonly nodes: readonly NodeInfo[];
  readonly heartbeat: HeartbeatSettings;
  readonly tokens: TokenSigner;
  /** The node's frame limit, told to clients so they refuse at send() what it would not take. */
  readonly maxFrameBytes: number;
  /** The node's bound of a member's meta, told so clients refuse at setMeta() what it would not take. */
  readonly maxMetaBytes: number;
}

const byId = (a: NodeInfo, b: NodeInfo): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** Builds the welcome for `hello` (admission's `welcome`). */
export function welcomeBuilder(context: WelcomeContext): (hello: HelloFrame, parts: WelcomeParts) => WelcomeFrame {
  const { node, nodes, heartbeat, tokens, maxFrameBytes, maxMetaBytes } = context;
  // Sorted again only when the node set changed (peers from DNS replace its entries), not per join.
  let listed: readonly NodeInfo[] = [];
  let sorted: readonly NodeInfo[] = [];
  const nodesById = (): readonly NodeInfo[] => {
    if (nodes.length !== listed.length || nodes.some((info, i) => info !== listed[i])) {
      listed = [...nodes];
      sorted = [...nodes].sort(byId);
    }
    return sorted;
  };
  return (hello, parts) => ({
    t: 'welcome',
    v: PROTOCOL_VERSION,
    node,
    session: hello.session,
    client: hello.client,
    resume: tokens.issue(hello.session, hello.client),
    // By id, the same list from every node of the cloud: a client that migrates is handed the
    // list it already has, and takes it in one comparison (resolve/node-list.ts), which a crowd
    // re-homing at once otherwise pays in full per client.
    nodes: nodesById(),
    heartbeat,
    members: parts.members,
    base: parts.base,
    // Undefined (absent from the JSON) when the session does not know one.
    want: parts.want,
    maxFrameBytes,
    meta: parts.metas,
    maxMetaBytes,
    shared: parts.shared,
    maxSharedKeys: parts.sharedLimits.keys,
    maxSharedBytes: parts.sharedLimits.bytes,
  });
}
