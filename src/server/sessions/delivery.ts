/**
 * The acknowledgement arithmetic of a hosted session (docs/protocol.md, "Delivery: exactly once, in
 * each sender's order"), as pure functions over what the session host records: each member's
 * reported watermarks and each sender's position. No sockets, no timers — the host decides when
 * to ask and what to send.
 *
 * The rule everything here keeps: a watermark nobody reported is unknown, and unknown blocks. It
 * never counts as zero (that would hold acks back forever for no one) nor as caught up (that would
 * let a sender trim what a member on its way still needs).
 */
import type { Watermarks } from '../../protocol/frames.js';

/** What delivery needs to know of one member. */
export interface Receipts {
  readonly id: string;
  /** Reported watermarks per sender: the highest seq delivered from each. Missing = unknown. */
  readonly recv: ReadonlyMap<string, number>;
}

/**
 * Each sender's position: the highest reliable seq it declared (hello.sent) or the host relayed.
 * Missing only for a sender that never said.
 */
export type Positions = ReadonlyMap<string, number>;

/**
 * Up to which seq `sender` may trim its outbox: the lowest watermark any other member reported
 * for it; undefined while any of them is unknown. A sender alone has delivered to everyone there
 * is, up to its position.
 */
export function confirmedUpTo(members: Iterable<Receipts>, sender: string, positions: Positions): number | undefined {
  let upTo: number | undefined;
  let others = 0;
  for (const other of members) {
    if (other.id === sender) continue;
    others++;
    const mark = other.recv.get(sender);
    if (mark === undefined) return undefined;
    upTo = upTo === undefined ? mark : Math.min(upTo, mark);
  }
  return others === 0 ? (positions.get(sender) ?? 0) : upTo;
}

/**
 * The lowest seq of `sender`'s that some other member still needs (its lowest known watermark plus
 * one), so a rejoining sender replays only from there; undefined when no other member's is known.
 */
export function lowestWanted(members: Iterable<Receipts>, sender: string): number | undefined {
  let min: number | undefined;
  for (const other of members) {
    const seq = other.id === sender ? undefined : other.recv.get(sender);
    if (seq !== undefined && (min === undefined || seq < min)) min = seq;
  }
  return min === undefined ? undefined : min + 1;
}

/** Whether `member` has confirmed everything every other sender has sent so far. */
export function caughtUp(member: Receipts, positions: Positions): boolean {
  for (const [sender, position] of positions) {
    if (sender !== member.id && (member.recv.get(sender) ?? 0) < position) return false;
  }
  return true;
}

/**
 * The watermarks a joiner starts with, and the `base` its welcome tells it: what it reported, and
 * for each sender it did not list, that sender's position now (it receives what is sent after it
 * joined). A sender that never said where it stands stays unknown.
 */
export function joinWatermarks(reported: Watermarks, self: string, positions: Positions): { recv: Map<string, number>; base: Watermarks } {
  const recv = new Map<string, number>();
  for (const [sender, seq] of Object.entries(reported)) if (sender !== self) recv.set(sender, seq);
  const base: Watermarks = {};
  for (const [sender, seq] of positions) {
    if (sender === self || recv.has(sender)) continue;
    recv.set(sender, seq);
    base[sender] = seq;
  }
  return { recv, base };
}

/**
 * The watermarks of an `ack` that raise what `recv` holds, in the order reported. Watermarks only
 * rise; a member's own is ignored; a sender not yet known (one on its way) is accepted only while
 * the record stays under `limit` entries, so an ack cannot grow it without bound.
 */
export function raisedWatermarks(recv: ReadonlyMap<string, number>, reported: Watermarks, self: string, limit: number): Map<string, number> {
  const raised = new Map<string, number>();
  let size = recv.size;
  for (const [sender, seq] of Object.entries(reported)) {
    if (sender === self) continue;
    const old = recv.get(sender);
    if (old === undefined && size >= limit) continue;
    if (old === undefined || seq > old) {
      if (old === undefined) size++;
      raised.set(sender, seq);
    }
  }
  return raised;
}

/*
 * What a member owes: since when it has been behind, and the checkpoint it must reach to be clear —
 * each sender's position at the moment the clock started. Only reaching the checkpoint restarts the
 * clock (from the positions then), so confirming a trickle does not: a member stays clear only by
 * confirming, within `stallMs`, everything that was outstanding when the clock started. A reader that
 * keeps up, however busy the session, reaches each checkpoint long before; one message every few
 * seconds never does.
 */
export interface Owed {
  readonly since: number;
  readonly checkpoint: ReadonlyMap<string, number>;
}

/** A relay of `sender`'s `seq` to a member: starts its clock unless one is running. */
export function owedAfterRelay(owed: Owed | undefined, sender: string, seq: number, now: number): Owed {
  return owed ?? { since: now, checkpoint: new Map([[sender, seq]]) };
}

/** Whether `member` has confirmed every position of `checkpoint`. */
export function reached(member: Receipts, checkpoint: ReadonlyMap<string, number>): boolean {
  for (const [sender, seq] of checkpoint) if ((member.recv.get(sender) ?? 0) < seq) return false;
  return true;
}

/**
 * After `member` confirmed something: unchanged unless the checkpoint is reached; then clear if it
 * is caught up, else a new clock from now towards the positions it is behind on now.
 */
export function owedAfterProgress(owed: Owed | undefined, member: Receipts, positions: Positions, now: number): Owed | undefined {
  if (owed !== undefined && !reached(member, owed.checkpoint)) return owed;
  const checkpoint = new Map<string, number>();
  for (const [sender, position] of positions) {
    if (sender !== member.id && (member.recv.get(sender) ?? 0) < position) checkpoint.set(sender, position);
  }
  return checkpoint.size === 0 ? undefined : { since: now, checkpoint };
}

/** A member that owed for `stallMs` or more has stalled: it no longer holds any sender back. */
export function stalled(owed: Owed | undefined, now: number, stallMs: number): boolean {
  return owed !== undefined && now - owed.since >= stallMs;
}

/**
 * A watermark a member reports for `sender`, bounded by what the session has seen of that sender
 * (its position, when known) and below the largest seq, so that `have + 1` (a resend, a want) is
 * still a seq the codec takes. Nobody can have delivered what was never sent.
 */
export function boundedWatermark(seq: number, sender: string, positions: Positions): number {
  const position = positions.get(sender);
  return Math.min(seq, position ?? Number.MAX_SAFE_INTEGER - 1, Number.MAX_SAFE_INTEGER - 1);
}
