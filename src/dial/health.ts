/**
 * One health probe: `GET /healthz` on a node's host and port (http for ws://, https for wss://),
 * dialled like its WebSocket (by its resolved address, Host and SNI its name), with a timeout. Used
 * by the `latency` policy (the round trip) and by `gridlink probe` (the round trip and the body).
 * Failures are classified here, once, like a dial's.
 */
import { abortError, linkedController } from '../core/abort.js';
import { ConnectError, GridlinkError } from '../core/errors.js';
import { describeNetworkError } from './classify.js';
import { setUnrefTimeout } from '../core/timers.js';
import type { Platform } from '../platform/types.js';
import type { NodeInfo } from '../protocol/frames.js';

export interface NodeHealth {
  readonly id?: string;
  readonly status?: string;
  readonly load?: { readonly links?: number; readonly sessions?: number };
}

export interface HealthProbe {
  readonly rttMs: number;
  readonly health: NodeHealth;
}

export interface ProbeOptions {
  /** Give up after this long; without it, only `signal` ends the request. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** `ws://h:p/x` → `http://h:p/<path>`. */
export function httpUrlOf(nodeUrl: string, path: string): string {
  const url = new URL(nodeUrl);
  url.protocol = url.protocol === 'wss:' ? 'https:' : 'http:';
  const [pathname, search] = path.split('?') as [string, string | undefined];
  url.pathname = pathname;
  url.search = search === undefined ? '' : `?${search}`;
  url.hash = '';
  return url.href;
}

/** GET `path` on the node and parse its JSON body; rejects with a classified `ConnectError`. */
export async function getJson(platform: Platform, node: NodeInfo & { readonly address?: string }, path: string, options: ProbeOptions): Promise<{ rttMs: number; body: unknown }> {
  const fetch = platform.fetch;
  if (fetch === undefined) throw new ConnectError('GRIDLINK_CONNECT_FAILED', `this platform cannot make HTTP requests`, { retriable: false });
  const url = httpUrlOf(node.url, path);
  const { controller, dispose } = linkedController(options.signal);
  let timedOut = false;
  const timer =
    options.timeoutMs === undefined
      ? undefined
      : setUnrefTimeout(() => {
          timedOut = true;
          controller.abort();
        }, options.timeoutMs);
  const started = platform.now();
  try {
    const response = await fetch(url, {
      signal: controller.signal,
      ...(node.address === undefined ? {} : { address: node.address }),
      ...(node.cookie === undefined ? {} : { cookie: node.cookie }),
    });
    const rttMs = platform.now() - started;
    // Read the body either way: an unread body holds the keep-alive connection.
    const body = await response.json().catch((cause: unknown) => cause);
    if (response.status !== 200) throw new ConnectError('GRIDLINK_CONNECT_FAILED', `${url} answered HTTP ${response.status}`, { retriable: true });
    if (body instanceof Error) throw new ConnectError('GRIDLINK_PROTOCOL', `${url} did not answer JSON`, { cause: body, retriable: true });
    return { rttMs, body };
  } catch (error) {
    if (options.signal?.aborted === true) throw abortError(options.signal, `GET ${url}`);
    if (timedOut) throw new ConnectError('GRIDLINK_TIMEOUT', `no answer from ${url} within ${options.timeoutMs} ms`, { cause: error, retriable: true });
    if (error instanceof GridlinkError) throw error;
    throw new ConnectError('GRIDLINK_CONNECT_FAILED', `could not reach ${url} (${describe(error, platform.describeError)})`, { cause: error, retriable: true });
  } finally {
    clearTimeout(timer);
    dispose();
  }
}

/** The node's `/healthz`: round trip and what it says about itself (fields it lacks stay undefined). */
export async function probeHealth(platform: Platform, node: NodeInfo & { readonly address?: string }, options: ProbeOptions): Promise<HealthProbe> {
  const { rttMs, body } = await getJson(platform, node, '/healthz', options);
  return { rttMs, health: parseHealth(body) };
}

function parseHealth(body: unknown): NodeHealth {
  if (typeof body !== 'object' || body === null) return {};
  const b = body as Record<string, unknown>;
  const load = typeof b.load === 'object' && b.load !== null ? (b.load as Record<string, unknown>) : undefined;
  const count = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
  return {
    ...(typeof b.id === 'string' ? { id: b.id.slice(0, 128) } : {}),
    ...(typeof b.status === 'string' ? { status: b.status.slice(0, 32) } : {}),
    ...(load === undefined ? {} : { load: { links: count(load.links), sessions: count(load.sessions) } }),
  };
}

function describe(error: unknown, platformDescribe: Platform['describeError']): string {
  let cause: unknown = error;
  // undici's fetch wraps the socket error: "fetch failed" with the real one as `cause`.
  while (cause instanceof Error && cause.cause instanceof Error) cause = cause.cause;
  return describeNetworkError(cause, platformDescribe) ?? String(error);
}
