/**
 * The sessions this node hosts: who is a member, what each member has delivered, and the delivery
 * rules of docs/protocol.md ("Delivery: exactly once, in each sender's order") — relay, acknowledge,
 * join, leave. Placement and sockets are someone else's business: members are reached through the
 * two-method `MemberLink` the caller hands in.
 *
 * Invariant that makes "exactly once" work: a sender's message leaves its outbox (`acked`) only
 * when every other member that holds it back has reported delivering it. An unknown watermark
 * blocks, it never counts as zero or as "caught up". Who holds a sender back (docs/protocol.md,
 * "Who holds a sender back"): every member — attached, detached, or a placeholder a proven member
 * announced while a migrating session settles. One on a link stops holding (and is cut) once it
 * has owed a confirmation for `stallMs` without reaching its checkpoint (delivery.ts, `Owed`); one
 * that is away holds for its grace period and no longer. A stranger holds nobody back. A member
 * that falls out may return and be delivered what the sender still holds; past that it gets a
 * `gap`, never silence.
 *
 * Who is a member — identity by resume token, placeholders, room, attach and detach — is
 * membership.ts's; the arithmetic is delivery.ts's; the records are records.ts's. This file joins,
 * relays, acknowledges, and sweeps out members that stall.
 */
import type { Logger } from '../../core/logger.js';
import { MAX_LIST_LENGTH } from '../../protocol/codec.js';
import { tokenStamp } from '../clients/tokens.js';
import { CloseCode, DEFAULT_MAX_SHARED_BYTES, DEFAULT_MAX_SHARED_KEYS, type AckFrame, type HelloFrame, type JsonValue, type JoinedFrame, type MsgFrame, type SharedMapWire, type Watermarks, type WelcomeFrame } from '../../protocol/frames.js';
import { acknowledge, settle, startSettling } from './acknowledge.js';
import { boundedWatermark, joinWatermarks, lowestWanted, owedAfterProgress, owedAfterRelay, raisedWatermarks, stalled } from './delivery.js';
import { Membership } from './membership.js';
import type { Member, MemberLink, Session } from './records.js';
import { adoptSeed, leftFrame, route, sendAfter } from './routing.js';
import { SharedState, type SharedLimits } from './shared-state.js';
import type { SessionObserver } from './observer.js';
import { deliverPublish } from './publishing.js';
import type { Delivery } from './publishes.js';

export type { MemberLink } from './records.js';

export interface SessionHostOptions {
  readonly settleMs: number;
  readonly memberGraceMs: number;
  readonly logger: Logger;
  /** Whether `token` proves the hello comes from the client this session knows under this id. */
  verifyResume(token: string | undefined, session: string, client: string): boolean;
  /** A token's generation (tokens.ts `tokenStamp` by default); undefined: not ordered. */
  readonly resumeStamp?: (token: string | undefined) => number | undefined;
  /**
   * Whether tokens issued by other nodes verify here (the cloud shares a secret). Without that, a
   * placeholder — a member that was never on this node — could never be claimed, so it is claimed
   * without a token, as a brand-new id is. Default true.
   */
  readonly verifiesForeignTokens?: boolean;
  /** A member behind its checkpoint for this long stops holding senders back and is cut; default 10000. */
  readonly stallMs?: number;
  /** Members one session may have, placeholders included; default 256. */
  readonly maxMembers?: number;
  /** Members one hello may announce that the session does not know yet; default 64. */
  readonly maxClaimedMembers?: number;
  /** Bounds of one session's shared map; defaults 1000 keys, 64 KiB. */
  readonly maxSharedKeys?: number;
  readonly maxSharedBytes?: number;
  /** The session is no longer hosted here (its last member left, or it was evicted). */
  readonly onSessionEnded?: (session: string) => void;
  /** Told of joins, leaves, messages and arriving sessions (the node's events). */
  readonly observer?: SessionObserver;
}

export type MemberJoinResult = { kind: 'joined' } | { kind: 'rejected'; message: string };

/** The one answer to every hello for a known id without its current token: it names nobody. */
export const RESUME_REQUIRED: MemberJoinResult = { kind: 'rejected', message: 'resume token required' };
const SESSION_FULL: MemberJoinResult = { kind: 'rejected', message: 'session is full' };
export const DEFAULT_MAX_MEMBERS = 256;
export const DEFAULT_MAX_CLAIMED_MEMBERS = 64;

/** What the caller needs to build the welcome; the session host sends it at the right moment. */
export interface WelcomeParts {
  readonly members: string[];
  readonly base: Watermarks;
  /** The joiner's lowest seq a member still needs, when known (see WelcomeFrame.want). */
  readonly want: number | undefined;
  /** The other members' meta, those that said it (WelcomeFrame.meta). */
  readonly metas: Record<string, JsonValue>;
  /** The shared map and its bounds (WelcomeFrame.shared, maxSharedKeys, maxSharedBytes). */
  readonly shared: SharedMapWire;
  readonly sharedLimits: SharedLimits;
}

export class SessionHost {
  private readonly sessions = new Map<string, Session>();
  private readonly byLink = new Map<MemberLink, { session: Session; member: Member }>();
  private relayedCount = 0;
  /** Sessions that arrived here by migration, and ones handed over to a new host (`evict`). */
  private migratedIn = 0;
  private migratedOut = 0;
  private readonly stallMs: number;
  private readonly membership: Membership;
  private readonly sharedLimits: SharedLimits;

  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly options: SessionHostOptions) {
    this.stallMs = options.stallMs ?? 10_000;
    this.sharedLimits = { keys: options.maxSharedKeys ?? DEFAULT_MAX_SHARED_KEYS, bytes: options.maxSharedBytes ?? DEFAULT_MAX_SHARED_BYTES };
    this.membership = new Membership(
      {
        memberGraceMs: options.memberGraceMs,
        maxMembers: Math.min(options.maxMembers ?? DEFAULT_MAX_MEMBERS, MAX_LIST_LENGTH),
        maxClaimed: options.maxClaimedMembers ?? DEFAULT_MAX_CLAIMED_MEMBERS,
        verifiesForeignTokens: options.verifiesForeignTokens !== false,
        verifyResume: (token, session, client) => options.verifyResume(token, session, client),
        resumeStamp: options.resumeStamp ?? tokenStamp,
      },
      {
        hosts: (session) => this.sessions.get(session.id) === session,
        remove: (session, member, reason, recompute) => this.remove(session, member, reason, recompute),
        recompute: (session) => acknowledge(session),
      },
    );
    this.sweeper = setInterval(() => this.sweepStalled(), Math.min(1000, this.stallMs));
    this.sweeper.unref();
  }

  /**
   * A member that receives but does not confirm — a frozen client that still holds its socket, one
   * that stopped reading, one that confirms a trickle, one that is gone — holds back every sender's
   * outbox in its session until they refuse sends. Heartbeats do not catch it if it still pings, nor
   * buffer sizes (kernel buffers absorb a lot), so we watch what actually matters: confirmations.
   * A stalled member stops holding anyone back; an attached one is cut, like any lost link.
   */
  private sweepStalled(): void {
    const now = Date.now();
    for (const session of this.sessions.values()) {
      let released = false;
      for (const member of session.members.values()) {
        // Only a member on a link is judged by its confirmations: one that is away (detached, or a
        // vouched placeholder still on its way) holds senders back for its grace period at most.
        if (member.attachment.kind !== 'attached' || !member.holds || !stalled(member.owed, now, this.stallMs)) continue;
        member.holds = false;
        released = true;
        session.publishes?.release(member.id);
        this.options.logger.warn('member confirms too slowly; cutting its link', { session: session.id, client: member.id });
        member.attachment.link.close(CloseCode.tryAgainLater, 'not confirming');
      }
      if (released) acknowledge(session);
    }
  }

  stats(): { sessions: number; members: number; relayed: number } {
    let members = 0;
    for (const session of this.sessions.values()) members += session.members.size;
    return { sessions: this.sessions.size, members, relayed: this.relayedCount };
  }

  /** Totals since start, for the node's metrics. */
  counters(): { relayed: number; migratedIn: number; migratedOut: number } {
    return { relayed: this.relayedCount, migratedIn: this.migratedIn, migratedOut: this.migratedOut };
  }

  sessionIds(): string[] {
    return [...this.sessions.keys()];
  }

  /**
   * Attaches `link` as member `hello.client` (protocol "Join"). Sends the welcome built by
   * `welcome` first, so the joiner hears nothing of the session before it, then tells the others.
   */
  join(link: MemberLink, hello: HelloFrame, welcome: (parts: WelcomeParts) => WelcomeFrame, metaFromServer = false): MemberJoinResult {
    let session = this.sessions.get(hello.session);
    const existing = session?.members.get(hello.client);
    if (existing !== undefined && !this.membership.mayResume(existing, hello)) return RESUME_REQUIRED;
    if (session !== undefined && existing === undefined && !this.membership.makeRoom(session)) return SESSION_FULL;
    // New to the session: not resuming, nor arriving (unannounced) with a session that is migrating here.
    const newcomer = existing === undefined && (hello.resume === undefined || session?.settle.kind === 'settled');
    session ??= this.createSession(hello);
    const now = Date.now();

    const replaced = existing?.attachment.kind === 'attached' ? existing.attachment.link : undefined;
    const wasAttached = replaced !== undefined;
    const metaBefore = existing?.meta;
    const member = this.membership.seat(session, existing, hello, link, metaFromServer);
    if (replaced !== undefined) this.byLink.delete(replaced);
    this.byLink.set(link, { session, member });

    // The joiner as a sender: where it stands, so members meeting it start after that point.
    if (hello.sent !== undefined) session.positions.set(member.id, Math.max(session.positions.get(member.id) ?? 0, hello.sent));

    const { recv, base } = joinWatermarks(this.bounded(hello.recv, session), member.id, session.positions);
    member.recv = recv;
    // What it owes is kept across links, so reconnecting does not restart its clock; what it reports
    // now may reach its checkpoint (and a member that fell out holds senders back again once it has).
    member.owed = owedAfterProgress(member.owed, member, session.positions, now);
    member.holds = !stalled(member.owed, now, this.stallMs);

    this.membership.announce(session, hello, member.id);
    adoptSeed(session, member, hello);

    const frame = welcome({
      members: [...session.members.keys()].filter((id) => id !== member.id),
      base,
      want: lowestWanted(session.members.values(), member.id),
      metas: this.membership.metas(session, member),
      shared: session.shared.snapshot(),
      sharedLimits: this.sharedLimits,
    });
    this.membership.issue(member, frame.resume);
    link.send(frame);
    session.publishes?.returned(member.id, link, member.pubs);
    if (replaced !== undefined) replaced.close(CloseCode.replaced, 'replaced by a newer link');
    // A member that replaced its own link is no newcomer to the others: a changed meta is news.
    if (wasAttached && JSON.stringify(metaBefore) !== JSON.stringify(member.meta)) this.membership.setMeta(session, member, member.meta ?? null);

    for (const other of session.members.values()) {
      if (other === member || other.attachment.kind !== 'attached') continue;
      if (!wasAttached) {
        // Tell the others where the newcomer stands as a sender; they start after it (so does our
        // record of them, which otherwise would hold the newcomer's acknowledgements as unknown).
        const base = session.positions.get(member.id);
        if (base !== undefined && !other.recv.has(member.id)) other.recv.set(member.id, base);
        const joined: JoinedFrame = { t: 'joined', client: member.id };
        if (base !== undefined) joined.base = base;
        if (member.meta !== null && member.meta !== undefined) joined.meta = member.meta;
        other.attachment.link.send(joined);
      }
      // Bounded by what the session saw of `other`: a claim past it has nothing to replay.
      const have = Object.hasOwn(hello.recv, other.id) ? boundedWatermark(hello.recv[other.id] ?? 0, other.id, session.positions) : undefined;
      if (have !== undefined) other.attachment.link.send({ t: 'resend', from: have + 1 });
    }
    acknowledge(session);
    if (newcomer) this.options.observer?.joined(session.id, member.id, member.meta);
    return { kind: 'joined' };
  }

  /**
   * Protocol "Relay": to every other attached member, in order, replays included. Encoded once for
   * all of them; `payloadJson` is `frame.d` as the JSON string it arrived in, passed on as is.
   */
  relay(link: MemberLink, frame: MsgFrame, payloadJson?: string): void {
    const entry = this.byLink.get(link);
    if (entry === undefined) return;
    const { session, member } = entry;
    this.membership.used(member);
    // Routed (routing.ts) before the position moves: a shared write's replay is judged by it.
    const routed = route(session, member, frame, payloadJson);
    if (frame.seq !== undefined && frame.seq > (session.positions.get(member.id) ?? 0)) session.positions.set(member.id, frame.seq);
    this.relayedCount++;
    if (this.options.observer?.watchingMessages() === true) this.options.observer.message(session.id, member.id, frame, payloadJson);
    let now: number | undefined; // read once, and only if a member starts owing
    let held = false;
    for (const other of session.members.values()) {
      if (other === member) continue;
      const text = routed.text(other);
      if (text !== undefined && other.attachment.kind === 'attached') other.attachment.link.send(routed.frame, text);
      if (frame.seq === undefined || !other.holds) continue;
      held = true;
      // Detached members owe too: their clock bounds how long they hold the sender back.
      if (other.owed === undefined) other.owed = owedAfterRelay(undefined, member.id, frame.seq, (now ??= Date.now()));
    }
    sendAfter(session, link, routed);
    // A sender nobody holds back (alone, or among members that fell out) has delivered to all
    // there is: ack what it sent.
    if (frame.seq !== undefined && !held) acknowledge(session, [member.id]);
  }

  /** A sender no longer holds its messages up to `upTo`: tell the others, so none waits in silence. */
  gap(link: MemberLink, upTo: number): void {
    const entry = this.byLink.get(link);
    if (entry === undefined) return;
    const { session, member } = entry;
    this.membership.used(member);
    for (const other of session.members.values()) {
      if (other !== member && other.attachment.kind === 'attached') other.attachment.link.send({ t: 'gap', from: member.id, upTo });
    }
  }

  /** A member's new meta (bounded by the codec): the others are told. */
  meta(link: MemberLink, meta: JsonValue): void {
    const entry = this.byLink.get(link);
    // A meta the server gave (authenticate) is not the member's to change; its client refuses to try.
    if (entry === undefined || entry.member.metaFromServer) return;
    this.membership.used(entry.member);
    this.membership.setMeta(entry.session, entry.member, meta);
  }

  /** A receiver's cumulative watermarks; may raise the senders' acknowledgements. */
  ack(link: MemberLink, frame: AckFrame): void {
    const entry = this.byLink.get(link);
    if (entry === undefined) return;
    const { session, member } = entry;
    this.membership.used(member);
    // A receiver may name senders not here yet (they are on their way), but not forever many.
    const raised = raisedWatermarks(member.recv, this.bounded(frame.recv, session), member.id, MAX_LIST_LENGTH);
    if (raised.size === 0) return;
    for (const [sender, seq] of raised) member.recv.set(sender, seq);
    const now = Date.now();
    member.owed = owedAfterProgress(member.owed, member, session.positions, now);
    const rejoined = !member.holds && !stalled(member.owed, now, this.stallMs);
    if (rejoined) member.holds = true;
    acknowledge(session, [...raised.keys()]);
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
    this.membership.detach(entry.session, entry.member, link);
    // What it had not confirmed is kept for its return; answers no longer wait for it (publishes.ts).
    entry.session.publishes?.detached(entry.member.id);
  }

  /** A backend's publish (publishing.ts): the members present that confirmed it, and those away it is kept for. */
  publish(sessionId: string, id: string, data: string | Uint8Array, signal: AbortSignal): Promise<Delivery> {
    return deliverPublish(this.sessions.get(sessionId), id, data, signal);
  }

  /** A member confirmed a publish. */
  got(link: MemberLink, id: string): void {
    const entry = this.byLink.get(link);
    if (entry === undefined) return;
    this.membership.used(entry.member);
    entry.session.publishes?.confirmed(entry.member.id, [id]);
  }

  /**
   * Hands the whole session over: every attached link is passed to `move` (which redirects and
   * closes it), and the session is forgotten without `left` frames — its members are moving, not
   * leaving.
   */
  evict(sessionId: string, move: (link: MemberLink) => void): void {
    if (this.forget(sessionId, move)) this.migratedOut++;
  }

  /** Stops every timer (node shutdown). Links are the caller's to close. */
  stop(): void {
    clearInterval(this.sweeper);
    for (const id of [...this.sessions.keys()]) this.forget(id, () => {});
  }

  /** Ends a session here without `left` frames; false when it was not hosted here. */
  private forget(sessionId: string, move: (link: MemberLink) => void): boolean {
    const session = this.sessions.get(sessionId);
    if (session === undefined) return false;
    this.sessions.delete(sessionId);
    settle(session);
    session.publishes?.stop();
    for (const member of session.members.values()) {
      const attachment = member.attachment;
      this.membership.leave(member);
      if (attachment.kind === 'attached') {
        this.byLink.delete(attachment.link);
        move(attachment.link);
      }
    }
    this.options.onSessionEnded?.(sessionId);
    return true;
  }

  /** Reported watermarks, each bounded by what the session saw of its sender. */
  private bounded(reported: Watermarks, session: Session): Watermarks {
    const out: Watermarks = {};
    for (const [sender, seq] of Object.entries(reported)) out[sender] = boundedWatermark(seq, sender, session.positions);
    return out;
  }

  private createSession(hello: HelloFrame): Session {
    // A session arriving by migration may have members still on their way that nobody here knows
    // of: acknowledge nothing until they had time to arrive and report what they have.
    const migrating = hello.via !== undefined || hello.members.some((id) => id !== hello.client);
    const session: Session = { id: hello.session, members: new Map(), positions: new Map(), settle: { kind: 'settled' }, placeholders: new Set(), shared: new SharedState(this.sharedLimits) };
    if (migrating && this.options.settleMs > 0) startSettling(session, this.options.settleMs);
    if (migrating) {
      this.migratedIn++;
      this.options.observer?.migratedIn(hello.session, hello.via);
    }
    this.sessions.set(session.id, session);
    return session;
  }

  /**
   * Removes `member` and tells the others; false when that ended the session. O(attached members):
   * acknowledgements are recomputed only when the member held anyone back.
   */
  private remove(session: Session, member: Member, reason: 'bye' | 'timeout', recompute = true): boolean {
    const attachment = member.attachment;
    this.membership.leave(member);
    if (attachment.kind === 'attached') this.byLink.delete(attachment.link);
    session.members.delete(member.id);
    session.placeholders.delete(member.id);
    session.publishes?.release(member.id);
    this.options.observer?.left(session.id, member.id, reason);
    for (const other of session.members.values()) {
      if (other.attachment.kind === 'attached') other.attachment.link.send(leftFrame(member, other, reason));
    }
    if (session.members.size === 0) {
      settle(session);
      this.sessions.delete(session.id);
      this.options.onSessionEnded?.(session.id);
      return false;
    }
    // The member that left no longer holds anyone's acknowledgements back.
    if (recompute && member.holds) acknowledge(session);
    return true;
  }
}
