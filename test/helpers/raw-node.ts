/**
 * Nodes in-process and raw `ws` clients that speak frames by hand, for tests of the server kit
 * against real sockets. Every wait is a hang guard, never a timed assertion.
 */
import { WebSocket } from 'ws';
import { rendezvousOwner } from '../../src/protocol/rendezvous.js';
import { startNode, type NodeServer, type NodeServerOptions } from '../../src/server/node/node-server.js';
import { freePorts } from './ports.js';
import { waitFor } from './wait.js';

export { freePorts };

export type Frame = { t: string; [key: string]: unknown };

export const HANG_GUARD_MS = 5000;
const nodes: NodeServer[] = [];
export const sockets: WebSocket[] = [];
export const cleanups: Array<() => Promise<void> | void> = [];

/** Closes every socket, node and extra resource the last test opened; call from `afterEach`. */
export async function cleanupAll(): Promise<void> {
  for (const ws of sockets.splice(0)) ws.terminate();
  await Promise.all(nodes.splice(0).map((node) => node.close()));
  for (const cleanup of cleanups.splice(0)) await cleanup();
}

export async function node(options: NodeServerOptions): Promise<NodeServer> {
  const started = await startNode(options);
  nodes.push(started);
  return started;
}

/** A cloud of peered nodes, returned once every node sees every other alive. */
export async function cloud(ids: string[], extra: Partial<NodeServerOptions> = {}): Promise<NodeServer[]> {
  const ports = await freePorts(ids.length);
  const peers = ids.map((id, i) => ({ id, url: `ws://127.0.0.1:${ports[i]}` }));
  const started = await Promise.all(ids.map((id, i) => node({ id, port: ports[i], peers, secret: 'cloud-secret', ...extra })));
  await waitFor('peers to see each other', () => started.every((n) => n.stats().alivePeers.length === ids.length - 1), HANG_GUARD_MS);
  return started;
}

/** A session id whose rendezvous owner among `ids` is `owner`. */
export function sessionOwnedBy(owner: string, ids: string[], prefix = 'room'): string {
  for (let i = 0; ; i++) {
    const session = `${prefix}-${i}`;
    if (rendezvousOwner(session, ids, (id) => id) === owner) return session;
  }
}

export class RawClient {
  private readonly frames: Frame[] = [];
  private wake: (() => void) | undefined;
  private pingId = 1;
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      if (!isBinary) this.frames.push(JSON.parse(data.toString()) as Frame);
      this.wake?.();
    });
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    ws.on('error', () => {});
  }

  static async open(url: string): Promise<RawClient> {
    const ws = new WebSocket(url, 'gridlink.v1');
    sockets.push(ws);
    const client = new RawClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return client;
  }

  send(frame: Frame): void {
    this.ws.send(JSON.stringify(frame));
  }

  /** Next frame (of type `t`, when given), consuming it and everything before it of other types. */
  async next(t?: string): Promise<Frame> {
    const deadline = Date.now() + HANG_GUARD_MS;
    for (;;) {
      const index = this.frames.findIndex((f) => t === undefined || f.t === t);
      if (index >= 0) return this.frames.splice(0, index + 1).at(-1) as Frame;
      if (Date.now() > deadline) throw new Error(`timed out waiting for '${t ?? 'any'}' frame; have ${JSON.stringify(this.frames)}`);
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, 50);
      });
    }
  }

  /** Round trip to the node: everything it sent before answering is buffered here afterwards. */
  async sync(): Promise<void> {
    const id = this.pingId++;
    this.send({ t: 'ping', id });
    await waitFor(`the pong to ping ${id}`, () => this.frames.some((f) => f.t === 'pong' && f.id === id), HANG_GUARD_MS);
    this.frames.splice(this.frames.findIndex((f) => f.t === 'pong' && f.id === id), 1);
  }

  /** Frames of type `t` received and not consumed yet. */
  pending(t: string): Frame[] {
    return this.frames.filter((f) => f.t === t);
  }
}

export interface HelloExtra {
  recv?: Record<string, number>;
  members?: string[];
  resume?: string;
  failed?: string[];
  via?: string;
}

export function hello(session: string, client: string, extra: HelloExtra = {}): Frame {
  return { t: 'hello', v: 1, session, client, recv: {}, members: [], ...extra };
}

export async function join(n: NodeServer | string, session: string, client: string, extra: HelloExtra = {}): Promise<{ c: RawClient; welcome: Frame }> {
  const c = await RawClient.open(typeof n === 'string' ? n : n.url);
  c.send(hello(session, client, extra));
  const first = await c.next();
  if (first.t !== 'welcome') throw new Error(`expected welcome, got ${JSON.stringify(first)}`);
  return { c, welcome: first };
}
