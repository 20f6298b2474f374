/**
 * The hello that opens every join attempt. It is rebuilt for each attempt rather than once per
 * migration: the nodes that failed us grow from attempt to attempt, and what the old link still
 * delivers meanwhile (a drain is make-before-break) moves the watermarks. What each field means to
 * the node is documented on `HelloFrame`.
 */
import { PROTOCOL_VERSION, type HelloFrame, type JsonValue, type NodeInfo, type SharedMapWire, type Watermarks } from '../protocol/frames.js';

/** What the session knows of itself at the moment of an attempt. */
export interface HelloState {
  readonly session: string;
  readonly client: string;
  readonly recv: Watermarks;
  readonly members: Iterable<string>;
  /** From the last welcome; undefined before the first. */
  readonly resume: string | undefined;
  /** The outbox's highest seq (0 if nothing was sent). */
  readonly sent: number;
  /** This member's meta: a new host learns it here (null is not sent). */
  readonly meta: JsonValue;
  /** This member's copy of the shared map (sent even empty: it says the client has the `extras` piece). */
  readonly shared: SharedMapWire | undefined;
}

/** `via`: the node we are migrating away from, if any. */
export function buildHello(state: HelloState, failed: readonly string[], via: NodeInfo | undefined): HelloFrame {
  // `pub: 1`: this client takes what the backend publishes (session/server-messages.ts).
  const frame: HelloFrame = { t: 'hello', v: PROTOCOL_VERSION, session: state.session, client: state.client, recv: state.recv, members: [...state.members], pub: 1 };
  if (state.resume !== undefined) frame.resume = state.resume;
  if (failed.length > 0) frame.failed = [...failed];
  if (via !== undefined) frame.via = via.id;
  frame.sent = state.sent;
  if (state.meta !== null) frame.meta = state.meta;
  if (state.shared !== undefined) frame.shared = state.shared;
  return frame;
}
