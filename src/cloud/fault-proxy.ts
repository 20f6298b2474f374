/**
 * A TCP fault proxy: forwards every connection to a target and can make the network misbehave on
 * demand — a silent black hole (a pulled cable: nothing flows, nothing closes), latency, resets.
 * The local cloud puts one in front of every node, so clients and peers alike see the faults.
 *
 * Closes are propagated faithfully and at once: a FIN becomes a FIN (after the data before it), a
 * reset, an error or a refused upstream becomes a reset of the other side. A SIGKILLed node is
 * therefore seen by its clients the moment its kernel closes the socket. While black-holed, closes
 * are held back too (a pulled cable carries no FIN or RST) and delivered on `heal()`.
 */
import net, { type Socket } from 'node:net';
import { ConnectError, OptionsError } from '../core/errors.js';
import { fail, group, integer, optionKeys, optionsObject, text } from '../core/validate.js';
import { FaultPipe, type PipeControl } from './fault-pipe.js';

export interface FaultTarget {
  /** Default 127.0.0.1. */
  host?: string;
  port: number;
}

export interface FaultProxyOptions {
  target: FaultTarget;
  /** Port to listen on; default 0 (any free port). */
  port?: number;
  /** Address to listen on; default 127.0.0.1. */
  host?: string;
}

export interface FaultProxy {
  readonly port: number;
  readonly host: string;
  /** Silent failure: every socket (existing and new) stays open, nothing is forwarded, no FIN/RST. */
  blackhole(): void;
  /** Forward again; bytes that arrived while black-holed are gone, held-back closes are delivered. */
  heal(): void;
  /** Delay each chunk each way by `ms` (0 = off), keeping order. */
  setLatency(ms: number): void;
  /** Destroy every current connection, both sides, with a TCP RST. */
  resetAll(): void;
  /** Where new connections go (existing ones keep their upstream), e.g. a node restarted on a new port. */
  setTarget(target: FaultTarget): void;
  /** Client connections currently open. */
  readonly connections: number;
  /** Stops listening and destroys every connection. */
  close(): Promise<void>;
}

/** One client connection and its upstream; the upstream is absent while black-holed at accept time. */
class ProxyConnection {
  private upstream: Socket | undefined;
  private readonly pipes: FaultPipe[] = [];
  // A reset that arrived while black-holed, to deliver to the surviving side on heal.
  private heldReset = false;

  constructor(
    readonly downstream: Socket,
    private readonly control: PipeControl,
    private readonly onGone: (connection: ProxyConnection) => void,
  ) {
    downstream.setNoDelay(true);
    downstream.on('error', () => {}); // reported through 'close'
    downstream.on('close', (hadError) => this.onClose(downstream, hadError));
    // Until an upstream exists, read and drop: black-holed bytes must not sit in a kernel buffer
    // and reappear after heal.
    downstream.on('data', () => {});
  }

  connect(target: FaultTarget): void {
    if (this.upstream !== undefined || this.downstream.destroyed) return;
    const upstream = net.connect({ host: target.host ?? '127.0.0.1', port: target.port, allowHalfOpen: true });
    this.upstream = upstream;
    upstream.setNoDelay(true);
    upstream.on('error', () => {}); // ECONNREFUSED / ECONNRESET: handled as a close with error
    upstream.on('close', (hadError) => this.onClose(upstream, hadError));
    this.pipes.push(new FaultPipe(this.downstream, upstream, this.control));
    this.pipes.push(new FaultPipe(upstream, this.downstream, this.control));
  }

  heal(target: FaultTarget): void {
    if (this.upstream === undefined) this.connect(target);
    if (this.heldReset) this.resetBoth();
    for (const pipe of this.pipes) pipe.pump();
  }

  resetBoth(): void {
    for (const pipe of this.pipes) pipe.dispose();
    if (!this.downstream.destroyed) this.downstream.resetAndDestroy();
    if (this.upstream !== undefined && !this.upstream.destroyed) this.upstream.resetAndDestroy();
  }

  destroyBoth(): void {
    for (const pipe of this.pipes) pipe.dispose();
    this.downstream.destroy();
    this.upstream?.destroy();
  }

  private onClose(side: Socket, hadError: boolean): void {
    // A side that sent its FIN and then closed cleanly needs nothing more: its FIN travels through
    // the pipe in order. Anything else (reset, error, refused, destroyed) resets the other side now.
    const clean = !hadError && side.readableEnded;
    if (!clean) {
      if (this.control.blackholed) this.heldReset = true;
      else this.resetBoth();
    }
    const upstreamGone = this.upstream === undefined || this.upstream.destroyed;
    if (this.downstream.destroyed && upstreamGone) {
      for (const pipe of this.pipes) pipe.dispose();
      this.onGone(this);
    }
  }
}

const PROXY_KEYS = optionKeys<FaultProxyOptions>({ target: true, port: true, host: true });
const TARGET_KEYS = optionKeys<FaultTarget>({ host: true, port: true });

export async function startFaultProxy(input: FaultProxyOptions): Promise<FaultProxy> {
  const options = normalizeFaultProxyOptions(input);
  let target = options.target;
  const host = options.host;
  const control = { blackholed: false, latencyMs: 0 };
  const open = new Set<ProxyConnection>();
  const forget = (connection: ProxyConnection): void => {
    open.delete(connection);
  };

  const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: false }, (socket) => {
    const connection = new ProxyConnection(socket, control, forget);
    open.add(connection);
    if (!control.blackholed) connection.connect(target);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) =>
      reject(new ConnectError('GRIDLINK_CONNECT_FAILED', `fault proxy could not listen on ${host}:${options.port}`, { cause: error })),
    );
    server.listen({ host, port: options.port }, resolve);
  });
  server.on('error', () => {}); // after listening, accept errors (EMFILE) must not crash the process
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  let closing: Promise<void> | undefined;

  return {
    port,
    host,
    get connections() {
      let count = 0;
      for (const connection of open) if (!connection.downstream.destroyed) count++;
      return count;
    },
    blackhole() {
      if (control.blackholed) return;
      control.blackholed = true;
    },
    heal() {
      if (!control.blackholed) return;
      control.blackholed = false;
      for (const connection of [...open]) connection.heal(target);
    },
    setLatency(ms) {
      if (!Number.isFinite(ms) || ms < 0) {
        throw new OptionsError('GRIDLINK_INVALID_ARGUMENT', `latency must be a finite number >= 0, got ${ms}`);
      }
      control.latencyMs = ms;
    },
    resetAll() {
      for (const connection of [...open]) connection.resetBoth();
    },
    setTarget(next) {
      target = checkTarget('target', next);
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const connection of [...open]) connection.destroyBoth();
      });
      return closing;
    },
  };
}

/** Every mistake fails here, before anything listens, naming the option. */
export function normalizeFaultProxyOptions(input: FaultProxyOptions): { target: Required<FaultTarget>; port: number; host: string } {
  const options = optionsObject(input, PROXY_KEYS);
  return {
    target: checkTarget('target', options.target),
    port: integer('port', options.port, 0, 0, 65535),
    host: options.host === undefined ? '127.0.0.1' : text('host', options.host),
  };
}

function checkTarget(name: string, value: unknown): Required<FaultTarget> {
  const target = group(name, value, TARGET_KEYS);
  if (target === undefined) return fail(name, 'must be an object { host?, port }');
  return {
    host: target.host === undefined ? '127.0.0.1' : text(`${name}.host`, target.host),
    // Port 0 is allowed: it means "nothing there yet" and every connection is refused (reset).
    port: integer(`${name}.port`, target.port ?? 'missing', 0, 0, 65535),
  };
}
