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

/** Monotonic milliseconds: wall-clock jumps must not look like silence or like life. */
export function monotonicNow(): number {
  return performance.now();
}
