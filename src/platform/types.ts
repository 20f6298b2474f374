/**
 * What gridlink needs from the platform it runs on. Each platform entry (`src/node.ts`,
 * `src/browser.ts`) builds one of these and passes it to `createClient`; nothing else in the code
 * imports undici or looks at `globalThis` to guess where it runs. A platform is per client instance,
 * never a module-wide setting, so two clients with different platforms cannot disturb each other.
 */

/** The subset of the WHATWG WebSocket that gridlink uses; undici's and the browser's both fit. */
export interface WebSocketLike {
  readonly readyState: number;
  readonly bufferedAmount: number;
  readonly protocol: string;
  binaryType: string;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open', listener: () => void): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  addEventListener(type: 'close', listener: (event: { code: number; reason: string; wasClean: boolean }) => void): void;
  addEventListener(type: 'error', listener: (event: unknown) => void): void;
}

export interface OpenWebSocketOptions {
  readonly protocols: string[];
  /** Extra handshake headers (Node only; browsers cannot set them and ignore this). */
  readonly headers?: Record<string, string>;
}

export interface Platform {
  readonly name: 'node' | 'browser';
  openWebSocket(url: string, options: OpenWebSocketOptions): WebSocketLike;
  /** Monotonic clock in milliseconds. */
  now(): number;
}
