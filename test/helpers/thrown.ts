/** What `fn` threw; fails the test when it did not throw. (For promises, use `await expect(…).rejects`.) */
export function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a throw');
}
