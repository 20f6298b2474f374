/**
 * Who is a member of a hosted session: identity (resume tokens and their generations), the
 * placeholders a hello announces and their expiry, room when the session is full, and the guarded
 * transitions between attached and detached. Delivery is the session host's (session-host.ts);
 * membership reaches it only through the small `MembershipHost` it is handed.
 *
 * Identity: a hello for an id this session knows — attached, detached, or a placeholder — is
 * admitted only with that member's resume token, and not with one older than a token the member
 * has since used (one token, one holder). Every refusal reads the same, whoever is connected.
 */
import type { HelloFrame, JsonValue } from '../../protocol/frames.js';
import type { Member, MemberLink, Session } from './records.js';

/** Membership's options, normalized by the session host (see SessionHostOptions for each). */
export interface MembershipOptions {
  readonly memberGraceMs: number;
  readonly maxMembers: number;
  readonly maxClaimed: number;
  readonly verifiesForeignTokens: boolean;
  readonly verifyResume: (token: string | undefined, session: string, client: string) => boolean;
  readonly resumeStamp: (token: string | undefined) => number | undefined;
}

/** What membership asks of the session host that owns it; called from its timers and `makeRoom`. */
export interface MembershipHost {
  /** Whether `session` is still the one hosted under its id: a late timer's may have ended, or been evicted. */
  hosts(session: Session): boolean;
  /**
   * Removes `member` and tells the others; false when that ended the session. Recomputes the
   * acknowledgements it held back unless `recompute` is false (the caller recomputes once for many).
   */
  remove(session: Session, member: Member, reason: 'timeout', recompute?: boolean): boolean;
  /** Members that held senders back are gone: acknowledgements may rise. */
  recompute(session: Session): void;
}

export class Membership {
  constructor(
    private readonly options: MembershipOptions,
    private readonly host: MembershipHost,
  ) {}

  /**
   * Whether `hello` may take over `member`: only with a valid token for it, not older than one it
   * has used. Attached, detached or placeholder, the answer reads the same (RESUME_REQUIRED), so a
   * stranger learns nothing of who is connected.
   */
  mayResume(member: Member, hello: HelloFrame): boolean {
    if (member.placeholder && !this.options.verifiesForeignTokens) return true;
    if (!this.options.verifyResume(hello.resume, hello.session, hello.client)) return false;
    const presented = this.options.resumeStamp(hello.resume);
    return member.floor === undefined || presented === undefined || presented >= member.floor;
  }

  /**
   * Puts `hello.client` on `link`: a new member, or `existing` (which `mayResume` admitted) back on
   * a link — a placeholder claimed, the token it presented its floor from now on.
   */
  seat(session: Session, existing: Member | undefined, hello: HelloFrame, link: MemberLink, metaFromServer: boolean): Member {
    if (existing === undefined) {
      const member: Member = { id: hello.client, attachment: { kind: 'attached', link }, recv: new Map(), ackedSent: 0, holds: true, placeholder: false, meta: hello.meta ?? null, metaFromServer, ext: hello.shared !== undefined, pubs: hello.pub === 1 };
      session.members.set(member.id, member);
      return member;
    }
    this.attach(existing, link);
    existing.meta = hello.meta ?? null;
    existing.metaFromServer = metaFromServer;
    existing.ext = hello.shared !== undefined;
    existing.pubs = hello.pub === 1;
    existing.ackedSent = 0; // a new link has heard no acked yet
    if (existing.placeholder) {
      existing.placeholder = false;
      session.placeholders.delete(existing.id);
    }
    const presented = this.options.resumeStamp(hello.resume);
    if (presented !== undefined) existing.floor = Math.max(existing.floor ?? 0, presented);
    return existing;
  }

  /** The welcome on the member's current link carries `token`: its generation becomes the floor once the link is used. */
  issue(member: Member, token: string | undefined): void {
    member.issued = this.options.resumeStamp(token);
  }

  /** The member's link spoke after its welcome, so it holds the welcome's token: older ones are done. */
  used(member: Member): void {
    if (member.issued === undefined) return;
    member.floor = Math.max(member.floor ?? 0, member.issued);
    member.issued = undefined;
  }

  /**
   * The meta of every member but `self` that has said it (placeholders have not): a welcome's
   * `meta`. `self`'s own too when the server gave it, so its client shows what the others see.
   */
  metas(session: Session, self: Member): Record<string, JsonValue> {
    const out: Record<string, JsonValue> = {};
    for (const member of session.members.values()) if (member.meta !== undefined && (member !== self || member.metaFromServer)) out[member.id] = member.meta;
    return out;
  }

  /** `member` says `meta` of itself: every other attached member is told. */
  setMeta(session: Session, member: Member, meta: JsonValue): void {
    member.meta = meta;
    for (const other of session.members.values()) {
      if (other !== member && other.attachment.kind === 'attached') other.attachment.link.send({ t: 'meta', client: member.id, meta });
    }
  }

  /** Room for one more real member: below the cap, or by dropping the oldest placeholder that holds nobody. */
  makeRoom(session: Session): boolean {
    if (session.members.size < this.options.maxMembers) return true;
    for (const id of session.placeholders) {
      const member = session.members.get(id);
      if (member === undefined || member.holds) continue;
      this.host.remove(session, member, 'timeout');
      return true;
    }
    return false;
  }

  /**
   * Members the joiner knows and we do not are on their way. They hold senders back only when the
   * session is settling after a migration (when they are expected) and the joiner proved it is a
   * member; a hello may announce only so many; one timer expires all of one hello's.
   */
  announce(session: Session, hello: HelloFrame, self: string): void {
    const batch: string[] = [];
    // Only a proven member migrating in (its resume token verifies) vouches for the others: a
    // stranger's hello may name members, but they never hold anyone back.
    const vouched = !this.options.verifiesForeignTokens || this.options.verifyResume(hello.resume, hello.session, self);
    const holds = session.settle.kind === 'settling' && vouched;
    const expiry: NodeJS.Timeout = setTimeout(() => this.expire(session, batch, expiry), this.options.memberGraceMs);
    expiry.unref?.();
    for (const id of hello.members) {
      if (batch.length >= this.options.maxClaimed || session.members.size >= this.options.maxMembers) break;
      if (id === self || session.members.has(id)) continue;
      session.members.set(id, { id, attachment: { kind: 'detached', expiry }, recv: new Map(), ackedSent: 0, holds, placeholder: true, meta: undefined, metaFromServer: false, ext: false, pubs: false });
      session.placeholders.add(id);
      batch.push(id);
    }
    if (batch.length === 0) clearTimeout(expiry);
  }

  /**
   * The one way a member loses its link, refused unless it is attached on `link`: a replaced link's
   * late close must not detach the member from its newer one, nor restart its grace period.
   */
  detach(session: Session, member: Member, link: MemberLink): boolean {
    if (member.attachment.kind !== 'attached' || member.attachment.link !== link) return false;
    this.leave(member);
    member.attachment = { kind: 'detached', expiry: this.graceTimer(session, member.id) };
    return true;
  }

  /**
   * What leaving the current attachment takes, whether for another one or because the member goes
   * away: a detached member's expiry stops, so an old grace timer cannot remove it later.
   */
  leave(member: Member): void {
    if (member.attachment.kind === 'detached') clearTimeout(member.attachment.expiry);
  }

  /** The one way a member comes (back) onto a link, from either state: a newer link replaces an attached one. */
  private attach(member: Member, link: MemberLink): void {
    this.leave(member);
    member.attachment = { kind: 'attached', link };
  }

  /** The placeholders of one hello that never came: removed together, one recompute. */
  private expire(session: Session, batch: readonly string[], expiry: NodeJS.Timeout): void {
    if (!this.host.hosts(session)) return;
    let held = false;
    for (const id of batch) {
      const member = session.members.get(id);
      // Only the timer of the member's current detachment may remove it.
      if (member?.attachment.kind !== 'detached' || member.attachment.expiry !== expiry) continue;
      held ||= member.holds;
      if (!this.host.remove(session, member, 'timeout', false)) return;
    }
    if (held) this.host.recompute(session);
  }

  private graceTimer(session: Session, memberId: string): NodeJS.Timeout {
    const timer: NodeJS.Timeout = setTimeout(() => {
      const member = session.members.get(memberId);
      // Only the timer of the member's current detachment may remove it.
      if (member?.attachment.kind === 'detached' && member.attachment.expiry === timer && this.host.hosts(session)) {
        this.host.remove(session, member, 'timeout');
      }
    }, this.options.memberGraceMs);
    timer.unref?.();
    return timer;
  }
}
