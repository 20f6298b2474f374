import { describe, expect, it } from 'vitest';
import { staticResolver } from '../../src/resolve/resolver.js';

const n = (id: string, url: string) => ({ id, url });

describe('staticResolver', () => {
  it('answers the same list every time, and a caller cannot change it', async () => {
    const input = [n('a', 'ws://a/')];
    const r = staticResolver(input);
    input.push(n('b', 'ws://b/'));
    const first = await r.resolve(new AbortController().signal);
    expect(first).toEqual([n('a', 'ws://a/')]);
    expect(Object.isFrozen(first)).toBe(true);
  });
});
