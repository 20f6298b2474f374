/**
 * Peer authentication's MACs and nonces. Its frames are decoded in peer-frames.test.ts; the handshake
 * itself runs against real nodes in test/integration/peer-auth.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { createPeerAuth } from '../../src/server/peers/auth.js';

describe('createPeerAuth', () => {
  const auth = createPeerAuth('cloud-secret');

  it('binds each MAC to its role, both ids and both nonces', () => {
    const base = auth.welcomeMac('a', 'b', 'n1', 'n2');
    expect(base).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const variants = [
      auth.authMac('a', 'b', 'n1', 'n2'),
      auth.welcomeMac('b', 'a', 'n1', 'n2'),
      auth.welcomeMac('a', 'b', 'n2', 'n1'),
      auth.welcomeMac('a', 'b\u0000n1', '', 'n2'),
      createPeerAuth('another-secret').welcomeMac('a', 'b', 'n1', 'n2'),
    ];
    for (const other of variants) expect(other).not.toBe(base);
    expect(auth.welcomeMac('a', 'b', 'n1', 'n2')).toBe(base);
  });

  it('checks a proof only when one is required', () => {
    const want = auth.authMac('b', 'a', 'n1', 'n2');
    expect(auth.required).toBe(true);
    expect(auth.checkAuth(want, 'b', 'a', 'n1', 'n2')).toBe(true);
    expect(auth.checkAuth(undefined, 'b', 'a', 'n1', 'n2')).toBe(false);
    expect(auth.checkAuth(`${want}x`, 'b', 'a', 'n1', 'n2')).toBe(false);
    expect(auth.checkAuth(`${want}!`, 'b', 'a', 'n1', 'n2')).toBe(false); // not the canonical text
    expect(auth.checkWelcome(want, 'b', 'a', 'n1', 'n2')).toBe(false); // an auth MAC is no welcome
    expect(auth.checkWelcome(auth.welcomeMac('a', 'b', 'n1', 'n2'), 'a', 'b', 'n1', 'n2')).toBe(true);
    const open = createPeerAuth(undefined);
    expect(open.required).toBe(false);
    expect(open.welcomeMac('a', 'b', 'n1', 'n2')).toBeUndefined();
    expect(open.checkAuth(undefined, 'b', 'a', 'n1', 'n2')).toBe(true);
  });

  it('during a rotation, proves with its secret and accepts its accepted secrets too', () => {
    // Phase 2 of a rotation: `next` signs and still accepts `old`; a phase-1 node signs with `old` and accepts `next`.
    const rotated = createPeerAuth('next-secret', ['cloud-secret']);
    const phaseOne = createPeerAuth('cloud-secret', ['next-secret']);
    const fromRotated = rotated.welcomeMac('a', 'b', 'n1', 'n2');
    expect(fromRotated).toBe(createPeerAuth('next-secret').welcomeMac('a', 'b', 'n1', 'n2'));
    expect(phaseOne.checkWelcome(fromRotated, 'a', 'b', 'n1', 'n2')).toBe(true);
    expect(rotated.checkAuth(phaseOne.authMac('b', 'a', 'n1', 'n2'), 'b', 'a', 'n1', 'n2')).toBe(true);
    // A node that never accepted the new secret refuses it: that is the split a rotation must avoid.
    expect(auth.checkWelcome(fromRotated, 'a', 'b', 'n1', 'n2')).toBe(false);
    expect(rotated.checkAuth(createPeerAuth('stranger').authMac('b', 'a', 'n1', 'n2'), 'b', 'a', 'n1', 'n2')).toBe(false);
  });

  it('draws fresh nonces of 128 bits', () => {
    const nonces = new Set(Array.from({ length: 100 }, () => auth.nonce()));
    expect(nonces.size).toBe(100);
    for (const nonce of nonces) expect(Buffer.from(nonce, 'base64url')).toHaveLength(16);
  });
});
