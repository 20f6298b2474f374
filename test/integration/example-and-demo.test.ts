/** The example and the demo are run here, so neither can rot. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalCloud, type LocalCloud } from '../../dist/server.js';
import { run } from '../helpers/spawn.js';

let cloud: LocalCloud;
beforeAll(async () => {
  cloud = await startLocalCloud({ nodes: 2 });
});
afterAll(async () => {
  await cloud.stop();
});

describe('examples/chat.mjs', () => {
  it('two instances join one session, hear each other, and exit 0 on Ctrl-C', async () => {
    const env = { GRIDLINK_NODES: cloud.urls.join(','), GRIDLINK_SESSION: 'example' };
    const ann = run(process.execPath, ['examples/chat.mjs'], { env: { ...env, GRIDLINK_NAME: 'ann' } });
    const bob = run(process.execPath, ['examples/chat.mjs'], { env: { ...env, GRIDLINK_NAME: 'bob' } });
    try {
      await ann.waitForOutput('bob: hello #');
      await bob.waitForOutput('ann: hello #');
    } finally {
      ann.child.kill('SIGINT');
      bob.child.kill('SIGINT');
    }
    expect(await ann.exited).toBe(0);
    expect(await bob.exited).toBe(0);
    expect(ann.output()).toContain('bye');
  });
});

describe('gridlink demo', () => {
  it('runs by itself, survives kill, black hole and drain, and reports nothing lost, every request handled once, one shared map', async () => {
    const demo = run(process.execPath, ['dist/cli.js', 'demo']);
    const code = await demo.exited;
    const out = demo.output();
    expect(out, out).toContain('every message arrived exactly once');
    expect(out).toMatch(/SIGKILL: node \w+/);
    expect(out).toMatch(/black hole .*: node \w+/);
    expect(out).toMatch(/drain .*: node \w+/);
    // A request between two members and a shared `owner` key, across those failures.
    expect(out).toContain('every request was answered once and every member holds the same shared map');
    expect(out).toMatch(/support-1 requests: (\d+) asked, \1 answered, handler runs \1 \(each once\)/);
    expect(code).toBe(0);
  }, 120_000);
});
