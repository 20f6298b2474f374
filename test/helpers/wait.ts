/**
 * Bounded waiting for tests: the one polling helper every test ring uses. Every bound here is a hang
 * guard, never a timing assertion.
 */

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface WaitOptions {
  /** Hang guard: give up after this long. */
  guardMs?: number;
  /** Pause between checks; a check that costs a round trip (a child's status, a DNS query) wants a longer one. */
  everyMs?: number;
  /** What the world looked like when the guard gave up (the last answer, recent output), for the failure message. */
  detail?: () => string;
}

const DEFAULT_GUARD_MS = 20_000;

/**
 * Polls `check` until it holds. `what` names the awaited condition ("bob to get all 50"): on timeout
 * the error says `hang guard: gave up waiting for <what> after <ms> ms`, plus `detail()` if given.
 * A number as the third argument is the guard in ms. An error thrown by `check` fails the wait at once.
 */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, options: number | WaitOptions = {}): Promise<void> {
  const { guardMs = DEFAULT_GUARD_MS, everyMs = 5, detail } = typeof options === 'number' ? { guardMs: options } : options;
  const deadline = Date.now() + guardMs;
  while (!(await check())) {
    if (Date.now() > deadline) {
      const seen = detail === undefined ? '' : `; ${detail()}`;
      throw new Error(`hang guard: gave up waiting for ${what} after ${guardMs} ms${seen}`);
    }
    await sleep(everyMs);
  }
}
