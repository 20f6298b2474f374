/** Small promise wrappers for the node's listener. */
import type { Server } from 'node:http';
import type { WebSocketServer } from 'ws';

export function listen(http: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    http.once('error', reject);
    http.listen(port, host, () => {
      http.off('error', reject);
      resolve();
    });
  });
}

/** Resolves when every upgraded socket is gone, or after `ms`. */
export function waitForSockets(wss: WebSocketServer, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const started = Date.now();
    const check = (): void => {
      if (wss.clients.size === 0 || Date.now() - started >= ms) resolve();
      else setTimeout(check, 10);
    };
    check();
  });
}
