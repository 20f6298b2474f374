/** Small promise wrappers for the node's listener, and the one error a failed bind becomes. */
import type { Server } from 'node:http';
import type { WebSocketServer } from 'ws';
import { GridlinkError } from '../../core/errors.js';

const BIND_REASONS: Readonly<Record<string, string>> = {
  EADDRINUSE: 'the port is already in use',
  EACCES: 'permission denied (ports below 1024 need privileges)',
  EADDRNOTAVAIL: 'the address is not one of this machine\'s',
};

/** A socket that could not bind, as a coded error naming what, where and why (the raw error kept). */
export function listenFailure(what: string, host: string, port: number, cause: unknown): GridlinkError {
  const code = (cause as { code?: unknown } | null)?.code;
  const why = (typeof code === 'string' ? BIND_REASONS[code] : undefined) ?? (cause instanceof Error ? cause.message : String(cause));
  return new GridlinkError('GRIDLINK_LISTEN_FAILED', `${what} cannot listen on ${host}:${port}: ${why}${typeof code === 'string' ? ` (${code})` : ''}`, { cause });
}

export function listen(http: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const fail = (error: unknown): void => reject(listenFailure('the node', host, port, error));
    http.once('error', fail);
    http.listen(port, host, () => {
      http.off('error', fail);
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
