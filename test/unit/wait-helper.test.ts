/** The tests' own polling helper: its failure message is what a reader sees when a test hangs. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { waitFor } from '../helpers/wait.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('waitFor', () => {
  it('gives up after the guard with a message naming what it waited for, the guard and the detail', async () => {
    const caught = waitFor('bob to join', () => false, { guardMs: 100, detail: () => 'members: ann' }).catch((error: Error) => error);
    await vi.advanceTimersByTimeAsync(200);
    expect((await caught as Error).message).toBe('hang guard: gave up waiting for bob to join after 100 ms; members: ann');
    const bare = waitFor('carol', () => false, 50).catch((error: Error) => error);
    await vi.advanceTimersByTimeAsync(100);
    expect((await bare as Error).message).toBe('hang guard: gave up waiting for carol after 50 ms');
  });

  it('resolves once the check holds, async checks included', async () => {
    let calls = 0;
    const done = waitFor('the third call', async () => ++calls === 3, { everyMs: 10 });
    await vi.advanceTimersByTimeAsync(20);
    await done;
    expect(calls).toBe(3);
  });

  it('fails at once when the check throws', async () => {
    const caught = waitFor('a port', () => {
      throw new Error('the child exited');
    }).catch((error: Error) => error);
    expect((await caught as Error).message).toBe('the child exited');
  });
});
