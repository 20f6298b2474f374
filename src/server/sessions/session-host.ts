/**
 * The sessions this node hosts: who is a member, what each member has delivered, and the delivery
 * rules of docs/protocol.md ("Delivery: exactly once, in each sender's order") — relay, acknowledge,
 * join, leave. Placement and sockets are someone else's business: members are reached through the
 * two-method `MemberLink` the caller hands in.
 *
 * Invariant that makes "exactly once" work: a sender's message leaves its outbox (`acked`) only
 * when every other member this node knows of — attached, detached or a placeholder announced by
 * someone else — has reported delivering it. An unknown watermark blocks, it never counts as zero
 * or as "caught up". The arithmetic lives in delivery.ts; this file keeps the records and the timers.
 */
import type { Logger } from '../../core/logger.js';
import { MAX_LIST_LENGTH } from '../../protocol/codec.js';
import { CloseCode, type AckFrame, type HelloFrame, type MsgFrame, type NodeFrame, type Watermarks, type WelcomeFrame } from '../../protocol/frames.js';
import { ackOwedAfterProgress, ackOwedAfterRelay, confirmedUpTo, joinWatermarks, lowestWanted, raisedWatermarks, stalled } from './delivery.js';

/** How the session host reaches one member's current link. */
export interface MemberLink {
  send(frame: NodeFrame): void;
  close(code: number, reason: string): void;
}

type Attachment =
  | { kind: 'attached'; link: MemberLink }
  /** Link lost (or never seen: a placeholder); removed when `expiry` fires unless it comes back. */
  | { kind: 'detached'; expiry: NodeJS.Timeout };

interface Member {
  readonly id: string;
  attachment: Attachment;
  /** Reported watermarks per sender. A sender missing here is unknown and blocks its acks. */
  recv: Map<string, number>;
  /** Highest `acked.upTo` sent to this member on its current link. */
  ackedSent: number;
  /** Since when this member has owed an ack (see delivery.ts); undefined while it owes none. See `sweepStalled`. */
  ackOwedSince?: number;
}

type Settle = { kind: 'settling'; timer: NodeJS.Timeout } | { kind: 'settled' };

interface Session {
  readonly id: string;
  readonly members: Map<string, Member>;
  /**
   * Each sender's position: the highest reliable seq it declared (hello.sent) or we relayed. A member
   * meeting that sender starts after it. Unknown (absent) only for a sender that never said.
   */
  readonly positions: Map<string, number>;
  settle: Settle;
}

export interface SessionHostOptions {
  readonly settleMs: number;
  readonly memberGraceMs: number;
  readonly logger: Logger;
  /** Whether `token` proves the hello comes from the client already attached under this id. */
  verifyResume(token: string | undefined, session: string, client: string): boolean;
  /** An attached member that confirms nothing new for this long while behind is cut; default 10000. */
  readonly stallMs?: number;
  /** The session is no longer hosted here (its last member left, or it was evicted). */
  readonly onSessionEnded?: (session: string) => void;
}

export type MemberJoinResult = { kind: 'joined' } | { kind: 'rejected'; message: string };

/** What the caller needs to build the welcome; the session host sends it at the right moment. */
export interface WelcomeParts {
  readonly members: string[];
  readonly base: Watermarks;
  /** The joiner's lowest seq a member still needs, when known (see WelcomeFrame.want). */
  readonly want: number | undefined;
}

export class SessionHost {
  private readonly sessions = new Map<string, Session>();
  private readonly byLink = new Map<MemberLink, { session: Session; member: Member }>();
  private relayedCount = 0;

  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly options: SessionHostOptions) {
    const stallMs = options.stallMs ?? 10_000;
    this.sweeper = setInterval(() => this.sweepStalled(stallMs), Math.min(1000, stallMs));
    this.sweeper.unref();
  }

  /**
   * A member that receives but never confirms (a frozen client that still holds its socket, one
   * that stopped reading) holds back every sender's outbox in its session until they refuse sends.
   * Heartbeats do not catch it if it still pings, nor buffer sizes (kernel buffers absorb a lot),
   * so we watch what actually matters: confirmations. Cut links are detached like any lost link.
   */
  private sweepStalled(stallMs: number): void {
    const now = Date.now();
    for (const session of this.sessions.values()) {
      for (const member of session.members.values()) {
        if (member.attachment.kind !== 'attached' || !stalled(member.ackOwedSince, now, stallMs)) continue;
        this.options.logger.warn('member confirms nothing; cutting its link', { session: session.id, client: member.id });
        member.ackOwedSince = undefined;
        member.attachment.link.close(CloseCode.tryAgainLater, 'not confirming');
      }
    }
  }

  stats(): { sessions: number; members: number; relayed: number } {
    let members = 0;
    for (const session of this.sessions.values()) members += session.members.size;
    return { sessions: this.sessions.size, members, relayed: this.relayedCount };
  }

  sessionIds(): string[] {
    return [...this.sessions.keys()];
  }

  /**
   * Attaches `link` as member `hello.client` (protocol "Join"). Sends the welcome built by
   * `welcome` first, so the joiner hears nothing of the session before it, then tells the others.
   */
  join(link: MemberLink, hello: HelloFrame, welcome: (parts: WelcomeParts) => WelcomeFrame): MemberJoinResult {
    let session = this.sessions.get(hello.session);
    const existing = session?.members.get(hello.client);
    let replaced: MemberLink | undefined;
    if (existing?.attachment.kind === 'attached') {
      // Two live links claiming one id: only the holder of a valid resume token may take over.
      if (!this.options.verifyResume(hello.resume, hello.session, hello.client)) {
        return { kind: 'rejected', message: `client id '${hello.client}' is in use in this session` };
      }
      replaced = existing.attachment.link;
    }
    if (session !== undefined && existing === undefined && session.members.size >= MAX_LIST_LENGTH) {
      return { kind: 'rejected', message: 'session is full' };
    }
    session ??= this.createSession(hello);

    const wasAttached = replaced !== undefined;
    let member: Member;
    if (existing === undefined) {
      member = { id: hello.client, attachment: { kind: 'attached', link }, recv: new Map(), ackedSent: 0 };
      session.members.set(member.id, member);
    } else {
      member = existing;
      this.attachMember(member, link);
      member.ackOwedSince = undefined; // a new link starts with a clean slate
      member.ackedSent = 0; // a new link has heard no acked yet
    }
    if (replaced !== undefined) this.byLink.delete(replaced);
    this.byLink.set(link, { session, member });

    // The joiner as a sender: where it stands, so members meeting it start after that point.
    if (hello.sent !== undefined) session.positions.set(member.id, Math.max(session.positions.get(member.id) ?? 0, hello.sent));

    const { recv, base } = joinWatermarks(hello.recv, member.id, session.positions);
    member.recv = recv;

    // Members the joiner knows and we do not are on their way: hold acks for them until they come.
    for (const other of hello.members) {
      if (other === member.id || session.members.has(other) || session.members.size >= MAX_LIST_LENGTH) continue;
      session.members.set(other, { id: other, attachment: { kind: 'detached', expiry: this.graceTimer(session, other) }, recv: new Map(), ackedSent: 0 });
    }

    const members = [...session.members.keys()].filter((id) => id !== member.id);
    link.send(welcome({ members, base, want: lowestWanted(session.members.values(), member.id) }));
    if (replaced !== undefined) replaced.close(CloseCode.replaced, 'replaced by a newer link');

    for (const other of session.members.values()) {
      if (other === member || other.attachment.kind !== 'attached') continue;
      if (!wasAttached) {
        // Tell the others where the newcomer stands as a sender; they start after it (so does our
        // record of them, which otherwise would hold the newcomer's acknowledgements as unknown).
        const base = session.positions.get(member.id);
        if (base !== undefined && !other.recv.has(member.id)) other.recv.set(member.id, base);
        other.attachment.link.send(base === undefined ? { t: 'joined', client: member.id } : { t: 'joined', client: member.id, base });
      }
      const have = Object.hasOwn(hello.recv, other.id) ? hello.recv[other.id] : undefined;
      if (have !== undefined) other.attachment.link.send({ t: 'resend', from: have + 1 });
    }
    this.recompute(session);
    return { kind: 'joined' };
  }

  /** Protocol "Relay": to every other attached member, in order, replays included. */
  relay(link: MemberLink, frame: MsgFrame): void {
    const entry = this.byLink.get(link);
    if (entry === undefined) return;
    const { session, member } = entry;
    const out: MsgFrame = { t: 'msg', from: member.id, d: frame.d };
    if (frame.seq !== undefined) {
      out.seq = frame.seq;
      if (frame.seq > (session.positions.get(member.id) ?? 0)) session.positions.set(member.id, frame.seq);
    }
    if (frame.b === 1) out.b = 1;
    this.relayedCount++;
    for (const other of session.members.values()) {
      if (other !== member && other.attachment.kind === 'attached') {
        other.attachment.link.send(out);
        if (frame.seq !== undefined) other.ackOwedSince = ackOwedAfterRelay(other.ackOwedSince, Date.now());
      }
    }
    // A sender alone in its session has delivered to everyone there is: ack what it sent.
    if (frame.seq !== undefined && session.members.size === 1) this.recompute(session, [member.id]);
  }

  /** A sender no longer holds its messages up to `upTo`: tell the others, so none waits in silence. */
  gap(link: MemberLink, upTo: number): void {
    const entry = this.byLink.get(link);
    if (entry === undefined) return;
    const { session, member } = entry;
    for (const other of session.members.values()) {
      if (other !== member && other.attachment.kind === 'attached') other.attachment.link.send({ t: 'gap', from: member.id, upTo });
    }
  }

  /** A receiver's cumulative watermarks; may raise the senders' acknowledgements. */
  ack(link: MemberLink, frame: AckFrame): void {
    const entry = this.byLink.get(link);
    if (entry === undefined) return;
    const { session, member } = entry;
    // A receiver may name senders not here yet (they are on their way), but not forever many.
    const raised = raisedWatermarks(member.recv, frame.recv, member.id, MAX_LIST_LENGTH);
    if (raised.size === 0) return;
    for (const [sender, seq] of raised) member.recv.set(sender, seq);
    member.ackOwedSince = ackOwedAfterProgress(member, session.positions, Date.now());
    this.recompute(session, [...raised.keys()]);
  }

  /** Clean leave: removed at once. */
  bye(link: MemberLink): void {
    const entry = this.byLink.get(link);
    if (entry === undefined) return;
    this.remove(entry.session, entry.member, 'bye');
  }

  /** The link died (or closed without bye, as in a drain's make-before-break): keep the member for its return. */
  detach(link: MemberLink): void {
    const entry = this.byLink.get(link);
    if (entry === undefined) return;
    this.byLink.delete(link);
    this.detachMember(entry.session, entry.member, link);
  }

  /**
   * Hands the whole session over: every attached link is passed to `move` (which redirects and
   * closes it), and the session is forgotten without `left` frames — its members are moving, not
   * leaving.
   */
  evict(sessionId: string, move: (link: MemberLink) => void): void {
    const session = this.sessions.get(sessionId);
    if (session === undefined) return;
    this.sessions.delete(sessionId);
    this.settle(session);
    for (const member of session.members.values()) {
      const attachment = member.attachment;
      this.leaveAttachment(member);
      if (attachment.kind === 'attached') {
        this.byLink.delete(attachment.link);
        move(attachment.link);
      }
    }
    this.options.onSessionEnded?.(sessionId);
  }

  /** Stops every timer (node shutdown). Links are the caller's to close. */
  stop(): void {
    clearInterval(this.sweeper);
    for (const id of [...this.sessions.keys()]) this.evict(id, () => {});
  }

  private createSession(hello: HelloFrame): Session {
    // A session arriving by migration may have members still on their way that nobody here knows
    // of: acknowledge nothing until they had time to arrive and report what they have.
    const migrating = hello.via !== undefined || hello.members.some((id) => id !== hello.client);
    const settle: Settle = migrating && this.options.settleMs > 0 ? { kind: 'settling', timer: this.settleTimer(hello.session) } : { kind: 'settled' };
    const session: Session = { id: hello.session, members: new Map(), positions: new Map(), settle };
    this.sessions.set(session.id, session);
    return session;
  }

  private settleTimer(sessionId: string): NodeJS.Timeout {
    const timer: NodeJS.Timeout = setTimeout(() => {
      const session = this.sessions.get(sessionId);
      // Only the timer of the current session's settling may end it (the id may be hosted anew).
      if (session?.settle.kind !== 'settling' || session.settle.timer !== timer) return;
      this.settle(session);
      this.recompute(session);
    }, this.options.settleMs);
    timer.unref?.();
    return timer;
  }

  /**
   * The one way a session stops settling (its time is up, or it ends here), refused unless it is
   * settling: leaving `settling` cancels its timer. A session is never settling again.
   */
  private settle(session: Session): boolean {
    if (session.settle.kind !== 'settling') return false;
    clearTimeout(session.settle.timer);
    session.settle = { kind: 'settled' };
    return true;
  }

  private graceTimer(session: Session, memberId: string): NodeJS.Timeout {
    const timer: NodeJS.Timeout = setTimeout(() => {
      const member = session.members.get(memberId);
      // Only the timer of the member's current detachment may remove it.
      if (member?.attachment.kind === 'detached' && member.attachment.expiry === timer && this.sessions.get(session.id) === session) {
        this.remove(session, member, 'timeout');
      }
    }, this.options.memberGraceMs);
    timer.unref?.();
    return timer;
  }

  /** The one way a member comes (back) onto a link, from either state: a newer link replaces an attached one. */
  private attachMember(member: Member, link: MemberLink): void {
    this.leaveAttachment(member);
    member.attachment = { kind: 'attached', link };
  }

  /**
   * The one way a member loses its link, refused unless it is attached on `link`: a replaced link's
   * late close must not detach the member from its newer one, nor restart its grace period.
   */
  private detachMember(session: Session, member: Member, link: MemberLink): boolean {
    if (member.attachment.kind !== 'attached' || member.attachment.link !== link) return false;
    this.leaveAttachment(member);
    member.attachment = { kind: 'detached', expiry: this.graceTimer(session, member.id) };
    return true;
  }

  /**
   * What leaving the current attachment takes, whether for another one or because the member goes
   * away: a detached member's expiry stops, so an old grace timer cannot remove it later.
   */
  private leaveAttachment(member: Member): void {
    if (member.attachment.kind === 'detached') clearTimeout(member.attachment.expiry);
  }

  private remove(session: Session, member: Member, reason: 'bye' | 'timeout'): void {
    const attachment = member.attachment;
    this.leaveAttachment(member);
    if (attachment.kind === 'attached') this.byLink.delete(attachment.link);
    session.members.delete(member.id);
    for (const other of session.members.values()) {
      if (other.attachment.kind === 'attached') other.attachment.link.send({ t: 'left', client: member.id, reason });
    }
    if (session.members.size === 0) {
      this.settle(session);
      this.sessions.delete(session.id);
      this.options.onSessionEnded?.(session.id);
      return;
    }
    // The member that left no longer holds anyone's acknowledgements back.
    this.recompute(session);
  }

  /**
   * Protocol "Acknowledge": for each sender, the minimum watermark over all other members; any
   * unknown one blocks. Sent only when it rises, only to attached senders, never while settling.
   */
  private recompute(session: Session, senders?: readonly string[]): void {
    if (session.settle.kind === 'settling') return;
    const ids = senders ?? [...session.members.keys()];
    for (const id of ids) {
      const sender = session.members.get(id);
      if (sender === undefined || sender.attachment.kind !== 'attached') continue;
      const upTo = confirmedUpTo(session.members.values(), id, session.positions);
      if (upTo !== undefined && upTo > sender.ackedSent) {
        sender.ackedSent = upTo;
        sender.attachment.link.send({ t: 'acked', upTo });
      }
    }
  }
}
