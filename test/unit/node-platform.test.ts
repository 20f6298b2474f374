/** The Node platform's process hold: one shared timer for every client trying to reach its cloud. */
import { describe, expect, it } from 'vitest';
import { createNodePlatform } from '../../src/platform/node/index.js';

const timers = (): number => process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length;

describe('Node platform: holdProcess', () => {
  it('holds the event loop with one timer however many clients hold, until the last releases (each release counts once)', () => {
    const [one, two] = [createNodePlatform(), createNodePlatform()];
    const before = timers();
    const releaseOne = one.holdProcess!();
    const releaseTwo = two.holdProcess!();
    const releaseThree = one.holdProcess!();
    expect(timers()).toBe(before + 1);
    releaseOne();
    releaseOne();
    releaseThree();
    expect(timers()).toBe(before + 1);
    releaseTwo();
    expect(timers()).toBe(before);
  });
});
