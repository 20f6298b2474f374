/** Decoding of the frames nodes send each other: authentication and pins. */
import { describe, expect, it } from 'vitest';
import { decodePeerFrame, MAX_AVOID } from '../../src/server/peers/frames.js';

describe('authentication frames', () => {
  const nonce = 'AAAAAAAAAAAAAAAAAAAAAA';

  it('decodes peer-hello with a nonce, peer-welcome and peer-auth', () => {
    expect(decodePeerFrame(JSON.stringify({ t: 'peer-hello', id: 'a', v: 1, nonce }))).toEqual({ t: 'peer-hello', id: 'a', v: 1, nonce });
    expect(decodePeerFrame(JSON.stringify({ t: 'peer-welcome', id: 'b', nonce, mac: nonce }))).toEqual({ t: 'peer-welcome', id: 'b', nonce, mac: nonce });
    expect(decodePeerFrame(JSON.stringify({ t: 'peer-welcome', id: 'b', nonce }))).toEqual({ t: 'peer-welcome', id: 'b', nonce });
    expect(decodePeerFrame(JSON.stringify({ t: 'peer-auth', mac: nonce }))).toEqual({ t: 'peer-auth', mac: nonce });
  });

  it.each([
    { t: 'peer-hello', id: 'a', v: 1, nonce: 'short' },
    { t: 'peer-hello', id: 'a', v: 1, nonce: 'not base64url!!!!!!!!!' },
    { t: 'peer-welcome', id: 'b' },
    { t: 'peer-welcome', nonce },
    { t: 'peer-welcome', id: 'b', nonce, mac: 7 },
    { t: 'peer-auth', mac: 'x'.repeat(65) },
  ])('refuses %j with GRIDLINK_PROTOCOL', (frame) => {
    expect(() => decodePeerFrame(JSON.stringify(frame))).toThrow(expect.objectContaining({ code: 'GRIDLINK_PROTOCOL' }));
  });
});

describe('pin frames', () => {
  it('decodes pin and unpin', () => {
    expect(decodePeerFrame('{"t":"pin","session":"s","epoch":3}')).toEqual({ t: 'pin', session: 's', epoch: 3 });
    expect(decodePeerFrame('{"t":"pin","session":"s","epoch":3,"avoid":["a"]}')).toEqual({ t: 'pin', session: 's', epoch: 3, avoid: ['a'] });
    expect(decodePeerFrame('{"t":"unpin","session":"s"}')).toEqual({ t: 'unpin', session: 's' });
  });

  it.each([
    '{"t":"pin","session":"s"}',
    '{"t":"pin","session":"s","epoch":0}',
    '{"t":"pin","session":"s","epoch":1.5}',
    '{"t":"pin","session":"","epoch":1}',
    `{"t":"pin","session":"${'x'.repeat(129)}","epoch":1}`,
    `{"t":"pin","session":"s","epoch":1,"avoid":${JSON.stringify(Array.from({ length: MAX_AVOID + 1 }, (_, i) => `n${i}`))}}`,
    '{"t":"pin","session":"s","epoch":1,"avoid":[""]}',
    '{"t":"pin","session":"s","epoch":1,"avoid":"a"}',
    '{"t":"unpin"}',
    '{"t":"unpin","session":7}',
  ])('refuses %s with GRIDLINK_PROTOCOL', (raw) => {
    expect(() => decodePeerFrame(raw)).toThrow(expect.objectContaining({ code: 'GRIDLINK_PROTOCOL' }));
  });
});
