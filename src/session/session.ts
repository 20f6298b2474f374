/**
 * Membership of one session across links. The session owns the client's state machine, the
 * outbox (numbering, unconfirmed messages, sends buffered while migrating), the inbox (dedupe and
 * order), and migration: when the link dies or the node drains, it joins the session on another
 * node — one migration at a time; a heartbeat death, a socket close and a drain notice arriving
 * together all join the same one. What the node's frames on an open link mean is decided in
 * node-frames.ts, which acts on the session only through the guarded steps here; what a join
 * tells the node is built in hello.ts.
 *
 *   connecting ──joined──▶ connected ──link lost / drain / redirect──▶ migrating ──migrated──▶ connected
 *        │                                                               │
 *        └──── gave up (error code) ──▶ failed ◀── gave up (error code) ─┘
 *   (connecting, connected, migrating) ──closed / aborted──▶ closed
 */
import { ClosedError, GridlinkError, SessionError, isGridlinkError } from '../core/errors.js';
import { StateMachine, type MigrationCode, type Reason } from '../core/state.js';
import type { Link, LinkHost } from '../link/link.js';
import { encodeFrame } from '../protocol/codec.js';
import { internNode } from '../resolve/intern.js';
import { nodeKey } from '../resolve/node-list.js';
import { CloseCode, type HelloFrame, type JsonValue, type MsgFrame, type NodeFrame, type NodeInfo } from '../protocol/frames.js';
import type { Extras } from './extras.js';
import { Flushes } from './flush.js';
import { Members, OwnMeta, type MemberInfo } from './members.js';
import { successorOf } from '../choose/successor.js';
import { join, type ConnectorDeps, type Joined } from './connector.js';
import { buildHello } from './hello.js';
import { NodeFrames, type NodeFrameHost } from './node-frames.js';
import { Receiver, type MessageMeta, type ReceiverHost } from './receiver.js';
import { ServerMessages } from './server-messages.js';
import { MessageLimit } from './message-limit.js';
import { Outbox, closedBy, msgFrame } from './outbox.js';
import { holdWhileTrying, type Migration, type Phase } from './phase.js';
import { migrationCode, type MigrationInfo, type SessionHelper, type SessionSettings, type SessionState } from './session-api.js';

export type { MessageMeta, MemberInfo, MigrationInfo, SessionHelper, SessionSettings, SessionState };

export class Session {
  readonly #machine: StateMachine<Phase>;
  readonly #outbox: Outbox;
  readonly #limit: MessageLimit;
  readonly #receiver: Receiver;
  readonly #frames: NodeFrames;
  readonly #members: Members;
  readonly #flushes = new Flushes();
  readonly #meta: OwnMeta;
  /** The receiver's, the frames' and every link's way back in (see #Ports). */
  readonly #ports: ReceiverHost & NodeFrameHost & LinkHost;
  /** `to`, requests and the shared map (extras.ts), when the `extras` piece is given. */
  readonly extras: Extras | undefined;
  /** Cancels the join in flight (connecting, migrating), if any: close() and giving up use it. */
  #joining: AbortController | undefined;
  /** The last node that welcomed us; kept after the session ends. */
  #node: NodeInfo | undefined;
  #resume: string | undefined;
  /** Where the cloud would host the session if this node died (from its welcome; see successor.ts). */
  #successor: NodeInfo | undefined;
  #unwatch: (() => void) | undefined;
  /** Releases the process hold taken while trying to reach the cloud (phase.ts `holdWhileTrying`). */
  #release: (() => void) | undefined;

  constructor(
    private readonly settings: SessionSettings,
    /** `warn` is made per join (the helper's `onError`): a join's closures go with it. */
    private readonly connector: Omit<ConnectorDeps, 'hello' | 'warn'>,
    private readonly helper: SessionHelper,
  ) {
    this.#outbox = new Outbox(settings.maxBufferedBytes);
    this.#members = new Members(settings.clientId, helper);
    this.#meta = new OwnMeta(settings.meta);
    this.#limit = new MessageLimit(connector.settings.maxFrameBytes);
    const ports = (this.#ports = new Session.#Ports(this));
    this.#receiver = new Receiver({ self: settings.clientId, maxHeldMessages: settings.maxHeldMessages, ackDelayMs: settings.ackDelayMs }, ports);
    this.extras = settings.extras?.({ session: this, outbox: this.#outbox, members: this.#members.map, receiver: this.#receiver, helper });
    // Frames act on the session only through these, so a stale link's frame meets the same guards.
    this.#frames = new NodeFrames(
      { self: settings.clientId, members: this.#members, flushes: this.#flushes, receiver: this.#receiver, outbox: this.#outbox, nodes: connector.nodes, cooldown: connector.cooldown, extras: this.extras,
        server: new ServerMessages(helper) },
      ports,
    );
    this.#machine = new StateMachine<Phase>({ kind: 'connecting' }, (change) => {
      this.#release = holdWhileTrying(change.to, this.#release, connector.platform.holdProcess);
      helper.onState(change);
    });
  }

  get state(): SessionState {
    return this.#machine.state;
  }

  get node(): NodeInfo | undefined {
    return this.#node;
  }

  get members(): ReadonlyMap<string, MemberInfo> {
    return this.#members.map;
  }

  get meta(): JsonValue {
    return this.#meta.value;
  }

  get bufferedBytes(): number {
    return this.#outbox.bytes;
  }

  /** Joins for the first time. Resolves when connected; rejects with the reason it cannot. */
  async start(): Promise<void> {
    this.#release = holdWhileTrying(this.#machine.state, this.#release, this.connector.platform.holdProcess);
    this.#unwatch = this.connector.platform.watchLifecycle?.({
      wake: () => this.#checkLink('the page became visible'),
      online: () => this.#checkLink('the network came back'),
      offline: () => {},
    });
    try {
      const joined = await this.#join([]);
      if (!this.#machine.is('connecting')) {
        // close() came between the welcome and this continuation: the link is ours alone to close.
        joined.link.close(CloseCode.normal, 'client closed');
        throw new ClosedError('GRIDLINK_CLOSED', 'the client was closed before it joined');
      }
      const changed = this.#adopt(joined);
      this.#machine.transition(['connecting'], { kind: 'connected', link: joined.link }, { code: 'joined', message: `joined on node ${joined.node.id}` });
      this.#members.report(changed);
      this.#listen(joined.link);
    } catch (error) {
      throw this.#giveUp(error, 'connecting');
    }
  }

  /**
   * Sends reliably (numbered, kept until every member confirmed, replayed after migration) or
   * volatile (only if a link is up right now). Returns false when a volatile message was not sent.
   * `extra`: the fields of a message `to` one member, a request, a reply or a shared write (extras.ts).
   */
  send(data: string | Uint8Array, volatile: boolean, extra: Partial<MsgFrame> = {}): boolean {
    const phase = this.#machine.current;
    if (phase.kind === 'closed' || phase.kind === 'failed') {
      throw new ClosedError('GRIDLINK_CLOSED', `cannot send: the client is ${phase.kind}`, { cause: phase.kind === 'failed' ? phase.failure : undefined });
    }
    const frame = msgFrame(data, extra);
    // While migrating, reliable sends wait in the outbox for the replay and volatile ones are dropped.
    const link = phase.kind === 'connected' ? phase.link : undefined;
    if (volatile) {
      const text = encodeFrame(frame());
      this.#limit.check(text);
      if (link === undefined) return false;
      link.sendText(text);
      return true;
    }
    const entry = this.#outbox.push((seq) => {
      const text = encodeFrame(frame(seq));
      this.#limit.check(text); // before it is numbered or kept: nothing is queued
      return text;
    }, extra.to);
    if (link) this.#receiver.send(link, entry.text);
    return true;
  }

  /**
   * Changes this member's meta (checked JSON, see core/json.ts): sent now if a link is up, else in
   * the next hello. Over the node's bound: `GRIDLINK_META_TOO_LARGE`, and nothing changes.
   */
  setMeta(meta: JsonValue): void {
    const phase = this.#machine.current;
    if (phase.kind === 'closed' || phase.kind === 'failed') throw new ClosedError('GRIDLINK_CLOSED', `cannot set meta: the client is ${phase.kind}`);
    this.#meta.set(meta);
    if (phase.kind === 'connected') phase.link.send({ t: 'meta', meta });
  }

  /** Resolves when every reliable message sent so far is confirmed by every member present (flush.ts). */
  flush(signal: AbortSignal | undefined): Promise<void> {
    return this.#flushes.wait(this.#outbox.lastSeq, this.#outbox.floor - 1, signal);
  }

  /** Leaves the session for good: members stop keeping messages for us. */
  async close(reason: Reason<'closed' | 'aborted'> = { code: 'closed', message: 'closed by the application' }): Promise<void> {
    const link = this.#link();
    if (!this.#machine.transition(['connecting', 'connected', 'migrating'], { kind: 'closed' }, reason)) return;
    this.#teardown(() => new ClosedError('GRIDLINK_CLOSED', 'the client was closed'));
    if (link?.isOpen) {
      this.#receiver.flushAck(link);
      link.send({ t: 'bye' });
    }
    link?.close(CloseCode.normal, 'bye');
  }

  /** The link the session talks on now: the joined one, or the old one still delivering while migrating. */
  #link(): Link | undefined {
    const phase = this.#machine.current;
    return phase.kind === 'connected' || phase.kind === 'migrating' ? phase.link : undefined;
  }

  /** Whether `phase` is still the current state: a later entry into the same state is another object. */
  #isCurrent(phase: Phase): boolean {
    return this.#machine.current === phase;
  }

  // ---- joining and migrating ----------------------------------------------------------------

  #join(failed: readonly string[], via?: NodeInfo, prefer?: NodeInfo): Promise<Joined> {
    const { session, clientId: client } = this.settings;
    const hello = (failedNow: readonly string[]): HelloFrame =>
      buildHello({ session, client, recv: this.#receiver.watermarks(), members: this.#members.map.keys(), resume: this.#resume, sent: this.#outbox.lastSeq, meta: this.#meta.value, shared: this.extras?.shared.seed() }, failedNow, via);
    // A controller per join, not per session: an idle client holds none (Node's are heavy).
    const joining = new AbortController();
    this.#joining = joining;
    const request = { failed, signal: joining.signal };
    const warn = (error: GridlinkError): void => this.helper.onError(error);
    return join({ ...this.connector, hello, warn }, prefer === undefined ? request : { ...request, prefer }).finally(() => {
      if (this.#joining === joining) this.#joining = undefined;
    });
  }

  /**
   * Makes a freshly joined link the session's link: state from the welcome, then the replay. The
   * caller then announces the new state and only after that calls `#listen`, so the application
   * never hears from a node before it has been told the client is there.
   */
  #adopt({ link, welcome, node }: Joined): MemberInfo[] {
    this.#limit.learn(welcome);
    this.#meta.learn(welcome, this.settings.clientId);
    try {
      // Queued before this node's limit was known (or under another node's): it can never be
      // delivered, and replaying it would be refused on every node, forever. The session fails.
      for (const entry of this.#outbox.from(this.#outbox.floor)) this.#limit.check(entry.text);
    } catch (error) {
      link.close(CloseCode.normal, 'message too large');
      throw error;
    }
    this.#node = internNode(node);
    this.#resume = welcome.resume;
    this.#successor = this.connector.policy.name === 'custom' ? undefined : successorOf(this.settings.session, welcome.nodes, welcome.node.id);
    this.connector.nodes.learnId(node.url, node.id);
    const { refused } = this.connector.nodes.setAdvertised(welcome.nodes);
    for (const error of refused) this.helper.onError(error);
    this.#receiver.setBase(welcome.base);
    const changed = this.#members.adopt(welcome);
    // Everything not yet confirmed goes out again; receivers drop what they already have.
    this.#replay(link, welcome.want ?? this.#outbox.floor);
    this.extras?.adopt(welcome);
    return changed;
  }

  #listen(link: Link): void {
    link.attach(this.#ports);
  }

  /**
   * How the receiver and the node's frames call back into the session: one object with methods
   * per session, where a closure per callback (and their scope) cost hundreds of bytes per idle client.
   */
  static readonly #Ports = class implements ReceiverHost, NodeFrameHost, LinkHost {
    // `declare`d: assigned below, without a second definition in the bundle (see connector.ts).
    declare readonly session: Session;

    constructor(session: Session) {
      this.session = session;
    }

    onMessage(data: string | Uint8Array, meta: MessageMeta, frame: MsgFrame): void {
      const { session } = this;
      if (session.extras?.take(frame, data) !== true) session.helper.onMessage(data, meta);
    }

    onError(error: GridlinkError): void {
      this.session.helper.onError(error);
    }

    currentLink(): Link | undefined {
      return this.session.#link();
    }

    isConnected(): boolean {
      return this.session.#machine.is('connected');
    }

    replay(link: Link, from: number): void {
      this.session.#replay(link, from);
    }

    move(link: Link, reason: Reason<'drain' | 'redirect'>, prefer: NodeInfo | undefined): void {
      this.session.#migrate(link, reason, false, prefer);
    }

    linkDead(link: Link, error: GridlinkError): void {
      this.session.#onLinkDead(link, error);
    }

    onFrame(frame: NodeFrame, link: Link): void {
      this.session.#frames.handle(link, frame);
    }

    onDead(error: GridlinkError, link: Link): void {
      this.session.#onLinkDead(link, error);
    }
  };

  /**
   * Re-sends the outbox from `from`. If a member needs messages we no longer hold (it came back
   * after everyone then present had confirmed them), say so first instead of leaving it waiting.
   */
  #replay(link: Link, from: number): void {
    const floor = this.#outbox.floor;
    if (from < floor) link.send({ t: 'gap', upTo: floor - 1 });
    for (const entry of this.#outbox.from(from)) link.sendText(entry.text);
  }

  /**
   * Leaves `link` (the current one) for another node. `broken`: the link is gone, so the node is
   * reported as failed and nothing waits for it; otherwise (drain, redirect) it keeps delivering
   * until the new link is joined.
   */
  #migrate(link: Link, reason: Reason<MigrationCode>, broken: boolean, prefer?: NodeInfo): void {
    const from = this.#node as NodeInfo;
    const started = this.connector.platform.now();
    const migration: Migration = { kind: 'migrating', from, reason, started, link: broken ? undefined : link, lastHeard: started - link.silentFor() };
    if (!this.#machine.transition(['connected'], migration, reason)) return;
    if (!this.#isCurrent(migration)) return; // a state listener closed the client
    this.#join(broken ? [from.id] : [], from, prefer ?? (broken ? this.#successorEntry() : undefined))
      .then((joined) => this.#arrive(migration, joined))
      .catch((error: unknown) => {
        if (this.#isCurrent(migration)) this.#giveUp(error, 'migrating');
      });
  }

  /** The successor as the client's node list knows it (so it is dialled as the resolver named it), if it belongs to the cloud. */
  #successorEntry(): NodeInfo | undefined {
    if (this.#successor === undefined) return undefined;
    try {
      return this.connector.nodes.check(this.#successor, 'the welcome');
    } catch {
      return undefined;
    }
  }

  #arrive(migration: Migration, joined: Joined): void {
    if (!this.#isCurrent(migration)) {
      joined.link.close(CloseCode.normal, 'client no longer migrating');
      return;
    }
    migration.link?.close(CloseCode.normal, 'migrated');
    const changed = this.#adopt(joined);
    const now = this.connector.platform.now();
    // A make-before-break move's old link was delivering until now.
    const lastHeard = migration.link === undefined ? migration.lastHeard : now - migration.link.silentFor();
    const downtimeMs = Math.round(now - lastHeard);
    const migratingMs = Math.round(now - migration.started);
    const connected: Phase = { kind: 'connected', link: joined.link };
    this.#machine.transition(['migrating'], connected, { code: 'migrated', message: `migrated from ${migration.from.id} to ${joined.node.id}` });
    this.helper.onMigrated({ from: migration.from, to: joined.node, reason: migration.reason, downtimeMs, migratingMs });
    this.#members.report(changed);
    if (this.#isCurrent(connected)) this.#listen(joined.link);
  }

  /**
   * After the platform slept (a hidden tab's timers are throttled) or the network came back, do not
   * wait for the heartbeat timer to notice a dead link: ask the node now (Link.check).
   */
  #checkLink(why: string): void {
    const phase = this.#machine.current;
    if (phase.kind === 'connected') phase.link.check(Math.min(this.connector.settings.heartbeat.timeoutMs, 2000), why);
  }

  #onLinkDead(link: Link, error: GridlinkError): void {
    if (link !== this.#link()) return; // an old link (e.g. the drained one) going away is expected
    this.connector.cooldown.fail(nodeKey(link.node));
    const phase = this.#machine.current;
    if (phase.kind === 'migrating') {
      // A planned move (drain, redirect) is under way and its old link ended, as the node said it
      // would (4002, 4003): not an error. The migration in flight continues.
      phase.link = undefined;
      phase.lastHeard = this.connector.platform.now() - link.silentFor();
      return;
    }
    this.helper.onError(error);
    this.#migrate(link, { code: migrationCode(error), message: error.message }, true);
  }

  // ---- ending ---------------------------------------------------------------------------------

  #giveUp(error: unknown, from: 'connecting' | 'migrating'): GridlinkError {
    const failure = isGridlinkError(error) ? error : new SessionError('GRIDLINK_NO_NODES', String(error), { cause: error });
    if (!this.#machine.is(from)) {
      return this.#machine.is('closed') ? new ClosedError('GRIDLINK_CLOSED', 'the client was closed before it joined', { cause: failure }) : failure;
    }
    // A drain's old link may still be up; a failed client holds no link.
    const draining = this.#link();
    this.#machine.transition([from], { kind: 'failed', failure }, { code: failure.code, message: failure.message });
    draining?.close(CloseCode.normal, 'client gave up');
    this.#teardown(() => failure);
    this.helper.onError(failure);
    return failure;
  }

  /** `reason` is asked only if a join is in flight: an error (and its stack) costs, and most closes have none. */
  #teardown(reason: () => GridlinkError): void {
    this.#unwatch?.();
    this.#unwatch = undefined;
    this.#receiver.stop();
    const closed = (): GridlinkError => closedBy(reason());
    this.#flushes.fail(closed);
    this.extras?.fail(closed);
    this.#joining?.abort(reason());
    this.#joining = undefined;
  }
}
