/**
 * The node's connection limits: how many connections one client address may hold open, and how
 * many may sit "pending" — accepted but not yet a client or peer link (no hello) — per address and
 * node-wide, each for at most `helloTimeoutMs`. Pending connections are what an idle-socket or
 * slow-loris attack is made of, and what an honest client leaves within a round trip; so when a
 * pending cap is full, a new connection displaces the OLDEST pending one (from its own address,
 * else node-wide) instead of being refused: an attacker who keeps the pool full evicts its own
 * idle sockets, and an honest client behind the same NAT needs only to say hello before
 * `cap / attacker's connection rate` seconds pass. Only the per-address open cap refuses outright
 * (links there are established: nothing to displace). No sockets here: the owner is told to end a
 * connection through the action it gave, and reports what the socket did.
 */
import { setUnrefTimeout, type TimerHandle } from '../../core/timers.js';

export interface ConnectionLimits {
  /** Open connections per client address, links included. */
  readonly perAddress: number;
  /** Pending connections node-wide. */
  readonly pending: number;
  /** Pending connections per client address. */
  readonly pendingPerAddress: number;
  /** How long a connection may stay pending (from accept, or from an upgrade request on a kept-alive socket). */
  readonly helloTimeoutMs: number;
}

/** Why the limiter ends a connection: its deadline passed, or a newer pending connection displaced it. */
export type EndReason = 'deadline' | 'evicted';

/** How the owner ends a connection the limiter gives up on (destroy the socket, close the WebSocket). */
export type EndAction = (reason: EndReason) => void;

export type Admission = { kind: 'admitted'; connection: TrackedConnection } | { kind: 'refused'; reason: 'address' };

/**
 * - pending: accepted, no hello yet; its deadline timer runs and it counts against the pending caps.
 * - served: answered a plain HTTP request (kept alive): Node's own keep-alive and header timeouts
 *   govern it from here; an upgrade request on it makes it pending again.
 * - established: its first frame made it a client or peer link (liveness is the link's business).
 * - closed: the socket is gone, the limiter ended it, or its upgrade was refused (counted nowhere).
 */
type ConnectionState =
  | { kind: 'pending'; timer: TimerHandle }
  | { kind: 'served' }
  | { kind: 'established' }
  | { kind: 'closed'; reason: EndReason | 'socket' | 'refused' };

interface AddressCount {
  open: number;
  /** In arrival order: the first is the oldest. */
  readonly pending: Set<TrackedConnection>;
}

export class ConnectionLimit {
  readonly #limits: ConnectionLimits;
  readonly #addresses = new Map<string, AddressCount>();
  /** Every pending connection, in arrival order. */
  readonly #pending = new Set<TrackedConnection>();
  /** What every connection calls back into: one for all of them, not one per connection. */
  readonly #host: LimitHost;

  constructor(limits: ConnectionLimits) {
    this.#limits = limits;
    this.#host = {
      enter: (c) => this.#enter(c),
      leave: (c, pending) => this.#leave(c, pending),
      makeRoom: (c) => this.#makeRoom(c),
      roomFor: (a) => this.#roomFor(a),
      helloTimeoutMs: limits.helloTimeoutMs,
    };
  }

  /**
   * A connection accepted from `address` (undefined: a trusted proxy's socket, whose client is not
   * known until an upgrade names it; it counts only node-wide). It starts pending.
   */
  open(address: string | undefined, end: EndAction): Admission {
    if (address !== undefined && !this.#roomFor(address)) return { kind: 'refused', reason: 'address' };
    return { kind: 'admitted', connection: new TrackedConnection(address, end, this.#host) };
  }

  /** Connections pending node-wide. */
  get pending(): number {
    return this.#pending.size;
  }

  /** Open and pending connections counted for `address`. */
  countOf(address: string): { open: number; pending: number } {
    const count = this.#addresses.get(address);
    return { open: count?.open ?? 0, pending: count?.pending.size ?? 0 };
  }

  /** Whether `address` may open one more: under its cap, or holding a pending one to displace. */
  #roomFor(address: string): boolean {
    const count = this.#addresses.get(address);
    return count === undefined || count.open < this.#limits.perAddress || count.pending.size > 0;
  }

  /** Displaces the oldest pending connections until `joining` fits every cap. */
  #makeRoom(joining: TrackedConnection): void {
    const address = joining.address;
    const count = address === undefined ? undefined : this.#addresses.get(address);
    if (count !== undefined) {
      while (count.pending.size > 0 && (count.pending.size >= this.#limits.pendingPerAddress || count.open >= this.#limits.perAddress)) {
        (count.pending.values().next().value as TrackedConnection).end('evicted');
      }
    }
    while (this.#pending.size >= this.#limits.pending) {
      (this.#pending.values().next().value as TrackedConnection).end('evicted');
    }
  }

  #enter(connection: TrackedConnection): void {
    const pending = connection.phase === 'pending';
    if (pending) this.#pending.add(connection);
    const address = connection.address;
    if (address === undefined) return;
    let count = this.#addresses.get(address);
    if (count === undefined) this.#addresses.set(address, (count = { open: 0, pending: new Set() }));
    count.open++;
    if (pending) count.pending.add(connection);
  }

  #leave(connection: TrackedConnection, wasPending: boolean): void {
    if (wasPending) this.#pending.delete(connection);
    const address = connection.address;
    if (address === undefined) return;
    const count = this.#addresses.get(address);
    if (count === undefined) return;
    count.open--;
    count.pending.delete(connection);
    if (count.open <= 0) this.#addresses.delete(address);
  }
}

/** What a connection needs of its limiter (the counts live there, the state here). */
interface LimitHost {
  enter(connection: TrackedConnection): void;
  leave(connection: TrackedConnection, wasPending: boolean): void;
  makeRoom(connection: TrackedConnection): void;
  roomFor(address: string): boolean;
  readonly helloTimeoutMs: number;
}

/** One accepted connection as the limiter counts it. */
const NOTHING_TO_END: EndAction = () => {};

export class TrackedConnection {
  #state: ConnectionState;
  #address: string | undefined;
  #end: EndAction;
  readonly #host: LimitHost;

  constructor(address: string | undefined, end: EndAction, host: LimitHost) {
    this.#address = address;
    this.#end = end;
    this.#host = host;
    this.#state = { kind: 'closed', reason: 'socket' };
    host.makeRoom(this);
    this.#state = this.#pendingState();
    host.enter(this);
  }

  get phase(): ConnectionState['kind'] {
    return this.#state.kind;
  }

  /** The client address it counts against (undefined: a trusted proxy's socket not yet attributed). */
  get address(): string | undefined {
    return this.#address;
  }

  /** Replaces how the limiter ends it (an upgraded socket is closed as a WebSocket, not destroyed). */
  onEnd(end: EndAction): void {
    this.#end = end;
  }

  /** It answered a plain HTTP request: no longer pending. */
  served(): void {
    this.#move(['pending'], { kind: 'served' });
  }

  /**
   * An upgrade request arrived, from `address` as the node believes it (a trusted proxy's socket is
   * attributed to the forwarded client here). False when that address has no room: refuse it.
   */
  upgrading(address: string): boolean {
    if (this.#state.kind === 'closed' || this.#state.kind === 'established') return false;
    if (this.#address !== undefined && this.#state.kind === 'pending') return true;
    if (this.#address === undefined && !this.#host.roomFor(address)) {
      // The caller answers the refusal (503) on the socket itself.
      this.#move(['pending', 'served'], { kind: 'closed', reason: 'refused' });
      return false;
    }
    // Counted again under its client's address, and pending again if it had been served.
    const wasPending = this.#state.kind === 'pending';
    this.#host.leave(this, wasPending);
    if (this.#state.kind === 'pending') clearTimeout(this.#state.timer);
    this.#address ??= address;
    this.#state = { kind: 'served' };
    this.#host.makeRoom(this);
    this.#state = this.#pendingState();
    this.#host.enter(this);
    return true;
  }

  /**
   * Its first frame made it a link. The limiter ends pending connections only, so the end action
   * is dropped here: it holds the handshake's closures, for as long as the link lives otherwise.
   */
  established(): void {
    if (this.#move(['pending'], { kind: 'established' })) this.#end = NOTHING_TO_END;
  }

  /** The socket closed. */
  closed(): void {
    this.#move(['pending', 'served', 'established'], { kind: 'closed', reason: 'socket' });
  }

  /** Ends it now (deadline or displacement): uncounted at once, then the owner's action runs. */
  end(reason: EndReason): void {
    if (this.#move(['pending', 'served', 'established'], { kind: 'closed', reason })) this.#end(reason);
  }

  #pendingState(): ConnectionState {
    return { kind: 'pending', timer: setUnrefTimeout(() => this.end('deadline'), this.#host.helloTimeoutMs) };
  }

  /** The one way its state changes, refused unless the current state is in `allowedFrom`; the counts follow. */
  #move(allowedFrom: readonly ConnectionState['kind'][], next: ConnectionState): boolean {
    const from = this.#state;
    if (!allowedFrom.includes(from.kind)) return false;
    if (from.kind === 'pending') clearTimeout(from.timer);
    this.#host.leave(this, from.kind === 'pending');
    this.#state = next;
    if (next.kind !== 'closed') this.#host.enter(this);
    return true;
  }
}
