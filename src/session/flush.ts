/**
 * `flush()`'s waiters: each waits until the node's `acked` watermark reaches the last reliable seq
 * sent when it was asked. The watermark is the node's minimum over the members present, recomputed
 * when one leaves, so a member going away does not hang a flush. Waiters outlive links: after a
 * migration the new host's `acked` settles them.
 */
import { abortError, onAbort } from '../core/abort.js';
import type { GridlinkError } from '../core/errors.js';

interface Waiter {
  readonly upTo: number;
  readonly resolve: () => void;
  readonly reject: (error: GridlinkError) => void;
}

export class Flushes {
  #waiters: Waiter[] = [];
  #failure: (() => GridlinkError) | undefined;

  /** Resolves once `confirmed(n)` is told an `n >= upTo`; `confirmed` is what is confirmed already. */
  wait(upTo: number, confirmed: number, signal: AbortSignal | undefined): Promise<void> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure());
    if (signal?.aborted === true) return Promise.reject(abortError(signal, 'flush()'));
    if (upTo <= confirmed) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        upTo,
        resolve: () => {
          unsubscribe();
          resolve();
        },
        reject: (error) => {
          unsubscribe();
          reject(error);
        },
      };
      const unsubscribe = onAbort(signal, () => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        reject(abortError(signal as AbortSignal, 'flush()'));
      });
      this.#waiters.push(waiter);
    });
  }

  /** Every member present has delivered up to `upTo`. */
  confirmed(upTo: number): void {
    if (this.#waiters.length === 0) return;
    const done = this.#waiters.filter((w) => w.upTo <= upTo);
    if (done.length === 0) return;
    this.#waiters = this.#waiters.filter((w) => w.upTo > upTo);
    for (const waiter of done) waiter.resolve();
  }

  /** The client closed or failed: every waiter, and every later flush, rejects with `error()`. */
  fail(error: () => GridlinkError): void {
    this.#failure = error;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) waiter.reject(error());
  }
}
