/**
 * The receiving side of a session: decode what members sent, hand it to the application exactly
 * once and in each sender's order (via the inbox), report holes, and confirm delivery to the node
 * with batched `ack`s. The session owns links and migration; this owns what arrives on them.
 */
import { base64ToBytes } from '../core/base64.js';
import { LinkError, SessionError, type GridlinkError } from '../core/errors.js';
import { monotonicNow, setUnrefTimeout, type TimerHandle } from '../core/timers.js';
import type { Link } from '../link/link.js';
import type { MsgFrame, Watermarks } from '../protocol/frames.js';
import { Inbox, type Received } from './inbox.js';

export interface MessageMeta {
  /** Client id of the sender. */
  readonly from: string;
  /** The sender's sequence number; undefined for volatile messages and for what the backend published. */
  readonly seq: number | undefined;
  readonly volatile: boolean;
  /** A message from `@server` (the backend published it): its publish id, the same on every member. */
  readonly id?: string;
}

export interface ReceiverHost {
  /** `frame`: the message as it came (a request or a reply is the `extras` piece's, not the application's). */
  onMessage(data: string | Uint8Array, meta: MessageMeta, frame: MsgFrame): void;
  onError(error: GridlinkError): void;
  /** The link confirmations go out on now; undefined while there is none. */
  currentLink(): Link | undefined;
}

export interface ReceiverSettings {
  /** Our own client id: our messages echoed back are never delivered. */
  readonly self: string;
  readonly maxHeldMessages: number;
  readonly ackDelayMs: number;
}

export class Receiver {
  readonly #inbox: Inbox;
  #ackTimer: TimerHandle | undefined;
  /** When the last `ack` went out (the clock's origin before the first: a young page acks by timer). */
  #ackedAt = 0;

  readonly #settings: ReceiverSettings;
  readonly #host: ReceiverHost;

  constructor(
    settings: ReceiverSettings,
    host: ReceiverHost,
  ) {
    this.#settings = settings;
    this.#host = host;
    this.#inbox = new Inbox(settings.maxHeldMessages);
  }

  /** What we have delivered, per sender (sent in every hello). */
  watermarks(): Watermarks {
    return this.#inbox.watermarks();
  }

  setBase(base: Watermarks): void {
    this.#inbox.setBase(base);
  }

  /** Delivers a relayed message (and whatever it unblocks). Returns an error if the frame is unusable. */
  receive(frame: MsgFrame): GridlinkError | undefined {
    if (frame.from === this.#settings.self) return undefined;
    let data: string | Uint8Array = frame.d;
    if (frame.b === 1) {
      try {
        data = base64ToBytes(frame.d);
      } catch (cause) {
        return new LinkError('GRIDLINK_PROTOCOL', 'a relayed binary message is not base64', { cause, retriable: true });
      }
    }
    if (frame.seq === undefined) {
      this.#host.onMessage(data, { from: frame.from as string, seq: undefined, volatile: true }, frame);
      return undefined;
    }
    this.#deliver(this.#inbox.receive(frame), frame, data);
    return undefined;
  }

  /** The sender no longer holds its messages up to `upTo` (a `gap` notice). */
  skipTo(from: string, upTo: number): void {
    this.#deliver(this.#inbox.skipTo(from, upTo));
  }

  /** Sends the watermarks that changed, now (before a bye, say). */
  flushAck(link: Link): void {
    const recv = this.#inbox.takeChanged();
    if (recv === undefined) return;
    this.#ackedAt = monotonicNow();
    link.send({ t: 'ack', recv });
  }

  /**
   * Sends `text` on `link`, and the pending `ack` with it if one is owed and the last went out at
   * least `ackDelayMs` ago: sends of one turn leave in one write (platform/node/websocket.ts), so
   * an ack that rides along costs no write of its own, where its timer would (a write per
   * receiver per `ackDelayMs`, the larger part of a busy client's system calls). Acks stay at most
   * one per `ackDelayMs` and none waits longer than it did.
   */
  send(link: Link, text: string): void {
    if (monotonicNow() - this.#ackedAt >= this.#settings.ackDelayMs) this.#ack(link);
    link.sendText(text);
  }

  stop(): void {
    clearTimeout(this.#ackTimer);
    this.#ackTimer = undefined;
  }

  /** Hands messages to the application in order; `first` is already decoded. */
  #deliver({ deliver, gap }: Received, first?: MsgFrame, firstData?: string | Uint8Array): void {
    if (gap !== undefined) {
      this.#host.onError(
        new SessionError('GRIDLINK_MESSAGE_GAP', `messages ${gap.expected}..${gap.resumedAt - 1} from ${gap.from} never arrived; delivery resumed at ${gap.resumedAt}`),
      );
    }
    for (const m of deliver) {
      // Another member's: only its place in the sender's order is ours (docs/protocol.md "Targeted messages").
      if (m.to && m.to !== this.#settings.self) continue;
      const payload = m === first && firstData !== undefined ? firstData : m.b === 1 ? base64ToBytes(m.d) : m.d;
      this.#host.onMessage(payload, { from: m.from as string, seq: m.seq, volatile: false }, m);
    }
    if (deliver.length > 0 || gap !== undefined) this.#scheduleAck();
  }

  /** One `ack` per `ackDelayMs` at most while messages flow; a migration's hello carries the rest. */
  #scheduleAck(): void {
    this.#ackTimer ??= setUnrefTimeout(() => this.#ack(this.#host.currentLink()), this.#settings.ackDelayMs);
  }

  /** The owed ack goes out now (if there is a link to carry it), and its timer no longer runs. */
  #ack(link: Link | undefined): void {
    this.stop();
    if (link !== undefined) this.flushAck(link);
  }
}
