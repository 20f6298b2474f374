import { describe, expect, it } from 'vitest';
import { createTokenSigner, tokenStamp } from '../../src/server/clients/tokens.js';

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

  it('answers a question asked again the same way, the expiry read anew each time', () => {
    // One hello verifies its token up to three times; the signer remembers the last MACs only.
    let now = 1_000;
    const signer = createTokenSigner('s3cret', 60_000, () => now);
    const token = signer.issue('room', 'alice');
    const forged = `${token.slice(0, -2)}AA`;
    for (let i = 0; i < 3; i++) {
      expect(signer.verify(token, 'room', 'alice')).toBe(true);
      expect(signer.verify(token, 'room', 'bob')).toBe(false); // the same token for someone else
      expect(signer.verify(forged, 'room', 'alice')).toBe(false);
    }
    expect(signer.verify(token, 'room', 'alice')).toBe(true);
    now += 60_001;
    expect(signer.verify(token, 'room', 'alice')).toBe(false); // remembered MAC, expired since
  });

  it('stays short whatever the ids are (the codec caps resume at 1024 chars)', () => {
    const signer = createTokenSigner('s3cret', 60_000);
    expect(signer.issue('\u{1F600}'.repeat(64), '\u{1F600}'.repeat(64)).length).toBeLessThan(100);
  });
});

describe('resume token generations', () => {
  it('rise strictly with every token a signer issues, even within one millisecond', () => {
    const signer = createTokenSigner('s3cret', 60_000, () => 1_000);
    const a = signer.issue('room', 'alice');
    const b = signer.issue('room', 'alice');
    expect(a).not.toBe(b);
    expect(tokenStamp(b)).toBeGreaterThan(tokenStamp(a) ?? Infinity);
    expect(signer.verify(a, 'room', 'alice')).toBe(true);
    expect(signer.verify(b, 'room', 'alice')).toBe(true);
  });

  it('read as undefined from anything not shaped like a token', () => {
    expect(tokenStamp(undefined)).toBeUndefined();
    expect(tokenStamp('garbage')).toBeUndefined();
    expect(tokenStamp('g1.ZZ!.x')).toBeUndefined();
    expect(tokenStamp('g1.10.abc')).toBe(36);
  });

  it('never verify for ids with lone surrogates (UTF-8 would make them collide)', () => {
    const signer = createTokenSigner('s3cret', 60_000);
    const token = signer.issue('room', 'x\uD800');
    expect(signer.verify(token, 'room', 'x\uDBFF')).toBe(false);
    expect(signer.verify(token, 'room', 'x\uD800')).toBe(false);
    expect(signer.verify(signer.issue('room', 'x\u{1F600}'), 'room', 'x\u{1F600}')).toBe(true);
  });
});

describe('resume tokens during a secret rotation', () => {
  it('verify under an accepted secret, and are always signed with the secret itself', () => {
    const old = createTokenSigner('old-secret', 60_000);
    const rotated = createTokenSigner('new-secret', 60_000, Date.now, ['old-secret']);
    const fromOld = old.issue('room', 'ann');
    expect(rotated.verify(fromOld, 'room', 'ann')).toBe(true);
    expect(rotated.verify(fromOld, 'room', 'bob')).toBe(false);
    const fromRotated = rotated.issue('room', 'ann');
    expect(createTokenSigner('new-secret', 60_000).verify(fromRotated, 'room', 'ann')).toBe(true);
    // A node still on the old secret alone refuses it: why a rotation first adds the new secret everywhere.
    expect(old.verify(fromRotated, 'room', 'ann')).toBe(false);
    expect(createTokenSigner('stranger', 60_000, Date.now, ['other']).verify(fromOld, 'room', 'ann')).toBe(false);
  });

  it('accept only the canonical text of the MAC', () => {
    const signer = createTokenSigner('s3cret', 60_000);
    const token = signer.issue('room', 'ann');
    expect(signer.verify(`${token}!`, 'room', 'ann')).toBe(false);
    expect(signer.verify(`${token}=`, 'room', 'ann')).toBe(false);
  });
});
