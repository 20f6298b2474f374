/** The client's credential options: `token` or `getToken`, checked without ever quoting the credential. */
import { describe, expect, it } from 'vitest';
import { normalizeOptions } from '../../src/client/options.js';
import { thrown } from '../helpers/thrown.js';

const base = { session: 's', nodes: ['ws://127.0.0.1:1'] };


describe('client options: token and getToken', () => {
  it('takes one or the other, and a fixed token is not worth retrying once refused', async () => {
    const fixed = normalizeOptions({ ...base, token: 't' }).token;
    expect(fixed?.refreshes).toBe(false);
    expect(await fixed?.get()).toBe('t');
    const fetched = normalizeOptions({ ...base, getToken: async () => 'u' }).token;
    expect(fetched?.refreshes).toBe(true);
    expect(await fetched?.get()).toBe('u');
    expect(normalizeOptions(base).token).toBeUndefined();
  });

  it('fails fast naming the option, never quoting the credential', () => {
    expect(thrown(() => normalizeOptions({ ...base, token: 'SECRET', getToken: () => 'x' })).message).toBe('give token or getToken, not both');
    const long = thrown(() => normalizeOptions({ ...base, token: `SECRET${'x'.repeat(4096)}` }));
    expect(long).toMatchObject({ code: 'GRIDLINK_INVALID_OPTION', message: 'token must be a string of 1..4096 characters' });
    expect(thrown(() => normalizeOptions({ ...base, token: '' })).message).toContain('token must be');
    expect(thrown(() => normalizeOptions({ ...base, getToken: 'SECRET' as unknown as () => string })).message).toContain('getToken must be a function');
  });
});
