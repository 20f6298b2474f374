/** The memory of redirects sent, which tells placement that a member came straight back. */
import { describe, expect, it } from 'vitest';
import { RedirectMemory } from '../../src/server/placement/redirect-memory.js';

describe('RedirectMemory', () => {
  it('knows a client that comes back with the same resume token (it joined nowhere since)', () => {
    let now = 0;
    const memory = new RedirectMemory(() => now);
    const hello = { session: 's', client: 'bob', resume: 'token-1' };
    expect(memory.sentBefore(hello, 'a')).toBe(false);
    now += 5000;
    expect(memory.sentBefore(hello, 'a')).toBe(true);
    // Used up: a third report starts over.
    expect(memory.sentBefore(hello, 'a')).toBe(false);
  });

  it('does not confuse another token, client, session or host', () => {
    const memory = new RedirectMemory(() => 0);
    expect(memory.sentBefore({ session: 's', client: 'bob' }, 'a')).toBe(false);
    expect(memory.sentBefore({ session: 's', client: 'bob', resume: 'new' }, 'a')).toBe(false);
    expect(memory.sentBefore({ session: 's', client: 'eve' }, 'a')).toBe(false);
    expect(memory.sentBefore({ session: 't', client: 'bob' }, 'a')).toBe(false);
    expect(memory.sentBefore({ session: 's', client: 'bob' }, 'c')).toBe(false);
    expect(memory.sentBefore({ session: 's', client: 'bob' }, 'a')).toBe(true);
  });

  it('forgets after a minute, and holds at most 10 000 entries (the oldest go first)', () => {
    let now = 0;
    const memory = new RedirectMemory(() => now);
    expect(memory.sentBefore({ session: 's', client: 'old' }, 'a')).toBe(false);
    now = 60_001;
    expect(memory.sentBefore({ session: 's', client: 'old' }, 'a')).toBe(false);
    for (let i = 0; i < 10_000; i++) memory.sentBefore({ session: 's', client: `c${i}` }, 'a');
    expect(memory.sentBefore({ session: 's', client: 'old' }, 'a')).toBe(false); // pushed out
    expect(memory.sentBefore({ session: 's', client: 'c9999' }, 'a')).toBe(true);
  });
});
