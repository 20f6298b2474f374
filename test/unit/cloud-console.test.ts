import { describe, expect, it } from 'vitest';
import { parseConsoleLine } from '../../src/cli/cloud-console.js';

describe('parseConsoleLine', () => {
  it('reads each command with its node (and latency its milliseconds), any spacing and case', () => {
    expect(parseConsoleLine('kill b')).toEqual({ verb: 'kill', node: 'b' });
    expect(parseConsoleLine('  RESTART   b ')).toEqual({ verb: 'restart', node: 'b' });
    for (const verb of ['drain', 'blackhole', 'heal', 'reset']) expect(parseConsoleLine(`${verb} a`)).toEqual({ verb, node: 'a' });
    expect(parseConsoleLine('latency c 250')).toEqual({ verb: 'latency', node: 'c', ms: 250 });
    expect(parseConsoleLine('status')).toEqual({ verb: 'status' });
    expect(parseConsoleLine('help')).toEqual({ verb: 'help' });
  });

  it('ignores blank lines', () => {
    expect(parseConsoleLine('')).toBeUndefined();
    expect(parseConsoleLine('   ')).toBeUndefined();
  });

  it.each([
    ['explode b', /unknown command 'explode'/],
    ['kill', /'kill' needs a node id/],
    ['kill a b', /'kill' takes one node id/],
    ['status a', /'status' takes no argument/],
    ['latency b', /'latency' needs a node id and 0-60000 ms/],
    ['latency b fast', /'latency' needs/],
    ['latency b -5', /'latency' needs/],
    ['latency b 1e9', /'latency' needs/],
    ['latency b 10 20', /'latency' needs/],
  ])('%j is refused with a reason', (line, reason) => {
    const parsed = parseConsoleLine(line);
    expect(parsed).toHaveProperty('error');
    expect((parsed as { error: string }).error).toMatch(reason);
  });
});
