/**
 * Credentials never leave the hello: a client with a `token`, in a cloud with a `secret`, goes
 * through a join, a migration (its host SIGKILLed) and failures (an unreachable cloud, a refused
 * token), with loggers on the clients, the local cloud's nodes and an in-process node. Everything
 * they log, every event payload and every error (message, stack, cause chain) is scanned for the
 * token, the cloud's secret and anything shaped like a resume token.
 */
import { inspect } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { connect, type Client, type ConnectOptions, type Logger } from '../../dist/node.js';
import { startLocalCloud, startNode, type LocalCloud, type NodeServer } from '../../dist/server.js';
import { waitFor } from '../helpers/wait.js';

const TOKEN = `SECRET-TOKEN-${Math.random().toString(36).slice(2)}`;
const CLOUD_SECRET = `cloud-secret-${Math.random().toString(36).slice(2)}`;
/** `g1.<expiry>.<HMAC-SHA256, base64url>`: what a node's welcome carries (see src/server/tokens.ts). */
const RESUME_TOKEN = /g1\.[0-9a-z]{1,12}\.[A-Za-z0-9_-]{43}/;

/** Everything emitted anywhere, kept as values so the scan sees nested fields and causes too. */
const emitted: unknown[] = [];
let logRecords = 0;

function capture(source: string): Logger {
  const at =
    (level: string) =>
    (message: string, fields?: Record<string, unknown>): void => {
      logRecords++;
      emitted.push({ source, level, message, fields });
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

function watched(name: string, options: Omit<ConnectOptions, 'logger'>): Client {
  const client = connect({ ...options, logger: capture(`client ${name}`) });
  for (const event of ['state', 'message', 'migrated', 'joined', 'left', 'error', 'nodes'] as const) {
    client.on(event, (...args: unknown[]) => emitted.push({ event, args }));
  }
  client.ready.catch((error: unknown) => emitted.push({ ready: error }));
  return client;
}

/** Text of a value, errors in full: message, stack and the whole cause chain (inspect walks it). */
function text(value: unknown): string {
  const parts = [inspect(value, { depth: 12, breakLength: Infinity, maxArrayLength: Infinity, maxStringLength: Infinity })];
  for (let error: unknown = value, hops = 0; error instanceof Error && hops < 16; error = error.cause, hops++) {
    parts.push(error.message, error.stack ?? '');
  }
  try {
    parts.push(JSON.stringify(value) ?? '');
  } catch {
    // cycles: inspect has it
  }
  return parts.join('\n');
}

const clients: Client[] = [];
let cloud: LocalCloud | undefined;
let guard: NodeServer | undefined;

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await cloud?.stop();
  await guard?.close();
});

describe('no secrets anywhere', () => {
  it('logs, events and errors never carry the token, the cloud secret or a resume token', async () => {
    cloud = await startLocalCloud({ nodes: 3, secret: CLOUD_SECRET, logger: capture('cloud'), heartbeat: { intervalMs: 200, timeoutMs: 1000 } });
    const options = { session: 'vault', nodes: cloud.urls, token: TOKEN, heartbeat: { intervalMs: 200, timeoutMs: 1000 } };
    const ann = watched('ann', { ...options, clientId: 'ann' });
    const bob = watched('bob', { ...options, clientId: 'bob' });
    clients.push(ann, bob);
    await Promise.all([ann.ready, bob.ready]);
    await waitFor('ann to see bob', () => ann.members.has('bob'));
    let got = 0;
    bob.on('message', () => got++);
    ann.send('before');

    // Migration: the host dies without a word; both move, resuming with their tokens.
    const host = ann.node?.id as string;
    const deadUrl = ann.node?.url as string;
    const migrated = Promise.all([ann, bob].map((c) => new Promise((resolve) => c.once('migrated', resolve))));
    await cloud.kill(host);
    await migrated;
    ann.send('after');
    await waitFor('both messages', () => got === 2);

    // Failures: a cloud that cannot be reached (the dead node only), and a token a node refuses.
    const lost = watched('lost', { session: 'vault', nodes: [deadUrl], token: TOKEN, connectTimeoutMs: 200, retry: { minDelayMs: 10, maxDelayMs: 50, maxElapsedMs: 300 } });
    guard = await startNode({ id: 'guard', secret: CLOUD_SECRET, logger: capture('guard'), authenticate: () => false });
    const refused = watched('refused', { session: 'vault', nodes: [guard.url], token: TOKEN });
    const thrower = watched('thrower', { session: 'vault', nodes: [guard.url], getToken: () => TOKEN });
    clients.push(lost, refused, thrower);
    await Promise.allSettled([lost.ready, refused.ready]);
    expect(lost.state).toBe('failed');
    expect(refused.state).toBe('failed');
    await waitFor('the getToken client to be refused at least once', () => emitted.some((e) => text(e).includes('GRIDLINK_UNAUTHORIZED') && text(e).includes('thrower')), 10_000);
    await thrower.close();
    await Promise.all([ann.close(), bob.close()]);
    await cloud.stop();
    cloud = undefined;

    // The scan saw real traffic: logs, a migration, the failures.
    expect(logRecords).toBeGreaterThan(10);
    const all = emitted.map(text).join('\n');
    expect(all).toContain('GRIDLINK_UNAUTHORIZED');
    expect(emitted.some((e) => (e as { event?: string }).event === 'migrated')).toBe(true);
    for (const [i, entry] of emitted.entries()) {
      const t = text(entry);
      expect(t.includes(TOKEN), `entry ${i} carries the token: ${t.slice(0, 500)}`).toBe(false);
      expect(t.includes(CLOUD_SECRET), `entry ${i} carries the cloud secret: ${t.slice(0, 500)}`).toBe(false);
      expect(RESUME_TOKEN.test(t), `entry ${i} carries a resume token: ${t.slice(0, 500)}`).toBe(false);
    }
  });
});
