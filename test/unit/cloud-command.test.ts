import { describe, expect, it } from 'vitest';
import { parseCloudArgs } from '../../src/cli/cloud-args.js';
import { cloudOptions } from '../../src/cli/cloud-command.js';

const optionsOf = (argv: string[]) => {
  const parsed = parseCloudArgs(argv);
  if (parsed.kind !== 'run') throw new Error('expected run');
  return cloudOptions(parsed.options);
};

describe('gridlink cloud flags reach the local cloud', () => {
  it('passes every tuning flag on, --max-joins-per-second included', () => {
    const options = optionsOf(['--heartbeat-interval', '300', '--heartbeat-timeout', '900', '--peer-interval', '100', '--peer-timeout', '400', '--member-grace', '5000', '--settle', '50', '--max-joins-per-second', '20']);
    expect(options).toMatchObject({
      heartbeat: { intervalMs: 300, timeoutMs: 900 },
      peerHeartbeat: { intervalMs: 100, timeoutMs: 400 },
      memberGraceMs: 5000,
      settleMs: 50,
      maxJoinsPerSecond: 20,
    });
    expect(optionsOf(['--max-joins-per-second', 'off']).maxJoinsPerSecond).toBe(Number.POSITIVE_INFINITY);
  });

  it('leaves the join limit to the local cloud (off) when the flag is absent', () => {
    expect(optionsOf([])).not.toHaveProperty('maxJoinsPerSecond');
  });
});
