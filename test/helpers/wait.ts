/** Bounded waiting for tests. Every bound here is a hang guard, never a timing assertion. */

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function waitFor(what: string, predicate: () => boolean, guardMs = 20_000): Promise<void> {
  const deadline = Date.now() + guardMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`hang guard: gave up waiting for ${what} after ${guardMs} ms`);
    await sleep(5);
  }
}

/** Resolves with the first event's arguments. */
export function once<T extends unknown[]>(
  emitter: { once(event: string, fn: (...args: T) => void): unknown },
  event: string,
  guardMs = 20_000,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`hang guard: no '${event}' within ${guardMs} ms`)), guardMs);
    emitter.once(event, (...args: T) => {
      clearTimeout(timer);
      resolve(args);
    });
  });
}
