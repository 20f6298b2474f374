import { describe, expect, it } from 'vitest';
import { createTokenSigner } from '../../src/server/clients/tokens.js';

describe('resume tokens', () => {
  it('binds session, client and expiry', () => {
    let now = 1_000;
    const signer = createTokenSigner('s3cret', 60_000, () => now);
    const token = signer.issue('room', 'alice');
    expect(signer.verify(token, 'room', 'alice')).toBe(true);
    expect(signer.verify(token, 'room', 'bob')).toBe(false);
    expect(signer.verify(token, 'hall', 'alice')).toBe(false);
    expect(createTokenSigner('other', 60_000, () => now).verify(token, 'room', 'alice')).toBe(false);
    expect(signer.verify(`${token.slice(0, -2)}AA`, 'room', 'alice')).toBe(false);
    expect(signer.verify(undefined, 'room', 'alice')).toBe(false);
    expect(signer.verify('garbage', 'room', 'alice')).toBe(false);
    now += 60_001;
    expect(signer.verify(token, 'room', 'alice')).toBe(false);
  });

  it('stays short whatever the ids are (the codec caps resume at 1024 chars)', () => {
    const signer = createTokenSigner('s3cret', 60_000);
    expect(signer.issue('\u{1F600}'.repeat(64), '\u{1F600}'.repeat(64)).length).toBeLessThan(100);
  });
});
