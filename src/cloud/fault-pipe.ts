/**
 * One direction of a fault-proxy connection: bytes from `src` to `dst`, held back by the proxy's
 * latency and for as long as the proxy is black-holed, with backpressure so that a slow or silent
 * side cannot make the proxy buffer without bound.
 *
 * A black hole holds bytes rather than discarding them: TCP retransmits what a partition swallowed,
 * so a partition that heals before anyone gives up delivers late, never with a hole in the stream.
 * The sender sees what a real one sees — no error, no close, and soon a full send window.
 *
 * The pipe owns no sockets' lifetimes: the connection it belongs to (fault-proxy.ts) decides when
 * sockets close. The pipe only forwards a FIN (`end`) in order, after the data that preceded it.
 */
import type { Socket } from 'node:net';

/** What the pipe reads from its proxy on every chunk, so a change applies at once. */
export interface PipeControl {
  readonly blackholed: boolean;
  readonly latencyMs: number;
}

/** flowing; waiting for `dst` to drain (TCP pushes back); disposed, for good. */
type PipeState = 'flowing' | 'waitingDrain' | 'disposed';

type Item = { kind: 'data'; chunk: Buffer; due: number } | { kind: 'end'; due: number };

// Past this many bytes queued towards `dst` (ours plus its socket buffer) we stop reading `src`,
// so TCP flow control pushes back on the sender instead of our memory growing.
const HIGH_WATER = 1024 * 1024;
const LOW_WATER = 256 * 1024;

export class FaultPipe {
  private queue: Item[] = [];
  private queuedBytes = 0;
  // Items are released in arrival order even when the latency changes: each is due no earlier than
  // the one before it.
  private lastDue = 0;
  private timer: NodeJS.Timeout | undefined;
  private state: PipeState = 'flowing';

  constructor(
    private readonly src: Socket,
    private readonly dst: Socket,
    private readonly control: PipeControl,
  ) {
    src.on('data', (chunk: Buffer) => this.onData(chunk));
    src.on('end', () => this.enqueue({ kind: 'end', due: this.dueTime() }));
    dst.on('drain', () => {
      if (this.move(['waitingDrain'], 'flowing')) this.pump();
    });
  }

  /** Forwards whatever is due; called again by the timer, by `drain` and when the proxy heals. */
  pump(): void {
    if (this.state !== 'flowing' || this.control.blackholed) return;
    this.clearTimer();
    const now = Date.now();
    while (this.queue.length > 0) {
      const head = this.queue[0] as Item;
      if (head.due > now) {
        this.timer = setTimeout(() => this.pump(), head.due - now);
        this.timer.unref();
        break;
      }
      this.queue.shift();
      if (this.dst.destroyed) continue;
      if (head.kind === 'end') {
        this.dst.end();
        continue;
      }
      this.queuedBytes -= head.chunk.length;
      if (!this.dst.write(head.chunk)) {
        this.move(['flowing'], 'waitingDrain');
        break;
      }
    }
    if (this.src.isPaused() && this.pending() < LOW_WATER) this.src.resume();
  }

  dispose(): void {
    if (!this.move(['flowing', 'waitingDrain'], 'disposed')) return;
    this.clearTimer();
    this.queue = [];
    this.queuedBytes = 0;
  }

  /** The one guarded change of state. */
  private move(allowedFrom: ReadonlyArray<PipeState>, to: PipeState): boolean {
    if (!allowedFrom.includes(this.state)) return false;
    this.state = to;
    return true;
  }

  private onData(chunk: Buffer): void {
    if (this.state === 'disposed') return;
    this.queuedBytes += chunk.length;
    this.enqueue({ kind: 'data', chunk, due: this.dueTime() });
    if (this.pending() > HIGH_WATER) this.src.pause();
  }

  private enqueue(item: Item): void {
    if (this.state === 'disposed') return;
    this.queue.push(item);
    this.lastDue = item.due;
    // Only the head may start the timer; later items wait behind it.
    if (this.queue.length === 1) this.pump();
  }

  private dueTime(): number {
    return Math.max(Date.now() + this.control.latencyMs, this.lastDue);
  }

  private pending(): number {
    return this.queuedBytes + this.dst.writableLength;
  }

  private clearTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
