/**
 * What each member gets of one message a member sent (docs/protocol.md "Targeted messages", "Shared
 * state"). A plain message goes to everyone as is. One `to` a member goes to it alone; every other
 * member gets a stub — the same `from` and `seq`, `d: ""` — so the sender's numbering stays whole
 * for them and confirmations, replays and dedupe work unchanged. A shared write is ordered here
 * and reaches every member (its writer too) as a `shared` frame carrying `from` and `seq`.
 *
 * Cost per message: one frame per member, as for a plain message (a stub or a `shared` frame is a
 * few dozen bytes plus the ids), encoded once per kind; a shared write is O(keys) only when it must
 * drop a deletion for room. Nothing a client sends makes the node do more than that.
 */
import { encodeFrame } from '../../protocol/codec.js';
import { encodeMsg } from '../../protocol/msg-text.js';
import type { HelloFrame, LeftFrame, MsgFrame, NodeFrame, SharedEntry, SharedFrame, SharedMapWire } from '../../protocol/frames.js';
import type { Member, MemberLink, Session } from './records.js';

export interface Route {
  /** The frame (for a link that encodes itself) and the text each other member gets; undefined: nothing. */
  readonly frame: NodeFrame;
  text(other: Member): string | undefined;
  /** Frames for the sender alone (its own write ordered, a refusal). */
  readonly toSender: NodeFrame[];
  /** Frames for every member that understands them, the sender included (deletions dropped for room). */
  readonly toAll: NodeFrame[];
}

export function route(session: Session, sender: Member, frame: MsgFrame, payloadJson: string | undefined): Route {
  const out: MsgFrame = { t: 'msg', from: sender.id, d: frame.d };
  if (frame.seq !== undefined) out.seq = frame.seq;
  if (frame.b === 1) out.b = 1;
  if (frame.to === undefined && frame.k === undefined) {
    const text = encodeMsg(out, payloadJson);
    return { frame: out, text: () => text, toSender: [], toAll: [] };
  }
  const seq = frame.seq;
  // What the others get in place of a message that is not theirs: its place in the order only.
  const stub = seq === undefined ? undefined : encodeMsg({ t: 'msg', from: sender.id, seq, to: frame.to ?? sender.id, d: '' });
  const stubs = (toSender: NodeFrame[] = [], toAll: NodeFrame[] = []): Route => ({ frame: out, text: () => stub, toSender, toAll });
  if (frame.k !== undefined) return write(session, sender, frame, frame.k, seq as number, stubs);
  const target = session.members.get(frame.to as string);
  // Refusals go only to a sender that understands them (one with the client's `extras` piece).
  const refuse = (code: string): Route => stubs(seq === undefined || !sender.ext ? [] : [{ t: 'refused', seq, code }]);
  if (target === undefined || target === sender) return refuse('GRIDLINK_MEMBER_LEFT');
  // A member without the piece would take a request for a message: it has no handler.
  if (frame.q !== undefined && !target.ext && !target.placeholder) return refuse('GRIDLINK_NO_HANDLER');
  Object.assign(out, frame.q === undefined ? {} : { q: frame.q }, frame.r === undefined ? {} : { r: frame.r }, frame.e === undefined ? {} : { e: frame.e }, { to: target.id });
  const full = encodeMsg(out, payloadJson);
  return { frame: out, text: (other) => (other === target ? full : stub), toSender: [], toAll: [] };
}

/** A shared write: applied unless it is a replay of one applied before (here, or by a member's account). */
function write(session: Session, sender: Member, frame: MsgFrame, key: string, seq: number, stubs: (toSender?: NodeFrame[], toAll?: NodeFrame[]) => Route): Route {
  const shared = session.shared;
  if (seq <= (shared.seen.get(sender.id) ?? 0)) return stubs();
  const result = shared.write(key, frame.d);
  if (!result.ok) return stubs(sender.ext ? [{ t: 'refused', seq, code: 'GRIDLINK_SHARED_TOO_LARGE' }] : []);
  shared.saw(sender.id, seq);
  const ordered: SharedFrame = { t: 'shared', k: key, v: result.v, from: sender.id, seq };
  const value = shared.entry(key)?.[1];
  if (value !== undefined) ordered.val = value;
  const text = encodeFrame(ordered);
  const stub = stubs().text(sender);
  return {
    frame: ordered,
    text: (other) => (other.ext ? text : stub),
    toSender: [ordered],
    toAll: result.dropped.map((k): SharedFrame => ({ t: 'shared', k })),
  };
}

/**
 * A joiner's copy of the shared map, merged: the keys it changed (and deletions dropped for room)
 * go to every other member that understands them; the joiner gets the whole map in its welcome.
 * What its hello says it delivered (reported watermarks only, never a base the host assumed) marks
 * those writes as applied by an earlier host, so their writers' replays are not applied twice.
 */
export function adoptSeed(session: Session, joiner: Member, hello: HelloFrame): void {
  for (const [writer, seq] of Object.entries(hello.recv)) if (writer !== joiner.id) session.shared.saw(writer, Math.min(seq, session.positions.get(writer) ?? seq));
  const seed = hello.shared;
  if (seed === undefined) return;
  const { changed, dropped } = session.shared.merge(seed);
  if (changed.length === 0 && dropped.length === 0) return;
  const frames: SharedFrame[] = dropped.map((k) => ({ t: 'shared', k }));
  for (const k of changed) {
    const [v, val] = session.shared.entry(k) as SharedEntry;
    frames.push(val === undefined ? { t: 'shared', k, v } : { t: 'shared', k, v, val });
  }
  for (const other of session.members.values()) {
    if (other === joiner || !other.ext || other.attachment.kind !== 'attached') continue;
    for (const frame of frames) other.attachment.link.send(frame);
  }
}

/** After a routed message: what its sender alone gets, then what every member that understands it gets. */
export function sendAfter(session: Session, link: MemberLink, routed: Route): void {
  for (const frame of routed.toSender) link.send(frame);
  for (const frame of routed.toAll) {
    for (const m of session.members.values()) if (m.ext && m.attachment.kind === 'attached') m.attachment.link.send(frame);
  }
}

/** `left` for `other`: with what the leaver had of its messages (its `to` messages past that never arrived). */
export function leftFrame(leaver: Member, other: Member, reason: 'bye' | 'timeout'): LeftFrame {
  const had = leaver.recv.get(other.id);
  return had === undefined ? { t: 'left', client: leaver.id, reason } : { t: 'left', client: leaver.id, reason, had };
}
