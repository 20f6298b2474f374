/**
 * A sender's reliable messages that not every member has confirmed yet. Messages are numbered here
 * (from 1, no gaps) and kept encoded, so a replay after migration is a plain re-send. The outbox is
 * also the buffer for sends made while migrating; one bound (`maxBytes`) covers both, and a send
 * past it is refused with a typed error instead of being dropped.
 */
import { bytesToBase64 } from '../core/base64.js';
import { ClosedError, SessionError, type GridlinkError } from '../core/errors.js';
import type { MsgFrame } from '../protocol/frames.js';

/** The `msg` frame of `data` with `extra` fields (`to`, a request's, a shared write's), for a seq or none (volatile). */
export function msgFrame(data: string | Uint8Array, extra: Partial<MsgFrame>): (seq?: number) => MsgFrame {
  const binary = typeof data !== 'string';
  const d = binary ? bytesToBase64(data) : data;
  return (seq) => ({ t: 'msg', ...(seq === undefined ? {} : { seq }), ...extra, d, ...(binary ? { b: 1 } : {}) });
}

/** What pending work (flushes, requests) fails with when the client ends for `why`: GRIDLINK_CLOSED. */
export function closedBy(why: GridlinkError): GridlinkError {
  return why.code === 'GRIDLINK_CLOSED' ? why : new ClosedError('GRIDLINK_CLOSED', `the client failed: ${why.message}`, { cause: why });
}

export interface OutboxEntry {
  readonly seq: number;
  /** The encoded `msg` frame. */
  readonly text: string;
  /** The one member it is for (`send(..., { to })`, requests, replies). */
  readonly to?: string;
  /** Reported as never delivered (extras.ts): once only. */
  failed?: boolean;
}

export class Outbox {
  #entries: OutboxEntry[] = [];
  #head = 0;
  #bytes = 0;
  #lastSeq = 0;

  readonly #maxBytes: number;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  /** Highest seq assigned so far (0 before the first message). */
  get lastSeq(): number {
    return this.#lastSeq;
  }

  /** Size of what is kept, counted as the length of the encoded frames. */
  get bytes(): number {
    return this.#bytes;
  }

  /** The lowest seq still held (lastSeq + 1 when nothing is). */
  get floor(): number {
    return this.#entries[this.#head]?.seq ?? this.#lastSeq + 1;
  }

  get size(): number {
    return this.#entries.length - this.#head;
  }

  /** Numbers and keeps a message; `encode` builds its frame text from the seq it is given. */
  push(encode: (seq: number) => string, to?: string): OutboxEntry {
    const seq = this.#lastSeq + 1;
    const text = encode(seq);
    if (text.length > this.#maxBytes) {
      throw new SessionError('GRIDLINK_BUFFER_FULL', `message of ${text.length} bytes can never fit maxBufferedBytes=${this.#maxBytes}`, { retriable: false });
    }
    if (this.#bytes + text.length > this.#maxBytes) {
      throw new SessionError(
        'GRIDLINK_BUFFER_FULL',
        `send buffer full: ${this.#bytes} bytes unconfirmed, limit maxBufferedBytes=${this.#maxBytes}`,
        { retriable: true },
      );
    }
    const entry: OutboxEntry = to === undefined ? { seq, text } : { seq, text, to };
    this.#lastSeq = seq;
    this.#entries.push(entry);
    this.#bytes += text.length;
    return entry;
  }

  /** Every member has delivered up to `seq`: forget those. */
  confirmUpTo(seq: number): void {
    while (this.#head < this.#entries.length) {
      const entry = this.#entries[this.#head];
      if (entry === undefined || entry.seq > seq) break;
      this.#bytes -= entry.text.length;
      this.#head++;
    }
    // Compact now and then instead of shifting on every confirmation.
    if (this.#head > 1024 && this.#head * 2 > this.#entries.length) {
      this.#entries = this.#entries.slice(this.#head);
      this.#head = 0;
    }
  }

  /** Entries with seq >= `from`, in order. */
  *from(from: number): Iterable<OutboxEntry> {
    for (let i = this.#head; i < this.#entries.length; i++) {
      const entry = this.#entries[i];
      if (entry !== undefined && entry.seq >= from) yield entry;
    }
  }
}
