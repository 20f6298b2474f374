/**
 * The wire protocol: one JSON object per WebSocket text message, discriminated by `t`.
 * `docs/protocol.md` is the prose version of this file, written for server implementers.
 */

export const PROTOCOL_VERSION = 1;

/** WebSocket subprotocol both ends negotiate, so a plain WebSocket server is refused early. */
export const SUBPROTOCOL = 'gridlink.v1';
/**
 * Room a node keeps in every relayed `msg` frame for what it adds (`"from":"<id>"`, an id of up to
 * 128 characters, JSON-escaped): a client's own `msg` frame may be at most `maxFrameBytes` minus
 * this, so that what the node relays still fits every member's `maxFrameBytes`.
 */
export const MESSAGE_ENVELOPE_BYTES = 1024;

/** The largest `msg` frame a client may send to a node whose frame limit is `maxFrameBytes`. */
export function maxMessageFrameBytes(maxFrameBytes: number): number {
  return maxFrameBytes - MESSAGE_ENVELOPE_BYTES;
}

/** The DNS service name under which a cloud lists its nodes: `SRV _gridlink._tcp.<cloud>`. */
export const SRV_SERVICE = '_gridlink._tcp';

/**
 * A node as the protocol names it: a stable id and the URL clients dial. Behind a reverse proxy
 * every node has the proxy's URL, and `cookie` (one `name=value` pair, e.g. `SRVNAME=S1`) is what
 * makes the proxy route a request to this node: the client sends it with the upgrade request.
 */
export interface NodeInfo {
  readonly id: string;
  readonly url: string;
  readonly cookie?: string;
}

/** A JSON value, as `JSON.parse` returns one: what a member's `meta` may be. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * Default bound of one member's `meta`, in UTF-8 bytes of its JSON text (`JSON.stringify`, no
 * whitespace). A node's limit is told in its welcome (`maxMetaBytes`).
 */
export const DEFAULT_MAX_META_BYTES = 1024;

/** Default bounds of a session's shared map on a node (keys, tombstones included; bytes of keys plus JSON values). */
export const DEFAULT_MAX_SHARED_KEYS = 1000;
export const DEFAULT_MAX_SHARED_BYTES = 64 * 1024;

/**
 * One key of the shared map: its version (the host's clock when it ordered the write) and its
 * value; `[version]` alone is a deletion, kept so an older value cannot come back.
 */
export type SharedEntry = [number] | [number, JsonValue];
export type SharedMapWire = Record<string, SharedEntry>;

/** Per-sender receive watermarks: sender client id -> highest reliable seq delivered in order. */
export type Watermarks = Record<string, number>;

export interface HeartbeatSettings {
  readonly intervalMs: number;
  readonly timeoutMs: number;
}

// ---- client -> node -------------------------------------------------------------------------

export interface HelloFrame {
  t: 'hello';
  v: number;
  session: string;
  client: string;
  /** Resume token from an earlier welcome; proves this client id belongs to this caller. */
  resume?: string;
  /**
   * The caller's credential (option `token`, or `getToken()` asked again for every attempt), for the
   * node's `authenticate` hook. Sent in every hello, never logged. At most 4096 chars.
   */
  token?: string;
  /** What this client has delivered, per sender, so the new host can have senders replay the rest. */
  recv: Watermarks;
  /** Members this client knows of; the host keeps room for the ones that have not arrived yet. */
  members: string[];
  /** Node ids that failed this client during the current migration (the host weighs the report). */
  failed?: string[];
  /**
   * This client's highest reliable seq so far (0 if none): where a member that meets it as a sender
   * starts. Without it, a member that joined before this client sent anything would, after a
   * migration, be taken for a newcomer and skip what was sent while it was there.
   */
  sent?: number;
  /** Id of the node this client is migrating away from, if any. */
  via?: string;
  /** This member's current meta (absent: null), at most the node's `maxMetaBytes`: a new host learns it here. */
  meta?: JsonValue;
  /**
   * This member's copy of the shared map (docs/protocol.md "Shared state"): a new host adopts, per
   * key, the highest version any member holds. Present (even empty) from clients that understand
   * `to`, requests and shared state; the node sends `shared` frames only to those.
   */
  shared?: SharedMapWire;
  /** 1: this client takes `pub` frames (messages the backend published) and confirms each with `got`. */
  pub?: 1;
}

/**
 * Node -> client: a message the backend published into the session (`node.publish()`, HTTP
 * publish; docs/protocol.md "Publish"), from the reserved sender `@server`. `id` is the publish's
 * id (its idempotency key): a client delivers each id once, and confirms it with `got` every time.
 */
export interface PubFrame {
  t: 'pub';
  id: string;
  d: string;
  b?: 1;
}

/** Client -> node: publish `id` reached this member (sent for every `pub`, duplicates included). */
export interface GotFrame {
  t: 'got';
  id: string;
}

/** Client -> node: this member's meta changed (the node relays it to the others as `meta` with `client`). */
export interface SetMetaFrame {
  t: 'meta';
  meta: JsonValue;
}

/** Clean leave: the member is gone for good, senders may stop keeping messages for it. */
export interface ByeFrame {
  t: 'bye';
}

/** Receiver -> node: cumulative receive watermarks (only the senders that changed). */
export interface AckFrame {
  t: 'ack';
  recv: Watermarks;
}

// ---- node -> client -------------------------------------------------------------------------

export interface WelcomeFrame {
  t: 'welcome';
  v: number;
  node: NodeInfo;
  session: string;
  client: string;
  /** Token to present in the next hello (on any node of this cloud). Never logged. */
  resume: string;
  /** The cloud's nodes as this node knows them, itself included. */
  nodes: readonly NodeInfo[];
  heartbeat: HeartbeatSettings;
  /** Other members of the session (attached or expected back). */
  members: string[];
  /** Starting watermark for senders this client has not heard from yet (it joined after them). */
  base: Watermarks;
  /**
   * The lowest of this client's seqs that some member has not confirmed (min watermark + 1), when
   * the node knows one. A sender that no longer holds it answers with `gap`.
   */
  want?: number;
  /**
   * The largest frame this node accepts and sends, in UTF-8 bytes. A client's `msg` frame may be at
   * most this minus `MESSAGE_ENVELOPE_BYTES` (room for the `from` the node adds when relaying it);
   * a client refuses a larger message at `send()`. Absent from nodes older than this field.
   */
  maxFrameBytes?: number;
  /**
   * The meta of the other members this node has seen join, by client id (null included). A member
   * announced but not arrived yet (after a migration) is absent: its `joined` will carry it.
   */
  meta?: Record<string, JsonValue>;
  /** The largest `meta` this node takes, in UTF-8 bytes of its JSON text. */
  maxMetaBytes?: number;
  /** The session's shared map (tombstones included), before anything sent after this join. */
  shared?: SharedMapWire;
  /** The node's bounds of the shared map; absent from nodes without `to`, requests and shared state. */
  maxSharedKeys?: number;
  maxSharedBytes?: number;
}

export interface RedirectFrame {
  t: 'redirect';
  node: NodeInfo;
  reason: string;
}

/** Every current member has delivered this client's reliable messages up to `upTo`. */
export interface AckedFrame {
  t: 'acked';
  upTo: number;
}

/** A member arrived that has not delivered this client's messages from `from` on: replay them. */
export interface ResendFrame {
  t: 'resend';
  from: number;
}

export interface JoinedFrame {
  t: 'joined';
  client: string;
  /** The newcomer's position as a sender (its `hello.sent`): receivers start after it. */
  base?: number;
  /** The newcomer's meta; absent: null. */
  meta?: JsonValue;
}

/** Node -> client: member `client` changed its meta. */
export interface MemberMetaFrame {
  t: 'meta';
  client: string;
  meta: JsonValue;
}

export interface LeftFrame {
  t: 'left';
  client: string;
  reason: 'bye' | 'timeout';
  /** The leaver's watermark for the receiver's own messages, when known: its `to` messages past it were never delivered. */
  had?: number;
}

/**
 * Node -> client: the host ordered a write of the shared map: key `k` is now `val` (absent: deleted)
 * at version `v`; `v` absent: forget the key entirely (a tombstone the node dropped). `from`/`seq`:
 * the writer's reliable message it came in (receivers count that seq as delivered).
 */
export interface SharedFrame {
  t: 'shared';
  k: string;
  v?: number;
  val?: JsonValue;
  from?: string;
  seq?: number;
}

/** Node -> client: the node did not carry out your reliable message `seq` (e.g. its `to` has left). */
export interface RefusedFrame {
  t: 'refused';
  seq: number;
  code: string;
}

/** The node is going away: migrate within `deadlineMs`; the link stays usable until then. */
export interface DrainFrame {
  t: 'drain';
  deadlineMs: number;
  /** Where the session goes next, as the draining node sees it (a hint; checked by the client). */
  to?: NodeInfo;
}

export interface ErrorFrame {
  t: 'error';
  code: string;
  message: string;
}

// ---- both directions ------------------------------------------------------------------------

/**
 * Client -> node: "I no longer hold my messages up to `upTo`" (a member was asked for them after
 * every member then known had confirmed them, e.g. it came back after its grace period). Node ->
 * client: the same, relayed with `from`. A receiver below `upTo` reports GRIDLINK_MESSAGE_GAP and
 * moves on: never a silent hole.
 */
export interface GapFrame {
  t: 'gap';
  from?: string;
  upTo: number;
}

/**
 * Application data. Reliable messages carry `seq` (per sender, from 1, no gaps); volatile ones do
 * not. Client -> node omits `from`; node -> client sets it. `b: 1` marks base64-encoded binary.
 */
export interface MsgFrame {
  t: 'msg';
  seq?: number;
  from?: string;
  /** For one member only; the others get `d: ""` (seq kept, nothing delivered). */
  to?: string;
  /** A request (its id, per requester); needs `to` and `seq`. */
  q?: number;
  /** The reply to request `r`; needs `to` and `seq`. */
  r?: number;
  /** With `r`: the request failed with this code, `d` its message. */
  e?: string;
  /** Client -> node: a write of shared key `k`, `d` the value's JSON text ("" deletes); needs `seq`. */
  k?: string;
  d: string;
  b?: 1;
}

/** Liveness. Any inbound frame counts as life; a ping with `id` asks for a pong (round trip). */
export interface PingFrame {
  t: 'ping';
  id?: number;
}

export interface PongFrame {
  t: 'pong';
  id: number;
}

export type ClientFrame = HelloFrame | ByeFrame | AckFrame | GapFrame | MsgFrame | PingFrame | PongFrame | SetMetaFrame | GotFrame;
export type NodeFrame =
  | WelcomeFrame
  | RedirectFrame
  | AckedFrame
  | ResendFrame
  | JoinedFrame
  | LeftFrame
  | MemberMetaFrame
  | SharedFrame
  | RefusedFrame
  | DrainFrame
  | ErrorFrame
  | GapFrame
  | MsgFrame
  | PubFrame
  | PingFrame
  | PongFrame;

/**
 * Every WebSocket close code gridlink sends (4000-4999 is the application range; the 1xxx ones are
 * RFC 6455's). No raw close number appears anywhere else in src/.
 */
export const CloseCode = {
  normal: 1000,
  goingAway: 1001,
  /** The peer sent more than the transport accepts (ws's own backstop, above the frame limit). */
  messageTooBig: 1009,
  /** The node failed while handling this connection; the client should try again elsewhere. */
  internalError: 1011,
  /** Overloaded or rate limited (join limit, a member too slow to read or confirm): try later. */
  tryAgainLater: 1013,
  protocolError: 4001,
  redirect: 4002,
  drained: 4003,
  rejected: 4004,
  replaced: 4005,
  tooLarge: 4006,
  heartbeatTimeout: 4008,
} as const;

export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];
