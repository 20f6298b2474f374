/**
 * `gridlink cloud` as a person drives it from a terminal: commands on stdin kill, restart, drain,
 * black-hole and heal nodes, and the console says when a node dies or returns — including a death it
 * did not cause. A real CLI process with real child nodes; a real client watches failover happen.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { connect } from '../../dist/node.js';
import { run } from '../helpers/spawn.js';
import { waitFor } from '../helpers/wait.js';

const CLI_JS = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

describe('gridlink cloud console', () => {
  it('kills, restarts, drains, black-holes and heals nodes from stdin, and reports deaths and returns', async () => {
    const proc = run(process.execPath, [CLI_JS, 'cloud', '--nodes', '3', '--max-joins-per-second', '50'], { stdin: 'pipe' });
    const type = (line: string): void => void proc.child.stdin!.write(`${line}\n`);
    try {
      await proc.waitForOutput('Ctrl-C stops the cloud.');
      expect(proc.output()).toMatch(/kill <node>\s+SIGKILL the node/);
      const urls = [...proc.output().matchAll(/^[abc]\s+(ws:\/\/\S+)$/gm)].map((match) => match[1]!);
      expect(urls).toHaveLength(3);
      const member = connect({ session: 'console', nodes: urls });
      await member.ready;
      const host = member.node!.id;

      type(`kill ${host}`);
      await proc.waitForOutput(`node ${host} is down (killed)`);
      await waitFor('the client migrated off the killed node', () => member.state === 'connected' && member.node?.id !== host);

      type(`restart ${host}`);
      await proc.waitForOutput(`node ${host} is up`);

      type('blackhole a');
      await proc.waitForOutput('ok: blackhole a');
      type('heal a');
      await proc.waitForOutput('ok: heal a');
      type('latency b 20');
      await proc.waitForOutput('ok: latency b 20');
      type('status');
      await proc.waitForOutput(/^c {2}running {2}pid \d+ {2}ws:\/\//m);
      const pidOfB = Number(/^b {2}running {2}pid (\d+)/m.exec(proc.output())?.[1]);

      // A death the console did not cause is reported too.
      process.kill(pidOfB, 'SIGKILL');
      await proc.waitForOutput('node b is down (killed)');

      type('drain c');
      await proc.waitForOutput('node c is down (drained)');
      await proc.waitForOutput('ok: drain c');

      type('explode a');
      await proc.waitForOutput("unknown command 'explode' (type 'help')");
      type('kill z');
      await proc.waitForOutput("failed: no node 'z' in this local cloud");

      expect(proc.output()).not.toMatch(/Error|exception/i);
      await member.close();
    } finally {
      proc.child.kill('SIGINT');
      expect(await proc.exited).toBe(0);
    }
  });
});
