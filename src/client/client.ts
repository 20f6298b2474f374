/**
 * The public client: a thin facade over the session that turns its reports into typed events and
 * its lifecycle into promises. It holds no connection logic of its own.
 */
import { abortError, onAbort } from '../core/abort.js';
import { Emitter } from '../core/emitter.js';
import { OptionsError, type GridlinkError } from '../core/errors.js';
import type { StateChange } from '../core/state.js';
import { jsonValue } from '../protocol/json.js';
import { boolean, optionKeys, optionsObject } from '../core/validate.js';
import type { JsonValue, NodeInfo } from '../protocol/frames.js';
import type { ResolvedNode } from '../resolve/resolver.js';
import type { MemberInfo, MessageMeta, MigrationInfo, Session, SessionHelper, SessionState } from '../session/session.js';
import type { Extras, RequestOptions } from '../session/extras.js';
import type { MemberEventName } from '../session/members.js';
import type { SharedChange } from '../session/shared.js';

export type ClientState = SessionState;
export type { JsonValue, MemberInfo, MessageMeta, MigrationInfo };

/** What the `nodes` event tells. */
export interface NodesEvent {
  /** The nodes the next connection round will choose from, in the cloud's order. */
  readonly nodes: readonly ResolvedNode[];
  /**
   * `resolver`: a new answer from the resolver (DNS, your resolver, the static list);
   * `advertised`: the connected node's list changed it; `stale`: the resolver failed and its last
   * good answer is used instead (`error` says why).
   */
  readonly source: 'resolver' | 'advertised' | 'stale';
  readonly error?: GridlinkError;
}

/** The session's reports plus the client's own (the node list); create-client wires both. */
export interface ClientHelper extends SessionHelper {
  onNodes(event: NodesEvent): void;
}

export interface SendOptions {
  /** Best effort: not numbered, not kept, not replayed; dropped (send returns false) while migrating. */
  volatile?: boolean;
  /** One member only (a client id in `members`); the others never see it. */
  to?: string;
}

export type { RequestOptions } from '../session/extras.js';

/** What a request handler is told besides the data. */
export interface RequestInfo {
  readonly from: string;
}

export interface FlushOptions {
  /** Stops waiting: the promise rejects with `GRIDLINK_ABORTED` (what was sent is still delivered). */
  signal?: AbortSignal;
}

const SEND_KEYS = optionKeys<SendOptions>({ volatile: true, to: true });
const FLUSH_KEYS = optionKeys<FlushOptions>({ signal: true });
const SEND_CHECK = { code: 'GRIDLINK_INVALID_ARGUMENT', what: 'send() option' } as const;

/** Every event the client emits. Listeners run synchronously; one that throws does not break the client. */
export interface ClientEvents {
  /** The state changed; `change` says from what and why (`reason.code`: a transition code, or the `ErrorCode` that failed the client). */
  state: (state: ClientState, change: StateChange<ClientState>) => void;
  /** A message from another member: delivered once, in the sender's order (reliable ones). */
  message: (data: string | Uint8Array, meta: MessageMeta) => void;
  /** The session moved to another node and is exchanging messages again. */
  migrated: (info: MigrationInfo) => void;
  /** Another member joined the session, with its meta. */
  joined: (member: MemberInfo) => void;
  /** Another member left (clean `close()`, or gone longer than the node's grace period), with its last meta. */
  left: (member: MemberInfo) => void;
  /** Another member changed its meta (`setMeta`). */
  member: (member: MemberInfo) => void;
  /** Shared key `key` changed (`value` undefined: deleted), in the host's order; `from`: the writer, undefined for a correction after a failover or a snapshot. */
  shared: (key: string, value: JsonValue | undefined, info: { readonly from: string | undefined }) => void;
  /** Something went wrong. Non-fatal unless the state also moves to `failed`. */
  error: (error: GridlinkError) => void;
  /** The known nodes changed (resolver answer, advertised list), or a stale answer is in use because the resolver failed. */
  nodes: (event: NodesEvent) => void;
}

export class Client extends Emitter<ClientEvents> {
  /** Resolves once the session is joined; rejects with a typed error if it cannot be. */
  readonly ready: Promise<void>;
  readonly session: string;
  readonly clientId: string;
  readonly #session: Session;

  constructor(session: string, clientId: string, build: (helper: ClientHelper) => Session, signal?: AbortSignal) {
    super();
    this.session = session;
    this.clientId = clientId;
    this.#session = build(new Reports(this));
    if (signal !== undefined) {
      // The state change says `aborted`, so an abort is told apart from an ordinary close.
      const unsubscribe = onAbort(signal, () => void this.#session.close({ code: 'aborted', message: abortError(signal, 'the client').message }));
      this.on('state', (state) => {
        if (state === 'closed' || state === 'failed') unsubscribe();
      });
    }
    this.ready = this.#session.start();
    // `ready` keeps its rejection for whoever awaits it; this only stops an unobserved rejection
    // from crashing a process whose author listens to 'state'/'error' instead.
    this.ready.catch(() => {});
  }

  get state(): ClientState {
    return this.#session.state;
  }

  /** The node hosting the session now (undefined before the first join). */
  get node(): NodeInfo | undefined {
    return this.#session.node;
  }

  /** The other members of the session by client id, each with its current meta (kept current across migrations). */
  get members(): ReadonlyMap<string, MemberInfo> {
    return this.#session.members;
  }

  /** This member's own meta, as the others see it (null unless given). */
  get meta(): JsonValue {
    return this.#session.meta;
  }

  /**
   * Changes this member's meta; every other member gets a `member` event. Throws
   * `GRIDLINK_INVALID_ARGUMENT` for a value that is not plain JSON, `GRIDLINK_META_TOO_LARGE` past
   * the node's `maxMetaBytes` (told in its welcome), `GRIDLINK_CLOSED` after close or failure.
   */
  setMeta(meta: JsonValue): void {
    this.#session.setMeta(jsonValue('setMeta()', meta, 'GRIDLINK_INVALID_ARGUMENT'));
  }

  /**
   * Resolves when every reliable message sent so far is confirmed by every member present (a member
   * leaving meanwhile does not hold it up; one that dropped holds it up to the node's grace period).
   * Rejects with `GRIDLINK_ABORTED` when `signal` aborts, `GRIDLINK_CLOSED` if the client closes or fails.
   */
  flush(options: FlushOptions = {}): Promise<void> {
    const given = optionsObject(options, FLUSH_KEYS, { code: 'GRIDLINK_INVALID_ARGUMENT', what: 'flush() option' });
    if (given.signal !== undefined && !(given.signal instanceof AbortSignal)) {
      throw new OptionsError('GRIDLINK_INVALID_ARGUMENT', 'flush() option signal must be an AbortSignal');
    }
    return this.#session.flush(given.signal);
  }

  /** Bytes of reliable messages not yet confirmed by every member (including sends buffered while migrating). */
  get bufferedBytes(): number {
    return this.#session.bufferedBytes;
  }

  /**
   * Sends to every other member. Reliable by default: delivered exactly once and in order across
   * migrations. Throws `GRIDLINK_BUFFER_FULL` when `maxBufferedBytes` is reached and
   * `GRIDLINK_CLOSED` after close or failure. Returns false only for a volatile message that could
   * not be sent because no link is up.
   */
  send(data: string | Uint8Array, options: SendOptions = {}): boolean {
    if (typeof data !== 'string' && !(data instanceof Uint8Array)) {
      throw new OptionsError('GRIDLINK_INVALID_ARGUMENT', 'send() takes a string or a Uint8Array');
    }
    const given = optionsObject(options, SEND_KEYS, SEND_CHECK);
    const volatile = boolean('volatile', given.volatile, false, SEND_CHECK.code);
    return given.to === undefined ? this.#session.send(data, volatile) : this.#x().sendTo(data, volatile, { to: given.to as string });
  }

  /**
   * Asks member `to` and resolves with its handler's reply (exactly one run of it, whatever
   * migrations happen). Rejects with GRIDLINK_REQUEST_TIMEOUT, GRIDLINK_NO_HANDLER,
   * GRIDLINK_REQUEST_FAILED (the handler threw; `remoteCode`), GRIDLINK_MEMBER_LEFT,
   * GRIDLINK_ABORTED or GRIDLINK_CLOSED; throws GRIDLINK_NO_SUCH_MEMBER for an unknown `to`.
   */
  request(data: string | Uint8Array, options: RequestOptions): Promise<string | Uint8Array> {
    return this.#x().request(data, options);
  }

  /** The one request handler (a later call replaces it; undefined removes it). What it returns (string, Uint8Array, or nothing) is the reply. */
  onRequest(handler: ((data: string | Uint8Array, info: RequestInfo) => unknown) | undefined): void {
    this.#x().handle(handler);
  }

  /** The session's shared map, the same on every member once quiet (updated in the host's order). */
  get shared(): ReadonlyMap<string, JsonValue> {
    return this.#x().shared.map;
  }

  /**
   * Writes shared key `key` (undefined deletes it); it shows in `shared` and the `shared` event
   * once the host ordered it. Throws GRIDLINK_INVALID_ARGUMENT (not JSON, bad key),
   * GRIDLINK_SHARED_TOO_LARGE (past the node's bounds), GRIDLINK_UNSUPPORTED, GRIDLINK_CLOSED.
   */
  setShared(key: string, value: JsonValue | undefined): void {
    this.#x().setShared(key, value);
  }

  /** `to`, requests and shared state come with the `extras` piece (in Node, always). */
  #x(): Extras {
    const extras = this.#session.extras;
    if (extras === undefined) throw new OptionsError('GRIDLINK_INVALID_OPTION', "to, request, onRequest and shared need extras: import { extras } from 'gridlink' and pass use: [extras]");
    return extras;
  }

  /** Leaves the session (members are told at once) and closes the link. */
  close(): Promise<void> {
    return this.#session.close();
  }

}

function emitFrom<E extends keyof ClientEvents>(client: Client, event: E, ...args: Parameters<ClientEvents[E]>): void {
  try {
    client.emit(event, ...args);
  } catch (error) {
    // A throwing listener is the application's bug: surface it like Node would, but outside our
    // frame handling, so the connection state stays consistent.
    queueMicrotask(() => {
      throw error;
    });
  }
}

/** The session's reports as the client's events: one object with methods per client, not a closure per report. */
class Reports implements ClientHelper {
  // `declare`d: assigned below, without a second definition in the bundle (see session/connector.ts).
  declare readonly client: Client;

  constructor(client: Client) {
    this.client = client;
  }

  onState(change: StateChange<ClientState>): void {
    emitFrom(this.client, 'state', change.to, change);
  }

  onMessage(data: string | Uint8Array, meta: MessageMeta): void {
    emitFrom(this.client, 'message', data, meta);
  }

  onMigrated(info: MigrationInfo): void {
    emitFrom(this.client, 'migrated', info);
  }

  onMember(kind: MemberEventName, member: MemberInfo): void {
    emitFrom(this.client, kind, member);
  }

  onShared(change: SharedChange): void {
    emitFrom(this.client, 'shared', change.key, change.value, { from: change.from });
  }

  onError(error: GridlinkError): void {
    emitFrom(this.client, 'error', error);
  }

  onNodes(event: NodesEvent): void {
    emitFrom(this.client, 'nodes', event);
  }
}

