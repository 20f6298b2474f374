/** Bounded waiting for tests. Every bound here is a hang guard, never a timing assertion. */

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function waitFor(what: string, predicate: () => boolean, guardMs = 20_000): Promise<void> {
  const deadline = Date.now() + guardMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`hang guard: gave up waiting for ${what} after ${guardMs} ms`);
    await sleep(5);
  }
}
