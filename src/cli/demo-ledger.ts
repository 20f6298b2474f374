/**
 * The demo's bookkeeping: a timeline of what happened, and a ledger of numbered messages per
 * session that proves (or disproves) "nothing lost, nothing duplicated" from the application's side.
 */

export interface TimelineEntry {
  readonly atMs: number;
  readonly text: string;
}

export class Timeline {
  readonly entries: TimelineEntry[] = [];
  readonly #start = performance.now();

  constructor(private readonly print: (line: string) => void) {}

  now(): number {
    return performance.now() - this.#start;
  }

  log(text: string): void {
    const atMs = this.now();
    this.entries.push({ atMs, text });
    this.print(`[${(atMs / 1000).toFixed(3).padStart(7)}s] ${text}`);
  }
}

interface MemberLedger {
  sent: number;
  /** received[sender] = every number received from that sender, in arrival order */
  received: Map<string, number[]>;
}

export interface SessionTotals {
  readonly session: string;
  readonly sent: number;
  readonly expected: number;
  readonly received: number;
  readonly lost: number;
  readonly duplicated: number;
  readonly outOfOrder: number;
}

export class Ledger {
  readonly #members = new Map<string, Map<string, MemberLedger>>();

  #member(session: string, name: string): MemberLedger {
    let session_ = this.#members.get(session);
    if (session_ === undefined) {
      session_ = new Map();
      this.#members.set(session, session_);
    }
    let member = session_.get(name);
    if (member === undefined) {
      member = { sent: 0, received: new Map() };
      session_.set(name, member);
    }
    return member;
  }

  join(session: string, name: string): void {
    this.#member(session, name);
  }

  /** Returns the number of the message to send next. */
  sent(session: string, name: string): number {
    return ++this.#member(session, name).sent;
  }

  received(session: string, name: string, sender: string, n: number): void {
    const member = this.#member(session, name);
    const list = member.received.get(sender) ?? [];
    list.push(n);
    member.received.set(sender, list);
  }

  /** True when every member has received at least every number every other member sent. */
  complete(session: string): boolean {
    const members = this.#members.get(session);
    if (members === undefined) return true;
    for (const [name, member] of members) {
      for (const [other, sender] of members) {
        if (other === name) continue;
        if (new Set(member.received.get(other) ?? []).size < sender.sent) return false;
      }
    }
    return true;
  }

  totals(session: string): SessionTotals {
    const members = this.#members.get(session) ?? new Map<string, MemberLedger>();
    let sent = 0;
    let expected = 0;
    let received = 0;
    let lost = 0;
    let duplicated = 0;
    let outOfOrder = 0;
    for (const [, member] of members) sent += member.sent;
    for (const [name, member] of members) {
      for (const [other, sender] of members) {
        if (other === name) continue;
        const got = member.received.get(other) ?? [];
        const distinct = new Set(got);
        expected += sender.sent;
        received += got.length;
        duplicated += got.length - distinct.size;
        for (let n = 1; n <= sender.sent; n++) if (!distinct.has(n)) lost++;
        for (let i = 1; i < got.length; i++) if ((got[i] as number) <= (got[i - 1] as number)) outOfOrder++;
      }
    }
    return { session, sent, expected, received, lost, duplicated, outOfOrder };
  }
}
