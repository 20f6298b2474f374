import { describe, expect, it } from 'vitest';
import { randomId } from '../../src/core/ids.js';

describe('randomId', () => {
  it('is hex of the requested size and does not repeat', () => {
    expect(randomId()).toMatch(/^[0-9a-f]{32}$/);
    expect(randomId(4)).toMatch(/^[0-9a-f]{8}$/);
    expect(new Set(Array.from({ length: 100 }, () => randomId())).size).toBe(100);
  });
});
