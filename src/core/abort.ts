/** AbortSignal helpers: everything that waits takes a signal and removes its listener on both paths. */
import { ClosedError } from './errors.js';

export function abortError(signal: AbortSignal, what: string): ClosedError {
  const reason: unknown = signal.reason;
  if (reason instanceof ClosedError) return reason;
  return new ClosedError('GRIDLINK_ABORTED', `${what} was aborted`, { cause: reason });
}

/** Calls `onAbort` once when `signal` aborts; returns the function that unsubscribes. */
export function onAbort(signal: AbortSignal | undefined, onAbort: () => void): () => void {
  if (signal === undefined) return () => {};
  if (signal.aborted) {
    onAbort();
    return () => {};
  }
  signal.addEventListener('abort', onAbort, { once: true });
  return () => signal.removeEventListener('abort', onAbort);
}

/** A child controller that aborts when `parent` does; `dispose()` detaches it from the parent. */
export function linkedController(parent: AbortSignal | undefined): { controller: AbortController; dispose: () => void } {
  const controller = new AbortController();
  const dispose = onAbort(parent, () => controller.abort(parent?.reason));
  return { controller, dispose };
}

/** `promise`'s outcome, unless `signal` aborts first: then `abortError(signal, what)`. */
export function unlessAborted<T>(promise: Promise<T>, signal: AbortSignal, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const unsubscribe = onAbort(signal, () => reject(abortError(signal, what)));
    promise.then(
      (value) => (unsubscribe(), resolve(value)),
      (error: unknown) => (unsubscribe(), reject(error as Error)),
    );
  });
}
