/**
 * Membership of one session across links. The session owns the client's state machine, the
 * outbox (numbering, unconfirmed messages, sends buffered while migrating), the inbox (dedupe and
 * order), and migration: when the link dies or the node drains, it joins the session on another
 * node — one migration at a time; a heartbeat death, a socket close and a drain notice arriving
 * together all join the same one.
 *
 *   connecting ──joined──▶ connected ──link lost / drain──▶ migrating ──joined──▶ connected
 *        │                    │                               │
 *        └──── gave up ───────┴──────────▶ failed ◀───────────┘      (any) ──close()──▶ closed
 */
import { bytesToBase64 } from '../core/base64.js';
import { ClosedError, GridlinkError, LinkError, SessionError, isGridlinkError } from '../core/errors.js';
import { StateMachine, type Reason, type StateChange } from '../core/state.js';
import type { Link } from '../link/link.js';
import { encodeFrame } from '../protocol/codec.js';
import { nodeKey } from '../resolve/node-list.js';
import { CloseCode, PROTOCOL_VERSION, type HelloFrame, type MsgFrame, type NodeFrame, type NodeInfo } from '../protocol/frames.js';
import { join, type ConnectorDeps, type Joined } from './connector.js';
import { Receiver, type MessageMeta } from './receiver.js';
import { Outbox } from './outbox.js';

export type SessionState = 'connecting' | 'connected' | 'migrating' | 'closed' | 'failed';

export type { MessageMeta };

export interface MigrationInfo {
  readonly from: NodeInfo;
  readonly to: NodeInfo;
  readonly reason: Reason;
  /** Time spent migrating: from giving up the old link (or, for a drain, deciding to leave it) to joining the new one. Sends are buffered meanwhile. */
  readonly downtimeMs: number;
}

/** How the session reports upward; the client turns these into events. */
export interface SessionHelper {
  onState(change: StateChange<SessionState>): void;
  onMessage(data: string | Uint8Array, meta: MessageMeta): void;
  onMigrated(info: MigrationInfo): void;
  onMember(kind: 'joined' | 'left', clientId: string): void;
  onError(error: GridlinkError): void;
}

export interface SessionSettings {
  readonly session: string;
  readonly clientId: string;
  readonly maxBufferedBytes: number;
  readonly maxHeldMessages: number;
  readonly ackDelayMs: number;
}

export class Session {
  readonly #machine: StateMachine<SessionState>;
  readonly #outbox: Outbox;
  readonly #receiver: Receiver;
  readonly #members = new Set<string>();
  readonly #lifetime = new AbortController();
  #link: Link | undefined;
  #node: NodeInfo | undefined;
  #resume: string | undefined;
  #migration: Promise<void> | undefined;
  #failure: GridlinkError | undefined;
  #unwatch: (() => void) | undefined;

  constructor(
    private readonly settings: SessionSettings,
    private readonly connector: Omit<ConnectorDeps, 'hello'>,
    private readonly helper: SessionHelper,
  ) {
    this.#outbox = new Outbox(settings.maxBufferedBytes);
    this.#receiver = new Receiver(
      { self: settings.clientId, maxHeldMessages: settings.maxHeldMessages, ackDelayMs: settings.ackDelayMs },
      {
        onMessage: (data, meta) => helper.onMessage(data, meta),
        onError: (error) => helper.onError(error),
        ackLink: () => (this.#machine.is('connected', 'migrating') ? this.#link : undefined),
      },
    );
    this.#machine = new StateMachine<SessionState>('connecting', (change) => helper.onState(change));
  }

  get state(): SessionState {
    return this.#machine.state;
  }

  get node(): NodeInfo | undefined {
    return this.#node;
  }

  get members(): string[] {
    return [...this.#members];
  }

  get bufferedBytes(): number {
    return this.#outbox.bytes;
  }

  /** Joins for the first time. Resolves when connected; rejects with the reason it cannot. */
  async start(): Promise<void> {
    this.#unwatch = this.connector.platform.watchLifecycle?.({
      wake: () => this.#checkLink('the page became visible'),
      online: () => this.#checkLink('the network came back'),
      offline: () => {},
    });
    try {
      const joined = await this.#join([]);
      this.#adopt(joined);
      this.#machine.transition(['connecting'], 'connected', { code: 'joined', message: `joined on node ${joined.node.id}` });
      this.#listen(joined.link);
    } catch (error) {
      throw this.#giveUp(error, 'connecting');
    }
  }

  /**
   * Sends reliably (numbered, kept until every member confirmed, replayed after migration) or
   * volatile (only if a link is up right now). Returns false when a volatile message was not sent.
   */
  send(data: string | Uint8Array, volatile: boolean): boolean {
    if (this.#machine.is('closed', 'failed')) {
      throw new ClosedError('GRIDLINK_CLOSED', `cannot send: the client is ${this.state}`, { cause: this.#failure });
    }
    const binary = typeof data !== 'string';
    const payload = binary ? bytesToBase64(data) : data;
    const link = this.#machine.is('connected') ? this.#link : undefined;
    if (volatile) {
      if (link === undefined) return false;
      link.send(binary ? { t: 'msg', d: payload, b: 1 } : { t: 'msg', d: payload });
      return true;
    }
    const entry = this.#outbox.push((seq) => encodeFrame(binary ? { t: 'msg', seq, d: payload, b: 1 } : { t: 'msg', seq, d: payload }));
    link?.sendText(entry.text);
    return true;
  }

  /** Leaves the session for good: members stop keeping messages for us. */
  async close(reason: Reason = { code: 'closed', message: 'closed by the application' }): Promise<void> {
    const link = this.#link;
    if (!this.#machine.transition(['connecting', 'connected', 'migrating'], 'closed', reason)) return;
    this.#teardown(new ClosedError('GRIDLINK_CLOSED', 'the client was closed'));
    if (link?.isOpen) {
      this.#receiver.flushAck(link);
      link.send({ t: 'bye' });
    }
    link?.close(CloseCode.normal, 'bye');
  }

  // ---- joining and migrating ----------------------------------------------------------------

  #join(failed: readonly string[], via?: NodeInfo, prefer?: NodeInfo): Promise<Joined> {
    const hello = (failedNow: readonly string[]): HelloFrame => {
      const frame: HelloFrame = {
        t: 'hello',
        v: PROTOCOL_VERSION,
        session: this.settings.session,
        client: this.settings.clientId,
        recv: this.#receiver.watermarks(),
        members: [...this.#members],
      };
      if (this.#resume !== undefined) frame.resume = this.#resume;
      if (failedNow.length > 0) frame.failed = [...failedNow];
      if (via !== undefined) frame.via = via.id;
      frame.sent = this.#outbox.lastSeq;
      return frame;
    };
    const request = { failed, signal: this.#lifetime.signal };
    return join({ ...this.connector, hello }, prefer === undefined ? request : { ...request, prefer });
  }

  /**
   * Makes a freshly joined link the session's link: state from the welcome, then the replay. The
   * caller then announces the new state and only after that calls `#listen`, so the application
   * never hears from a node before it has been told the client is there.
   */
  #adopt({ link, welcome, node }: Joined): void {
    this.#link = link;
    this.#node = node;
    this.#resume = welcome.resume;
    this.connector.nodes.learnId(node.url, node.id);
    const { refused } = this.connector.nodes.setAdvertised(welcome.nodes);
    for (const error of refused) this.helper.onError(error);
    this.#receiver.setBase(welcome.base);
    this.#members.clear();
    for (const member of welcome.members) if (member !== this.settings.clientId) this.#members.add(member);
    // Everything not yet confirmed goes out again; receivers drop what they already have.
    this.#replay(link, welcome.want ?? this.#outbox.floor);
  }

  #listen(link: Link): void {
    link.attach({ onFrame: (frame) => this.#onFrame(link, frame), onDead: (error) => this.#onLinkDead(link, error) });
  }

  /**
   * Re-sends the outbox from `from`. If a member needs messages we no longer hold (it came back
   * after everyone then present had confirmed them), say so first instead of leaving it waiting.
   */
  #replay(link: Link, from: number): void {
    const floor = this.#outbox.floor;
    if (from < floor) link.send({ t: 'gap', upTo: floor - 1 });
    for (const entry of this.#outbox.from(from)) link.sendText(entry.text);
  }

  #migrate(reason: Reason, failedNode: NodeInfo | undefined, prefer?: NodeInfo): void {
    if (this.#migration !== undefined) return;
    const from = this.#node as NodeInfo;
    const old = this.#link;
    if (!this.#machine.transition(['connected'], 'migrating', reason)) return;
    // A dead link is gone now; a draining one stays up (still delivering) until the new one is joined.
    if (failedNode !== undefined) this.#link = undefined;
    const started = this.connector.platform.now();
    this.#migration = this.#join(failedNode === undefined ? [] : [failedNode.id], from, prefer)
      .then((joined) => {
        if (!this.#machine.is('migrating')) {
          joined.link.close(CloseCode.normal, 'client no longer migrating');
          return;
        }
        if (old !== undefined && old !== joined.link) old.close(CloseCode.normal, 'migrated');
        this.#adopt(joined);
        const downtimeMs = this.connector.platform.now() - started;
        this.#machine.transition(['migrating'], 'connected', { code: 'migrated', message: `migrated from ${from.id} to ${joined.node.id}` });
        this.helper.onMigrated({ from, to: joined.node, reason, downtimeMs });
        if (this.#link === joined.link) this.#listen(joined.link);
      })
      .catch((error: unknown) => {
        if (this.#machine.is('migrating')) this.#giveUp(error, 'migrating');
      })
      .finally(() => {
        this.#migration = undefined;
      });
  }

  /**
   * After the platform slept (a hidden tab's timers are throttled) or the network came back, do not
   * wait for the heartbeat timer to notice a dead link: ask the node now. A link that answers is
   * kept; one that does not within a short deadline is treated as dead and the session moves.
   */
  #checkLink(why: string): void {
    const link = this.#link;
    if (link === undefined || !this.#machine.is('connected')) return;
    const { timeoutMs } = this.connector.settings.heartbeat;
    link.ping({ timeoutMs: Math.min(timeoutMs, 2000) }).catch((cause: unknown) => {
      if (link !== this.#link || !link.isOpen) return;
      this.#onLinkDead(link, new LinkError('GRIDLINK_HEARTBEAT_TIMEOUT', `node ${link.node.id} did not answer a check (${why})`, { cause, retriable: true }));
      link.close(CloseCode.heartbeatTimeout, 'no answer to a check');
    });
  }

  #onLinkDead(link: Link, error: GridlinkError): void {
    if (link !== this.#link) return; // an old link (e.g. the drained one) going away is expected
    this.connector.cooldown.fail(nodeKey(link.node));
    this.helper.onError(error);
    if (this.#machine.is('migrating')) {
      // The draining link died before the new one was joined; the migration in flight continues.
      this.#link = undefined;
      return;
    }
    this.#migrate({ code: reasonCode(error), message: error.message }, this.#node);
  }

  // ---- frames from the node -------------------------------------------------------------------

  #onFrame(link: Link, frame: NodeFrame): void {
    switch (frame.t) {
      case 'msg':
        this.#onMsg(link, frame);
        return;
      case 'acked':
        this.#outbox.confirmUpTo(frame.upTo);
        return;
      case 'resend':
        if (link === this.#link && this.#machine.is('connected')) this.#replay(link, frame.from);
        return;
      case 'gap':
        if (frame.from !== undefined) this.#receiver.skipTo(frame.from, frame.upTo);
        return;
      case 'joined':
        // Where the newcomer stands as a sender: we start after it, and say so after a migration.
        if (frame.base !== undefined && frame.client !== this.settings.clientId) this.#receiver.setBase({ [frame.client]: frame.base });
        if (frame.client !== this.settings.clientId && !this.#members.has(frame.client)) {
          this.#members.add(frame.client);
          this.helper.onMember('joined', frame.client);
        }
        return;
      case 'left':
        if (this.#members.delete(frame.client)) this.helper.onMember('left', frame.client);
        return;
      case 'drain':
        // Send the draining node to the back of the line so the next round does not ask it first.
        this.connector.cooldown.fail(nodeKey(link.node));
        if (link === this.#link) this.#migrate({ code: 'drain', message: `node ${link.node.id} is draining` }, undefined, this.#hint(link, frame.to));
        return;
      case 'redirect': {
        // The cloud moved the session's host (e.g. its rendezvous owner came back): move there,
        // make-before-break, like a drain — but only to a node of our own cloud.
        if (link !== this.#link) return;
        const target = this.#hint(link, frame.node);
        if (target !== undefined) this.#migrate({ code: 'redirect', message: `node ${link.node.id} moved the session to ${target.id}` }, undefined, target);
        return;
      }
      default:
        // welcome/error after the handshake: the node broke the protocol; leave it.
        this.#onLinkDead(link, new LinkError('GRIDLINK_PROTOCOL', `node ${link.node.id} sent '${frame.t}' on an open link`, { retriable: true }));
        link.close(CloseCode.protocolError, 'protocol error');
    }
  }

  /** A node's hint of where to go, if it names a node of our cloud (else reported and ignored). */
  #hint(link: Link, node: NodeInfo | undefined): NodeInfo | undefined {
    if (node === undefined) return undefined;
    try {
      return this.connector.nodes.check(node, `node ${link.node.id}'s hint`);
    } catch (error) {
      this.helper.onError(error as GridlinkError);
      return undefined;
    }
  }

  #onMsg(link: Link, frame: MsgFrame): void {
    const error = this.#receiver.receive(frame);
    if (error === undefined) return;
    this.#onLinkDead(link, new LinkError(error.code, `node ${link.node.id}: ${error.message}`, { cause: error.cause, retriable: true }));
    link.close(CloseCode.protocolError, 'protocol error');
  }

  // ---- ending ---------------------------------------------------------------------------------

  #giveUp(error: unknown, from: SessionState): GridlinkError {
    const failure = isGridlinkError(error) ? error : new SessionError('GRIDLINK_NO_NODES', String(error), { cause: error });
    if (this.#lifetime.signal.aborted || !this.#machine.is(from)) {
      return this.#machine.is('closed') ? new ClosedError('GRIDLINK_CLOSED', 'the client was closed before it joined', { cause: failure }) : failure;
    }
    this.#failure = failure;
    this.#machine.transition([from], 'failed', { code: failure.code, message: failure.message });
    this.#teardown(failure);
    this.helper.onError(failure);
    return failure;
  }

  #teardown(reason: GridlinkError): void {
    this.#unwatch?.();
    this.#unwatch = undefined;
    this.#receiver.stop();
    this.#lifetime.abort(reason);
  }
}

function reasonCode(error: GridlinkError): string {
  switch (error.code) {
    case 'GRIDLINK_HEARTBEAT_TIMEOUT':
      return 'heartbeat-timeout';
    case 'GRIDLINK_PROTOCOL':
    case 'GRIDLINK_FRAME_TOO_LARGE':
      return 'protocol-error';
    default:
      return 'link-lost';
  }
}
