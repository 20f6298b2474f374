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

/**
 * An unref'd timeout of `ms` during which the process could have noticed an answer. A process busy
 * for longer than the timeout (a crowd of clients migrating at once) runs its expired timers before
 * the I/O that arrived meanwhile; a timeout that fires later than one more `ms` therefore waits
 * `ms` more, as often as that happens, instead of giving up on what may already be waiting.
 * `rearmed` hands over each new handle (clear the latest to cancel); the first is returned.
 */
export function setPatientTimeout(fn: () => void, ms: number, now: () => number, rearmed: (handle: TimerHandle) => void): TimerHandle {
  const due = now() + ms;
  return setUnrefTimeout(() => {
    if (now() - due > ms) rearmed(setPatientTimeout(fn, ms, now, rearmed));
    else fn();
  }, ms);
}

/** Monotonic milliseconds: wall-clock jumps must not look like silence or like life. */
export function monotonicNow(): number {
  return performance.now();
}
