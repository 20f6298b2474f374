/**
 * A client that is open and still trying keeps its Node process alive, as an open socket does: a
 * script awaiting `ready` must not exit silently between attempts (exit code 13, "unsettled
 * top-level await"), and a script whose whole cloud died goes on retrying for `retry.maxElapsedMs`.
 * Real child processes running the README's kind of script against the built package.
 */
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { startLocalCloud } from '../../dist/server.js';
import { run } from '../helpers/spawn.js';

const dir = mkdtempSync(join(tmpdir(), 'gridlink-lifetime-'));
const NODE_JS = pathToFileURL(join(process.cwd(), 'dist/node.js')).href;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs an ES module script; returns its exit code and output. */
async function script(name: string, code: string, env: Record<string, string> = {}): Promise<{ code: number | null; output: string }> {
  const file = join(dir, `${name}.mjs`);
  writeFileSync(file, code);
  const proc = run(process.execPath, [file], { env });
  return { code: await proc.exited, output: proc.output() };
}

describe('a client keeps its process alive while it is trying', () => {
  it('awaiting ready with nothing listening: the process waits for the verdict and prints it', async () => {
    const { code, output } = await script(
      'nothing-listening',
      `import { connect } from '${NODE_JS}';
       const client = connect({ session: 's', nodes: ['ws://127.0.0.1:1/'], retry: { maxElapsedMs: 1500 } });
       try { await client.ready; console.log('connected?!'); }
       catch (error) { console.log('verdict', error.code); }`,
    );
    expect(output).toContain('verdict GRIDLINK_NO_NODES');
    expect(code).toBe(0);
  });

  it('the whole cloud dies: the script keeps retrying until the client fails, then exits', async () => {
    const cloud = await startLocalCloud({ nodes: 2 });
    const file = join(dir, 'cloud-dies.mjs');
    writeFileSync(
      file,
      `import { connect } from '${NODE_JS}';
       const client = connect({ session: 's', nodes: ${JSON.stringify(cloud.urls)}, retry: { maxElapsedMs: 2500 } });
       client.on('state', (state, change) => console.log('state', state, change.reason.code));
       client.on('error', () => {});
       await client.ready;
       console.log('ready');`,
    );
    const proc = run(process.execPath, [file]);
    try {
      await proc.waitForOutput('ready');
      await Promise.all(cloud.nodes.map((node) => cloud.kill(node.id)));
      expect(await proc.exited).toBe(0);
      expect(proc.output()).toMatch(/state migrating link-lost[\s\S]*state failed GRIDLINK_NO_NODES/);
    } finally {
      proc.child.kill('SIGKILL');
      await cloud.stop();
    }
  });

  it('a closed client lets the process exit at once', async () => {
    const { code, output } = await script(
      'closed',
      `import { connect } from '${NODE_JS}';
       const client = connect({ session: 's', nodes: ['ws://127.0.0.1:1/'] });
       client.ready.catch(() => {});
       await client.close();
       console.log('closed', client.state);`,
    );
    expect(output.trim()).toBe('closed closed');
    expect(code).toBe(0);
  });
});
