/**
 * The other members of the session as this client knows them, each with the meta it last said of
 * itself. A welcome replaces the list (after a migration too); `joined`, `left` and `meta` frames
 * change it. A member the new host has not seen yet (it is still on its way) keeps the meta we
 * knew: its `joined` brings the current one when it arrives.
 */
import { SessionError } from '../core/errors.js';
import type { JsonValue, WelcomeFrame } from '../protocol/frames.js';
import { jsonBytes } from '../protocol/json.js';

/** One other member: what `client.members` maps its id to, and what member events carry. */
export interface MemberInfo {
  readonly clientId: string;
  readonly meta: JsonValue;
}

export type MemberEventName = 'joined' | 'left' | 'member';

/** Where member events go (the session's helper: an object, not a closure per session). */
export interface MemberReports {
  onMember(kind: MemberEventName, member: MemberInfo): void;
}

export class Members {
  readonly map = new Map<string, MemberInfo>();
  readonly #self: string;
  readonly #reports: MemberReports;

  constructor(self: string, reports: MemberReports) {
    this.#self = self;
    this.#reports = reports;
  }

  /**
   * The welcome's list, silently (a migration is no news of who is here). Returns the known members
   * whose meta changed meanwhile, for the caller to report once the application has heard it joined.
   */
  adopt(welcome: WelcomeFrame): MemberInfo[] {
    const before = new Map(this.map);
    const changed: MemberInfo[] = [];
    this.map.clear();
    for (const id of welcome.members) {
      if (id === this.#self) continue;
      const known = before.get(id);
      const said = welcome.meta === undefined || !Object.hasOwn(welcome.meta, id) ? undefined : welcome.meta[id];
      const member = { clientId: id, meta: said ?? known?.meta ?? null };
      this.map.set(id, member);
      if (known !== undefined && said !== undefined && !same(known.meta, member.meta)) changed.push(member);
    }
    return changed;
  }

  /** Reports changes `adopt` found (see there). */
  report(changed: readonly MemberInfo[]): void {
    for (const member of changed) this.#reports.onMember('member', member);
  }

  joined(id: string, meta: JsonValue | undefined): void {
    if (id === this.#self) return;
    const known = this.map.get(id);
    const member = { clientId: id, meta: meta ?? null };
    this.map.set(id, member);
    if (known === undefined) this.#reports.onMember('joined', member);
    else if (!same(known.meta, member.meta)) this.#reports.onMember('member', member);
  }

  left(id: string): void {
    const known = this.map.get(id);
    if (known === undefined) return;
    this.map.delete(id);
    this.#reports.onMember('left', known);
  }

  meta(id: string, meta: JsonValue): void {
    const known = this.map.get(id);
    // A meta for a member we have not heard join: its joined is on the way (or it left); ignore.
    if (known === undefined || same(known.meta, meta)) return;
    const member = { clientId: id, meta };
    this.map.set(id, member);
    this.#reports.onMember('member', member);
  }
}

/** This member's own meta: what its hellos carry, within the node's bound, unless the server set it. */
export class OwnMeta {
  value: JsonValue;
  /** The node's bound, from its welcome; before one, the node's check of the hello decides. */
  #limit: number | undefined;
  /** The node's `authenticate` named our meta (the welcome lists us): it is not ours to change. */
  #fromServer = false;

  constructor(value: JsonValue) {
    this.value = value;
  }

  learn(welcome: WelcomeFrame, self: string): void {
    this.#limit = welcome.maxMetaBytes;
    const own = welcome.meta?.[self];
    this.#fromServer = own !== undefined;
    if (own !== undefined) this.value = own;
  }

  /** Takes `meta` or throws, changing nothing. */
  set(meta: JsonValue): void {
    if (this.#fromServer) throw new SessionError('GRIDLINK_INVALID_ARGUMENT', "cannot set meta: the server's authenticate gave this member its meta");
    const limit = this.#limit;
    if (limit !== undefined && jsonBytes(meta) > limit) {
      throw new SessionError('GRIDLINK_META_TOO_LARGE', `meta is ${jsonBytes(meta)} bytes of JSON, over the node's maxMetaBytes (${limit})`, { retriable: false });
    }
    this.value = meta;
  }
}

function same(a: JsonValue, b: JsonValue): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}
