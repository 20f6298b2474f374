/**
 * An in-memory WebSocket for the unit ring: the test script plays the node. Every frame the client
 * sends is recorded in `sent` and handed to `onFrame` on a microtask; `push` is the node speaking,
 * `drop` the node vanishing (a reset).
 */
import type { WebSocketLike } from '../../src/platform/types.js';

type Listener = (event: never) => void;

export class FakeSocket implements WebSocketLike {
  readyState = 0;
  bufferedAmount = 0;
  protocol = 'gridlink.v1';
  binaryType = 'arraybuffer';
  readonly sent: Array<Record<string, unknown>> = [];
  readonly #listeners = new Map<string, Listener[]>();

  constructor(
    readonly url: string,
    private readonly onFrame: (socket: FakeSocket, frame: Record<string, unknown>) => void,
    /** The IP address the client asked to dial, if any (resolution through the cloud's DNS). */
    readonly address?: string,
  ) {}

  addEventListener(type: string, listener: Listener): void {
    this.#listeners.set(type, [...(this.#listeners.get(type) ?? []), listener]);
  }

  removeEventListener(type: string, listener: Listener): void {
    this.#listeners.set(type, (this.#listeners.get(type) ?? []).filter((l) => l !== listener));
  }

  listenerCount(type: string): number {
    return this.#listeners.get(type)?.length ?? 0;
  }

  emit(type: string, event: unknown): void {
    for (const listener of this.#listeners.get(type) ?? []) (listener as (e: unknown) => void)(event);
  }

  open(): void {
    this.readyState = 1;
    this.emit('open', {});
  }

  send(data: string): void {
    const frame = JSON.parse(data) as Record<string, unknown>;
    this.sent.push(frame);
    queueMicrotask(() => this.onFrame(this, frame));
  }

  /** The node says something. */
  push(frame: Record<string, unknown>): void {
    if (this.readyState === 1) this.emit('message', { data: JSON.stringify(frame) });
  }

  close(code = 1000, reason = ''): void {
    if (this.readyState >= 2) return;
    this.readyState = 3;
    queueMicrotask(() => this.emit('close', { code, reason, wasClean: true }));
  }

  /** The node vanishes (a reset). */
  drop(): void {
    this.close(1006, '');
  }
}

/** A node id from its test URL: `ws://a.test/` is node `a`. */
export const idOf = (url: string): string => new URL(url).hostname.split('.')[0] as string;

/** The node at `socket` welcomes `hello`, advertising the nodes at `nodeUrls`, with `members`. */
export function welcomeOn(socket: FakeSocket, hello: Record<string, unknown>, nodeUrls: readonly string[], members: string[]): void {
  socket.push({
    t: 'welcome',
    v: 1,
    node: { id: idOf(socket.url), url: socket.url },
    session: hello.session,
    client: hello.client,
    resume: 'token',
    nodes: nodeUrls.map((url) => ({ id: idOf(url), url })),
    heartbeat: { intervalMs: 1000, timeoutMs: 10000 },
    members,
    base: {},
  });
}
