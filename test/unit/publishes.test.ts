/** The host's pending publishes and the entry node's idempotency cache: the rules that make a retried publish land once. */
import { describe, expect, it } from 'vitest';
import { GridlinkError } from '../../src/core/errors.js';
import { IdempotencyCache } from '../../src/server/publish/idempotency.js';
import type { PubFrame } from '../../src/protocol/frames.js';
import { MAX_PENDING_PUBLISH_BYTES, MAX_PENDING_PUBLISHES, PendingPublishes, type PublishLink } from '../../src/server/sessions/publishes.js';

const pub = (id: string, d = 'x'): PubFrame => ({ t: 'pub', id, d });
const text = (frame: PubFrame): string => JSON.stringify(frame);
/** A link that records the texts sent on it. */
const recorder = (): PublishLink & { texts: string[] } => {
  const texts: string[] = [];
  return { texts, send: (_frame, encoded) => texts.push(encoded) };
};

describe('PendingPublishes', () => {
  it('answers with how many members present confirmed, once every one of them did', async () => {
    const table = new PendingPublishes();
    let sent = 0;
    const done = table.wait(pub('p1'), text(pub('p1')), ['ann', 'bob'], [], () => sent++);
    table.confirmed('ann', ['p1', 'unknown']);
    table.confirmed('ann', ['p1']); // twice from one member counts once
    expect(table.size).toBe(1);
    table.confirmed('cat', ['p1']); // not one it waits for
    expect(table.size).toBe(1);
    table.confirmed('bob', ['p1']);
    await expect(done).resolves.toEqual({ members: 2, away: 0 });
    expect(sent).toBe(1);
    expect(table.size).toBe(0);
  });

  it('joins a retry of a pending id instead of sending it again', async () => {
    const table = new PendingPublishes();
    let sent = 0;
    const first = table.wait(pub('p1'), text(pub('p1')), ['ann'], [], () => sent++);
    const retry = table.wait(pub('p1'), text(pub('p1')), ['ann', 'bob'], [], () => sent++);
    table.confirmed('ann', ['p1']);
    await expect(first).resolves.toEqual({ members: 1, away: 0 });
    await expect(retry).resolves.toEqual({ members: 1, away: 0 });
    expect(sent).toBe(1);
  });

  it('does not wait for members away, keeps the publish for them and sends it when they come back', async () => {
    const table = new PendingPublishes();
    const p1 = table.wait(pub('p1', 'one'), text(pub('p1', 'one')), ['ann'], ['bob'], () => {});
    const p2 = table.wait(pub('p2'), text(pub('p2')), ['ann'], [], () => {});
    table.confirmed('ann', ['p1', 'p2']);
    await expect(p1).resolves.toEqual({ members: 1, away: 1 });
    await expect(p2).resolves.toEqual({ members: 1, away: 0 });
    expect(table.size).toBe(1); // p1, kept for bob
    const link = recorder();
    table.returned('bob', link, true);
    expect(link.texts).toEqual([text(pub('p1', 'one'))]);
    table.confirmed('bob', ['p1']);
    expect(table.size).toBe(0);
  });

  it('a member whose link goes before it confirmed no longer holds the answer up; it gets the publish on its return', async () => {
    const table = new PendingPublishes();
    const done = table.wait(pub('p1'), text(pub('p1')), ['ann', 'bob'], [], () => {});
    table.confirmed('ann', ['p1']);
    table.detached('bob');
    await expect(done).resolves.toEqual({ members: 1, away: 1 });
    const link = recorder();
    table.returned('bob', link, true);
    expect(link.texts).toEqual([text(pub('p1'))]);
  });

  it('a member back before the answer is waited for again', async () => {
    const table = new PendingPublishes();
    let answered = false;
    const done = table.wait(pub('p1'), text(pub('p1')), ['ann'], ['bob'], () => {}).then((d) => ((answered = true), d));
    table.returned('bob', recorder(), true);
    table.confirmed('ann', ['p1']);
    await Promise.resolve();
    expect(answered).toBe(false);
    table.confirmed('bob', ['p1']);
    await expect(done).resolves.toEqual({ members: 2, away: 0 });
    expect(table.size).toBe(0);
  });

  it('releases members that left for good, or came back without taking publishes', async () => {
    const table = new PendingPublishes();
    const p1 = table.wait(pub('p1'), text(pub('p1')), ['ann', 'bob'], [], () => {});
    const p2 = table.wait(pub('p2'), text(pub('p2')), ['ann'], ['cat'], () => {});
    table.confirmed('ann', ['p1', 'p2']);
    table.release('bob');
    await expect(p1).resolves.toEqual({ members: 1, away: 0 });
    await expect(p2).resolves.toEqual({ members: 1, away: 1 });
    const link = recorder();
    table.returned('cat', link, false);
    expect(link.texts).toEqual([]);
    expect(table.size).toBe(0);
  });

  it('with nobody present it answers at once and keeps the publish for the members away', async () => {
    const table = new PendingPublishes();
    await expect(table.wait(pub('p1'), text(pub('p1')), [], ['ann'], () => {})).resolves.toEqual({ members: 0, away: 1 });
    expect(table.size).toBe(1);
    table.release('ann');
    expect(table.size).toBe(0);
  });

  it('abandon() fails a publish not answered yet, so a retry sends it again', async () => {
    const table = new PendingPublishes();
    let sent = 0;
    const first = table.wait(pub('p1'), text(pub('p1')), ['ann'], [], () => sent++);
    table.abandon('p1', new GridlinkError('GRIDLINK_ABORTED', 'gave up'));
    await expect(first).rejects.toMatchObject({ code: 'GRIDLINK_ABORTED' });
    const again = table.wait(pub('p1'), text(pub('p1')), ['ann'], [], () => sent++);
    table.confirmed('ann', ['p1']);
    await expect(again).resolves.toEqual({ members: 1, away: 0 });
    expect(sent).toBe(2);
  });

  it('is bounded in count, and stop() fails everything not answered', async () => {
    const table = new PendingPublishes();
    const all = Array.from({ length: MAX_PENDING_PUBLISHES }, (_, i) => table.wait(pub(`p${i}`), text(pub(`p${i}`)), ['ann'], [], () => {}));
    await expect(table.wait(pub('one-more'), '{}', ['ann'], [], () => {})).rejects.toMatchObject({ code: 'GRIDLINK_BUSY', retriable: true });
    table.stop();
    const results = await Promise.allSettled(all);
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    expect(table.size).toBe(0);
  });

  it('is bounded in bytes held, and frees them as publishes settle', async () => {
    const table = new PendingPublishes();
    const big = 'x'.repeat(MAX_PENDING_PUBLISH_BYTES / 2 - 100);
    const first = table.wait(pub('a', big), text(pub('a', big)), ['ann'], [], () => {});
    void table.wait(pub('b', big), text(pub('b', big)), [], ['bob'], () => {}); // kept for bob
    await expect(table.wait(pub('c', big), text(pub('c', big)), ['ann'], [], () => {})).rejects.toMatchObject({ code: 'GRIDLINK_BUSY' });
    table.confirmed('ann', ['a']);
    await first;
    const third = table.wait(pub('c', big), text(pub('c', big)), ['ann'], [], () => {});
    table.confirmed('ann', ['c']);
    await expect(third).resolves.toEqual({ members: 1, away: 0 });
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
