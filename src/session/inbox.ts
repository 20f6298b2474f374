/**
 * A receiver's view of every sender: the highest reliable seq delivered in order (the watermark),
 * and a small reorder buffer. Duplicates (at or below the watermark) are dropped; messages that run
 * ahead (a live message overtaking a replay after migration) wait for the hole to fill. If a hole
 * never fills and the buffer overflows, the held messages are delivered anyway and the gap is
 * reported as an error: never a silent loss, never an unbounded buffer.
 */
import type { MsgFrame, Watermarks } from '../protocol/frames.js';

export interface Gap {
  readonly from: string;
  readonly expected: number;
  readonly resumedAt: number;
}

export interface Received {
  readonly deliver: MsgFrame[];
  readonly gap?: Gap;
}

const NONE: Received = { deliver: [] };

export class Inbox {
  readonly #marks = new Map<string, number>();
  // Made on first use and dropped when empty: most receivers, most of the time, hold nothing and
  // owe no acknowledgement, and a process may hold thousands of them.
  #held: Map<string, Map<number, MsgFrame>> | undefined;
  #dirty: Set<string> | undefined;

  readonly #maxHeldPerSender: number;

  constructor(maxHeldPerSender: number) {
    this.#maxHeldPerSender = maxHeldPerSender;
  }

  /** Starting watermarks for senders we have not heard from (we joined after them). */
  setBase(base: Watermarks): void {
    for (const [sender, seq] of Object.entries(base)) {
      if (!this.#marks.has(sender)) this.#marks.set(sender, seq);
    }
  }

  receive(frame: MsgFrame): Received {
    const { from, seq } = frame;
    if (seq === undefined || from === undefined) return { deliver: [frame] };
    const mark = this.#marks.get(from) ?? seq - 1;
    if (seq <= mark) return NONE;
    if (seq > mark + 1) return this.#hold(from, mark, frame);
    const deliver = [frame];
    this.#advance(from, this.#releaseRun(from, seq + 1, deliver) - 1);
    return { deliver };
  }

  #hold(from: string, mark: number, frame: MsgFrame): Received {
    this.#held ??= new Map();
    let held = this.#held.get(from);
    if (held === undefined) {
      held = new Map();
      this.#held.set(from, held);
    }
    held.set(frame.seq as number, frame);
    if (held.size <= this.#maxHeldPerSender) return NONE;
    // The hole is not going to fill: give up on it (and say so), deliver the unbroken run that
    // starts at the lowest held seq, and keep holding anything beyond a further hole, which gets
    // its own chance to fill (or its own report).
    const first = Math.min(...held.keys());
    const deliver: MsgFrame[] = [];
    this.#advance(from, this.#releaseRun(from, first, deliver) - 1);
    return { deliver, gap: { from, expected: mark + 1, resumedAt: first } };
  }

  /** Moves the unbroken run of held messages that starts at `next` into `deliver`; returns the seq after it. */
  #releaseRun(from: string, next: number, deliver: MsgFrame[]): number {
    const held = this.#held?.get(from);
    if (held === undefined) return next;
    for (let m = held.get(next); m !== undefined; m = held.get(next)) {
      held.delete(next);
      deliver.push(m);
      next++;
    }
    if (held.size === 0) this.#held?.delete(from);
    if (this.#held?.size === 0) this.#held = undefined;
    return next;
  }

  /**
   * The sender no longer holds its messages up to `upTo`: if we are below it, give up on them
   * (reported as a gap) and deliver what we held beyond it.
   */
  skipTo(from: string, upTo: number): Received {
    const mark = this.#marks.get(from);
    if (mark === undefined || mark >= upTo) return NONE;
    const deliver: MsgFrame[] = [];
    const held = this.#held?.get(from);
    if (held !== undefined) for (const seq of held.keys()) if (seq <= upTo) held.delete(seq);
    this.#advance(from, this.#releaseRun(from, upTo + 1, deliver) - 1);
    return { deliver, gap: { from, expected: mark + 1, resumedAt: upTo + 1 } };
  }

  #advance(from: string, mark: number): void {
    this.#marks.set(from, mark);
    (this.#dirty ??= new Set()).add(from);
  }

  watermarks(): Watermarks {
    return Object.fromEntries(this.#marks);
  }

  /** Watermarks that changed since the last call (what the next `ack` carries). */
  takeChanged(): Watermarks | undefined {
    const dirty = this.#dirty;
    if (dirty === undefined) return undefined;
    this.#dirty = undefined;
    const out: Watermarks = {};
    for (const sender of dirty) out[sender] = this.#marks.get(sender) as number;
    return out;
  }
}
