/**
 * Timers that never keep a Node process alive on their own: a client that is idle, or waiting to
 * retry, must not stop a script from exiting once the user is done with it. Browsers have no unref.
 */

export type TimerHandle = ReturnType<typeof setTimeout>;

export function setUnrefTimeout(fn: () => void, ms: number): TimerHandle {
  const handle = setTimeout(fn, ms);
  (handle as { unref?: () => void }).unref?.();
  return handle;
}

export function setUnrefInterval(fn: () => void, ms: number): ReturnType<typeof setInterval> {
  const handle = setInterval(fn, ms);
  (handle as { unref?: () => void }).unref?.();
  return handle;
}

/** A patient timeout (below); `cancel()` stops it at whichever step it is. */
export interface PatientTimer {
  cancel(): void;
}

/**
 * An unref'd timeout of `ms` during which the process could have noticed an answer. A process busy
 * for longer than the timeout (a crowd of clients migrating at once) runs its expired timers before
 * the I/O that arrived meanwhile. So a timeout that fires later than one more `ms` waits `ms` more,
 * as often as that happens, and one that fires in time still lets the I/O already waiting be read
 * first (Node: `setImmediate` runs after the poll phase) before it gives up on what may have come.
 */
export function patientTimeout(fn: () => void, ms: number, now: () => number): PatientTimer {
  let handle: TimerHandle | undefined;
  const decide = (): void => {
    if (handle !== undefined) fn();
  };
  const arm = (): void => {
    const due = now() + ms;
    handle = setUnrefTimeout(() => {
      if (now() - due > ms) arm();
      // After the events already waiting (a browser has no setImmediate: a task queued behind them).
      else (typeof setImmediate === 'function' ? setImmediate : setTimeout)(decide);
    }, ms);
  };
  arm();
  return {
    cancel: () => {
      clearTimeout(handle);
      handle = undefined;
    },
  };
}

/** Monotonic milliseconds: wall-clock jumps must not look like silence or like life. */
export function monotonicNow(): number {
  return performance.now();
}
