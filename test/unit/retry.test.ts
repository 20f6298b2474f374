import { describe, expect, it } from 'vitest';
import { retryRounds } from '../../src/core/retry.js';
import { ClosedError, ConnectError, GridlinkError } from '../../src/core/errors.js';

// Real timers, tiny delays.
const fast = { minDelayMs: 1, maxDelayMs: 5, factor: 2, maxElapsedMs: Number.POSITIVE_INFINITY };
const retriable = () => new ConnectError('GRIDLINK_CONNECT_FAILED', 'round failed', { retriable: true });

describe('retryRounds', () => {
  it('retries retriable GridlinkErrors until a round succeeds', async () => {
    const failed: number[] = [];
    let calls = 0;
    const result = await retryRounds(
      async (n) => {
        calls++;
        if (n < 4) throw retriable();
        return `ok on ${n}`;
      },
      { ...fast, signal: new AbortController().signal, onFailedRound: (_e, round) => failed.push(round) },
    );
    expect(result).toBe('ok on 4');
    expect(calls).toBe(4);
    expect(failed).toEqual([1, 2, 3]);
  });

  it('stops at once on a non-retriable GridlinkError', async () => {
    let calls = 0;
    const fatal = new ConnectError('GRIDLINK_REJECTED', 'no', { retriable: false });
    await expect(
      retryRounds(
        async () => {
          calls++;
          throw fatal;
        },
        { ...fast, signal: new AbortController().signal },
      ),
    ).rejects.toBe(fatal);
    expect(calls).toBe(1);
  });

  it('stops at once on a plain Error without `retriable`', async () => {
    let calls = 0;
    const plain = new Error('bug');
    await expect(
      retryRounds(
        async () => {
          calls++;
          throw plain;
        },
        { ...fast, signal: new AbortController().signal },
      ),
    ).rejects.toBe(plain);
    expect(calls).toBe(1);
  });

  it('stops at once on a plain Error that claims retriable but is not a GridlinkError', async () => {
    let calls = 0;
    const foreign = Object.assign(new Error('x'), { retriable: true });
    await expect(
      retryRounds(
        async () => {
          calls++;
          throw foreign;
        },
        { ...fast, signal: new AbortController().signal },
      ),
    ).rejects.toBe(foreign);
    expect(calls).toBe(1);
  });

  it('stops when the signal aborts, and runs no round after that', async () => {
    const controller = new AbortController();
    const reason = new ClosedError('GRIDLINK_CLOSED', 'closed by user');
    let calls = 0;
    const done = retryRounds(
      async () => {
        calls++;
        if (calls === 3) controller.abort(reason);
        throw retriable();
      },
      { ...fast, signal: controller.signal },
    );
    await expect(done).rejects.toSatisfy((e: unknown) => e instanceof GridlinkError);
    expect(calls).toBe(3);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(calls).toBe(3);
  });

  it('aborting during the backoff delay ends the wait', async () => {
    const controller = new AbortController();
    let calls = 0;
    const started = performance.now();
    const done = retryRounds(
      async () => {
        calls++;
        throw retriable();
      },
      { minDelayMs: 10_000, maxDelayMs: 10_000, factor: 2, maxElapsedMs: Number.POSITIVE_INFINITY, signal: controller.signal },
    );
    setTimeout(() => controller.abort(new ClosedError('GRIDLINK_CLOSED', 'closed')), 20);
    await expect(done).rejects.toBeInstanceOf(ClosedError);
    expect(calls).toBe(1);
    expect(performance.now() - started).toBeLessThan(5000); // hang guard, not a timing assertion
  });

  it('does not start at all on an already aborted signal', async () => {
    let calls = 0;
    await expect(
      retryRounds(
        async () => {
          calls++;
          return 1;
        },
        { ...fast, signal: AbortSignal.abort(new ClosedError('GRIDLINK_ABORTED', 'x')) },
      ),
    ).rejects.toBeInstanceOf(ClosedError);
    expect(calls).toBe(0);
  });

  it('gives up after maxElapsedMs with the last error', async () => {
    let calls = 0;
    const errors: unknown[] = [];
    await expect(
      retryRounds(
        async () => {
          calls++;
          await new Promise((resolve) => setTimeout(resolve, 5));
          const e = retriable();
          errors.push(e);
          throw e;
        },
        { ...fast, maxElapsedMs: 30, signal: new AbortController().signal },
      ),
    ).rejects.toSatisfy((e: unknown) => e === errors.at(-1));
    expect(calls).toBeGreaterThan(1);
  });
});
