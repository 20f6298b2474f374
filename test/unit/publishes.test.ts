/** The host's pending publishes and the entry node's idempotency cache: the rules that make a retried publish land once. */
import { describe, expect, it } from 'vitest';
import { GridlinkError } from '../../src/core/errors.js';
import { IdempotencyCache } from '../../src/server/publish/idempotency.js';
import { MAX_PENDING_PUBLISHES, PendingPublishes } from '../../src/server/sessions/publishes.js';

describe('PendingPublishes', () => {
  it('resolves with the member count once every member it was sent to confirmed it', async () => {
    const table = new PendingPublishes();
    let sent = 0;
    const done = table.wait('p1', ['ann', 'bob'], () => sent++);
    table.confirmed('ann', ['p1', 'unknown']);
    table.confirmed('ann', ['p1']); // twice from one member counts once
    expect(table.size).toBe(1);
    table.confirmed('cat', ['p1']); // not one it was sent to
    expect(table.size).toBe(1);
    table.confirmed('bob', ['p1']);
    await expect(done).resolves.toBe(2);
    expect(sent).toBe(1);
    expect(table.size).toBe(0);
  });

  it('joins a retry of a pending id instead of sending it again', async () => {
    const table = new PendingPublishes();
    let sent = 0;
    const first = table.wait('p1', ['ann'], () => sent++);
    const retry = table.wait('p1', ['ann', 'bob'], () => sent++);
    table.confirmed('ann', ['p1']);
    await expect(first).resolves.toBe(1);
    await expect(retry).resolves.toBe(1);
    expect(sent).toBe(1);
  });

  it('fails (retriable) what waits for a member whose link went, and only that', async () => {
    const table = new PendingPublishes();
    const waitsForBob = table.wait('p1', ['ann', 'bob'], () => {});
    const annOnly = table.wait('p2', ['ann'], () => {});
    table.detached('bob');
    await expect(waitsForBob).rejects.toMatchObject({ code: 'GRIDLINK_PUBLISH_FAILED', retriable: true });
    table.confirmed('ann', ['p2']);
    await expect(annOnly).resolves.toBe(1);
  });

  it('abandon() fails a pending publish with the given error, so a retry sends it again', async () => {
    const table = new PendingPublishes();
    let sent = 0;
    const first = table.wait('p1', ['ann'], () => sent++);
    table.abandon('p1', new GridlinkError('GRIDLINK_ABORTED', 'gave up'));
    await expect(first).rejects.toMatchObject({ code: 'GRIDLINK_ABORTED' });
    const again = table.wait('p1', ['ann'], () => sent++);
    table.confirmed('ann', ['p1']);
    await expect(again).resolves.toBe(1);
    expect(sent).toBe(2);
  });

  it('is bounded, and stop() fails everything pending', async () => {
    const table = new PendingPublishes();
    const all = Array.from({ length: MAX_PENDING_PUBLISHES }, (_, i) => table.wait(`p${i}`, ['ann'], () => {}));
    await expect(table.wait('one-more', ['ann'], () => {})).rejects.toMatchObject({ code: 'GRIDLINK_BUSY', retriable: true });
    table.stop();
    const results = await Promise.allSettled(all);
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    expect(table.size).toBe(0);
  });
});

describe('IdempotencyCache', () => {
  it('runs a key once while it runs and after it succeeded; forgets a failure so a retry runs again', async () => {
    let now = 0;
    const cache = new IdempotencyCache<number>(10, 1000, () => now);
    let runs = 0;
    const ok = (): Promise<number> => Promise.resolve(++runs);
    expect(await cache.run('k', ok)).toBe(1);
    expect(await cache.run('k', ok)).toBe(1);
    const failing = cache.run('f', () => Promise.reject(new Error('host died')));
    await expect(failing).rejects.toThrow('host died');
    expect(await cache.run('f', ok)).toBe(2);
    now = 1001; // past the TTL: the key is new again
    expect(await cache.run('k', ok)).toBe(3);
  });

  it('forgets a result the caller does not keep (nothing was delivered), so the retry runs', async () => {
    const cache = new IdempotencyCache<string>(10, 60_000, () => 0);
    const keep = (result: string): boolean => result !== 'no-members';
    expect(await cache.run('k', () => Promise.resolve('no-members'), keep)).toBe('no-members');
    expect(await cache.run('k', () => Promise.resolve('delivered'), keep)).toBe('delivered');
    expect(await cache.run('k', () => Promise.resolve('again'), keep)).toBe('delivered');
  });

  it('keeps at most `max` keys, forgetting the oldest', async () => {
    const cache = new IdempotencyCache<string>(3, 60_000, () => 0);
    for (const key of ['a', 'b', 'c', 'd', 'e']) await cache.run(key, () => Promise.resolve(key));
    expect(cache.size).toBeLessThanOrEqual(3);
    expect(await cache.run('a', () => Promise.resolve('again'))).toBe('again');
    expect(await cache.run('e', () => Promise.resolve('again'))).toBe('e');
  });
});
