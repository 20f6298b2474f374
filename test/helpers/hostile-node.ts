/**
 * A hostile node: a real WebSocket server that speaks just enough gridlink to be dialled, then
 * misbehaves in a chosen way. It stands in for a broken or malicious server, not for a gridlink
 * node — the honest nodes in these tests are real node processes.
 */
import { WebSocketServer, type WebSocket } from 'ws';

export type Misbehaviour = (socket: WebSocket, hello: Record<string, unknown>, url: string) => void;

export interface HostileNode {
  readonly url: string;
  readonly hellos: number;
  close(): Promise<void>;
}

export async function startHostileNode(misbehave: Misbehaviour): Promise<HostileNode> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: (protocols) => (protocols.has('gridlink.v1') ? 'gridlink.v1' : false) });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const { port } = server.address() as { port: number };
  const url = `ws://127.0.0.1:${port}/`;
  let hellos = 0;
  server.on('connection', (socket) => {
    socket.once('message', (raw) => {
      hellos++;
      misbehave(socket, JSON.parse(String(raw)) as Record<string, unknown>, url);
    });
  });
  return {
    url,
    get hellos() {
      return hellos;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of server.clients) client.terminate();
        server.close(() => resolve());
      }),
  };
}

/** A welcome that passes validation, for misbehaviours that start by looking honest. */
export function welcomeFor(hello: Record<string, unknown>, url: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    t: 'welcome',
    v: 1,
    node: { id: 'hostile', url },
    session: hello.session,
    client: hello.client,
    resume: 'x',
    nodes: [{ id: 'hostile', url }],
    heartbeat: { intervalMs: 1000, timeoutMs: 10000 },
    members: [],
    base: {},
    ...extra,
  });
}
