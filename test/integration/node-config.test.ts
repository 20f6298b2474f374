/**
 * `gridlink node --config`: the real CLI reads a YAML file and listens with its settings; a flag
 * beside it wins; a bad file exits 2 naming the key, with no stack trace.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { run, type Proc } from '../helpers/spawn.js';
import { waitFor } from '../helpers/wait.js';

const CLI = join(process.cwd(), 'dist/cli.js');
const dir = mkdtempSync(join(tmpdir(), 'gridlink-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const procs: Proc[] = [];
afterEach(async () => {
  for (const proc of procs.splice(0)) {
    proc.child.kill('SIGKILL');
    await proc.exited;
  }
});

function node(args: string[]): Proc {
  const proc = run(process.execPath, [CLI, 'node', ...args], { env: { GRIDLINK_SECRET: 'config-test-secret-config-test-secret' } });
  procs.push(proc);
  return proc;
}

interface Listening {
  id: string;
  port: number;
}

async function listening(proc: Proc): Promise<Listening> {
  await proc.waitForOutput(/"event":"listening".*\n/);
  const line = proc.output().split('\n').find((text) => text.includes('"event":"listening"')) as string;
  return JSON.parse(line) as Listening;
}

function configFile(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

interface Discovery {
  heartbeat: { intervalMs: number };
  nodes: { id: string }[];
}

async function discovery(port: number): Promise<Discovery> {
  const response = await fetch(`http://127.0.0.1:${port}/.well-known/gridlink`);
  return (await response.json()) as Discovery;
}

describe('gridlink node --config', () => {
  it("listens with the file's id, peer and tuning; a flag beside the file wins; SIGTERM still drains and exits 0", async () => {
    const b = await listening(node(['--id', 'b']));
    const file = configFile(
      'a.yaml',
      `# node a of a two-node cloud\nid: a\nhost: 127.0.0.1\nport: 0\npeer:\n  - b=ws://127.0.0.1:${b.port}\nheartbeat-interval: 4321\n`,
    );
    const aProc = node(['--config', file]);
    const a = await listening(aProc);
    expect(a.id).toBe('a');
    const doc = await discovery(a.port);
    expect(doc.heartbeat.intervalMs).toBe(4321);
    await waitFor('a to list its peer b', async () => (await discovery(a.port)).nodes.some((n) => n.id === 'b'));

    const cProc = node(['--config', file, '--id', 'c', '--heartbeat-interval', '1234']);
    const c = await listening(cProc);
    expect(c.id).toBe('c');
    expect((await discovery(c.port)).heartbeat.intervalMs).toBe(1234);
    await waitFor('c to list the file\'s peer b', async () => (await discovery(c.port)).nodes.some((n) => n.id === 'b'));

    aProc.child.kill('SIGTERM');
    expect(await aProc.exited).toBe(0);
  });

  it('refuses a bad file with exit code 2, naming the key, never a stack trace', async () => {
    const cases: [string, RegExp][] = [
      ['id: a\nport: 99999\n', /key 'port' must be an integer from 0 to 65535/],
      ['id: a\nheartbeat-intervall: 100\n', /unknown key 'heartbeat-intervall' \(did you mean 'heartbeat-interval'\?\)/],
      ['id: a\nsecret: do-not-print-me\n', /key 'secret': a secret does not go in the config file.*GRIDLINK_SECRET/],
    ];
    for (const [index, [text, expected]] of cases.entries()) {
      const proc = node(['--config', configFile(`bad-${index}.yaml`, text)]);
      expect(await proc.exited).toBe(2);
      expect(proc.output()).toMatch(expected);
      expect(proc.output()).not.toContain('do-not-print-me');
      expect(proc.output()).not.toMatch(/\n\s+at /);
    }
    const missing = node(['--config', join(dir, 'missing.yaml')]);
    expect(await missing.exited).toBe(2);
    expect(missing.output()).toMatch(/--config: cannot read '.*missing\.yaml' \(ENOENT\)/);
  });
});
