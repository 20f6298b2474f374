import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startLocalCloud, type LocalCloud } from '../../dist/server.js';
import { sleep, waitFor } from '../helpers/wait.js';

// The local cloud as shipped: dist/server.js spawning dist/cli.js nodes, real processes behind real
// fault proxies. Waits are hang guards, never timing assertions (except the black-hole window).

const SERVER_JS = fileURLToPath(new URL('../../dist/server.js', import.meta.url));
const CLI_JS = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

let cloud: LocalCloud | undefined;
afterEach(async () => {
  await cloud?.stop();
  cloud = undefined;
});

/** Checks here may open a connection each (firstAnswer): poll gently. */
const POLL = { guardMs: 10_000, everyMs: 20 };

/** No such process — or a zombie nobody reaps yet (an orphan's reaper is outside this test's control). */
function gone(pid: number | undefined): boolean {
  if (pid === undefined) return true;
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z') === true;
  } catch {
    return true;
  }
}

function healthUrl(url: string): string {
  return `${url.replace(/^ws:/, 'http:')}/healthz`;
}

async function health(url: string): Promise<{ id: string }> {
  const response = await fetch(healthUrl(url), { signal: AbortSignal.timeout(5000) });
  expect(response.status).toBe(200);
  return (await response.json()) as { id: string };
}

function port(url: string): number {
  return Number(new URL(url).port);
}

/** A raw TCP connection to a proxy, recording what arrives and how it ends. */
async function rawConnection(url: string) {
  const socket = net.connect({ host: '127.0.0.1', port: port(url) });
  let data = '';
  let ended: { error?: string } | undefined;
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => (data += chunk));
  socket.on('error', (error: NodeJS.ErrnoException) => (ended = { error: error.code ?? error.message }));
  socket.on('close', () => (ended ??= {}));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return { socket, data: () => data, ended: () => ended };
}

/** Sends a hello for `session` to the node at `url` and returns the first frame it answers with. */
async function firstAnswer(url: string, session: string): Promise<{ t: string; node?: { id: string; url: string } }> {
  const ws = new WebSocket(url, 'gridlink.v1');
  try {
    return await new Promise((resolve, reject) => {
      const guard = setTimeout(() => reject(new Error('hang guard: no answer to hello')), 5000);
      ws.once('open', () => ws.send(JSON.stringify({ t: 'hello', v: 1, session, client: `probe-${Date.now()}`, recv: {}, members: [] })));
      ws.once('message', (data) => {
        clearTimeout(guard);
        resolve(JSON.parse(String(data)) as { t: string });
      });
      ws.once('error', reject);
    });
  } finally {
    ws.terminate();
  }
}

const getHealthz = 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n';

describe('local cloud', () => {
  it('starts three nodes, each answering /healthz through its own proxy', async () => {
    cloud = await startLocalCloud({ nodes: 3 });
    expect(cloud.nodes.map((node) => node.id)).toEqual(['a', 'b', 'c']);
    expect(cloud.urls).toEqual(cloud.nodes.map((node) => node.url));
    for (const node of cloud.nodes) {
      expect((await health(node.url)).id).toBe(node.id);
      const view = cloud.node(node.id);
      expect(view).toMatchObject({ state: 'running', blackholed: false });
      expect(gone(view.pid)).toBe(false);
    }
  });

  it('resolves with a formed cloud: every node already lists every node healthy, and places sessions alike', async () => {
    cloud = await startLocalCloud({ nodes: 3 });
    for (const node of cloud.nodes) {
      const res = await fetch(`${node.url.replace(/^ws/, 'http')}/.well-known/gridlink`);
      const doc = (await res.json()) as { nodes: Array<{ id: string; healthy: boolean }> };
      expect(doc.nodes.filter((n) => n.healthy).map((n) => n.id).sort()).toEqual(['a', 'b', 'c']);
      for (const session of ['s1', 's2', 's3', 's4']) {
        const host = (await (await fetch(`${node.url.replace(/^ws/, 'http')}/host?session=${session}`)).json()) as { host: { id: string } };
        expect(host.host.id).toBe(cloud.hostOf(session)?.id);
      }
    }
  });

  it("every node's welcome lists the cloud's nodes by id: one list, whichever node a client lands on", async () => {
    cloud = await startLocalCloud({ nodes: 3 });
    const lists = new Map<string, unknown>();
    for (let i = 0; lists.size < 3 && i < 200; i++) {
      const session = `order-${i}`;
      const host = cloud.hostOf(session);
      if (host === undefined || lists.has(host.id)) continue;
      const answer = (await firstAnswer(host.url, session)) as { t: string; node?: { id: string }; nodes?: Array<{ id: string; url: string }> };
      expect(answer.t).toBe('welcome');
      expect(answer.node?.id).toBe(host.id);
      lists.set(host.id, answer.nodes);
    }
    expect([...lists.keys()].sort()).toEqual(['a', 'b', 'c']);
    const expected = cloud.nodes.map((node) => ({ id: node.id, url: node.url })).sort((x, y) => x.id.localeCompare(y.id));
    for (const list of lists.values()) expect(list).toEqual(expected);
  });

  it('kill: the proxy resets connections, hostOf moves, restart comes back on the same URL', async () => {
    cloud = await startLocalCloud({ nodes: 3 });
    const session = 'support-42';
    const host = cloud.hostOf(session);
    if (host === undefined) throw new Error('no host');
    const before = cloud.node(host.id);
    const open = await rawConnection(host.url);

    await cloud.kill(host.id);
    expect(cloud.node(host.id).state).toBe('killed');
    expect(gone(before.pid)).toBe(true);
    await waitFor('an open connection sees the node die', () => open.ended() !== undefined, POLL);
    // A new connection is accepted by the proxy and then cut, as a refused upstream propagates.
    const late = await rawConnection(host.url);
    await waitFor('a new connection is cut', () => late.ended() !== undefined, POLL);
    expect(late.data()).toBe('');
    const next = cloud.hostOf(session);
    expect(next).toBeDefined();
    expect(next?.id).not.toBe(host.id);

    await cloud.restart(host.id);
    const after = cloud.node(host.id);
    expect(after).toMatchObject({ state: 'running', url: host.url });
    expect(after.pid).not.toBe(before.pid);
    expect((await health(host.url)).id).toBe(host.id);
    expect(cloud.hostOf(session)).toEqual(host);
    await expect(cloud.restart(host.id)).rejects.toMatchObject({ code: 'GRIDLINK_INVALID_ARGUMENT' });
  });

  it('takes a node by id or by what hostOf() returns; an unknown one rejects, never throws', async () => {
    cloud = await startLocalCloud({ nodes: 2 });
    const host = cloud.hostOf('by-ref');
    if (host === undefined) throw new Error('no host');
    await cloud.kill(host);
    expect(cloud.node(host).state).toBe('killed');
    const unknown = cloud.kill('zz');
    await expect(unknown).rejects.toMatchObject({ code: 'GRIDLINK_INVALID_ARGUMENT', message: expect.stringContaining("no node 'zz' in this local cloud (its nodes: a, b)") });
    // A caller's wrong type (e.g. hostOf() of an empty cloud, undefined) is named, not printed as [object Object].
    await expect(cloud.drain(undefined as unknown as string)).rejects.toMatchObject({ code: 'GRIDLINK_INVALID_ARGUMENT', message: expect.stringContaining('expected a node id or { id }, got undefined') });
    expect(() => cloud?.blackhole({ id: 'nope' })).toThrow(/no node 'nope'/);
  });

  it('blackhole keeps the TCP connection open but silent; heal brings it back', async () => {
    cloud = await startLocalCloud({ nodes: 2 });
    const url = cloud.urls[0] as string;
    const conn = await rawConnection(url);
    conn.socket.write(getHealthz);
    await waitFor('first answer', () => conn.data().includes('"id":"a"'), POLL);

    cloud.blackhole('a');
    expect(cloud.node('a').blackholed).toBe(true);
    expect(cloud.hostOf('s')?.id).toBe('b'); // a silent node is out of placement
    const answered = conn.data().length;
    conn.socket.write(getHealthz);
    await sleep(500); // the one window that asserts nothing happens
    expect(conn.data().length).toBe(answered);
    expect(conn.ended()).toBeUndefined();

    cloud.heal('a');
    expect(cloud.node('a').blackholed).toBe(false);
    expect((await health(url)).id).toBe('a');
  });

  it('peers reach each other through the proxies: a black-holed node leaves its peers\' placement', async () => {
    cloud = await startLocalCloud({ nodes: 2, peerHeartbeat: { intervalMs: 100, timeoutMs: 400 } });
    const a = cloud.nodes[0] as { id: string; url: string };
    const b = cloud.nodes[1] as { id: string; url: string };
    let session = 'probe-0';
    for (let i = 1; cloud.hostOf(session)?.id !== 'a'; i++) session = `probe-${i}`;
    // b knows a by its proxy URL and sends a's sessions there (once its peer link to a is up).
    await waitFor('b redirects to a', async () => (await firstAnswer(b.url, session)).t === 'redirect', POLL);
    expect((await firstAnswer(b.url, session)).node).toEqual(a);

    cloud.blackhole('a');
    await waitFor('b hosts once a is silent to it', async () => (await firstAnswer(b.url, session)).t === 'welcome', POLL);
    cloud.heal('a');
    await waitFor('b sends to a again after heal', async () => (await firstAnswer(b.url, session)).t === 'redirect', POLL);
  });

  it('reset cuts current connections with a TCP RST', async () => {
    cloud = await startLocalCloud({ nodes: 1 });
    const conn = await rawConnection(cloud.urls[0] as string);
    cloud.reset('a');
    await waitFor('the reset arrives', () => conn.ended() !== undefined, POLL);
    expect(conn.ended()?.error).toBe('ECONNRESET');
    expect((await health(cloud.urls[0] as string)).id).toBe('a'); // the node itself is fine
  });

  it('drain makes the child exit with code 0', async () => {
    cloud = await startLocalCloud({ nodes: 2 });
    const pidA = cloud.node('a').pid;
    const pidB = cloud.node('b').pid;
    await cloud.drain('a'); // SIGTERM; rejects unless the exit code is 0
    expect(cloud.node('a').state).toBe('drained');
    expect(gone(pidA)).toBe(true);
    await cloud.drain('b', { deadlineMs: 200 }); // the control line, which carries a deadline
    expect(cloud.node('b').state).toBe('drained');
    expect(gone(pidB)).toBe(true);
    expect(cloud.hostOf('s')).toBeUndefined();
  });

  it('stop leaves no child processes and no proxies, and is idempotent', async () => {
    cloud = await startLocalCloud({ nodes: 3 });
    const pids = cloud.nodes.map((node) => cloud?.node(node.id).pid);
    const urls = cloud.urls;
    await Promise.all([cloud.stop(), cloud.stop()]);
    for (const pid of pids) expect(gone(pid)).toBe(true);
    for (const node of cloud.nodes) expect(cloud.node(node.id).state).toBe('stopped');
    await expect(rawConnection(urls[0] as string)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await expect(cloud.kill('a')).rejects.toMatchObject({ code: 'GRIDLINK_CLOSED' });
  });

  it('honours its AbortSignal before and after start', async () => {
    await expect(startLocalCloud({ signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'GRIDLINK_ABORTED' });
    const controller = new AbortController();
    cloud = await startLocalCloud({ nodes: 2, signal: controller.signal });
    const pids = cloud.nodes.map((node) => cloud?.node(node.id).pid);
    controller.abort();
    await waitFor('abort stops the cloud', () => pids.every(gone) && cloud?.node('a').state === 'stopped', POLL);
  });

  it('reports a node that cannot start with a clear error, leaving nothing behind', async () => {
    const error = await startLocalCloud({ nodes: 2, cliPath: '/nonexistent/gridlink-cli.js' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'GRIDLINK_CONNECT_FAILED' });
    expect(String((error as Error).message)).toMatch(/before it was listening[\s\S]*Cannot find module/);
    await expect(startLocalCloud({ nodes: 27 })).rejects.toMatchObject({ code: 'GRIDLINK_INVALID_OPTION' });
    await expect(startLocalCloud({ ids: ['a', 'a'] })).rejects.toMatchObject({ code: 'GRIDLINK_INVALID_OPTION' });
  });
});

describe('local cloud children die with the parent', () => {
  // A parent process that starts a cloud, prints the children's pids, then waits or exits.
  async function parentWithCloud(then: 'exit' | 'wait') {
    const script = `
      import { startLocalCloud } from ${JSON.stringify(SERVER_JS)};
      const cloud = await startLocalCloud({ nodes: 2 });
      console.log(JSON.stringify(cloud.nodes.map((n) => cloud.node(n.id).pid)));
      ${then === 'exit' ? 'process.exit(0);' : 'setInterval(() => {}, 1000);'}
    `;
    const parent = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<void>((resolve) => parent.once('exit', () => resolve()));
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: parent.stdout }).once('line', resolve);
      parent.once('exit', (code) => reject(new Error(`parent exited (${code}) before printing pids`)));
    });
    return { parent, exited, pids: JSON.parse(line) as number[] };
  }

  it('when the parent exits without stop()', async () => {
    const { pids, exited } = await parentWithCloud('exit');
    await exited;
    await waitFor('children killed on parent exit', () => pids.every(gone), POLL);
  });

  it('when the parent is SIGKILLed (the children see their stdin close)', async () => {
    const { parent, pids, exited } = await parentWithCloud('wait');
    expect(pids.some(gone)).toBe(false);
    parent.kill('SIGKILL');
    await exited;
    await waitFor('orphaned children exit', () => pids.every(gone), POLL);
  });
});

describe('gridlink node (the CLI the cloud runs)', () => {
  it('prints its listening line and exits 0 on SIGTERM', async () => {
    const child = spawn(process.execPath, [CLI_JS, 'node', '--id', 'solo', '--port', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, GRIDLINK_SECRET: 'test-secret' },
    });
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const line = await new Promise<string>((resolve) => createInterface({ input: child.stdout }).once('line', resolve));
    const record = JSON.parse(line) as { event: string; id: string; port: number; url: string };
    expect(record).toMatchObject({ event: 'listening', id: 'solo', url: `ws://127.0.0.1:${record.port}` });
    expect((await health(record.url)).id).toBe('solo');
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
  });

  it('drains and exits 0 on a SIGTERM sent the moment it announces itself', async () => {
    // Regression: the line used to go out before the handlers were installed, so a parent that
    // signalled at once sometimes hit Node's default action (killed by SIGTERM, no drain).
    const runs = Array.from({ length: 8 }, async (_, index) => {
      const child = spawn(process.execPath, [CLI_JS, 'node', '--id', `quick-${index}`, '--port', '0'], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, GRIDLINK_SECRET: 'test-secret' },
      });
      const exit = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
        child.once('exit', (code, signal) => resolve({ code, signal })),
      );
      createInterface({ input: child.stdout }).once('line', () => child.kill('SIGTERM'));
      return exit;
    });
    for (const exit of await Promise.all(runs)) expect(exit).toEqual({ code: 0, signal: null });
  });
});
