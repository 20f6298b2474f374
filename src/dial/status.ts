/**
 * The client's question to the cloud (docs/protocol.md, "Asking the cloud"): `GET /status?node=<id>`
 * on the session's successor, dialled like its WebSocket (resolved address, cookie), answered with
 * `{"node":"<id>","status":"alive"|"dead"|"unknown"}`. A plain GET without custom headers, so a
 * browser page asks it cross-origin without a preflight, as it reads `/healthz`.
 *
 * The successor is asked, not any node: its view of the host is the one that decides whether it
 * takes the session when we arrive, and it is the node we dial next when the answer is `dead`.
 * Anything but a well-formed answer from it is `unknown`: the timeout rule decides then.
 */
import { successorOf } from '../choose/successor.js';
import { linkedController } from '../core/abort.js';
import { setUnrefTimeout } from '../core/timers.js';
import type { Platform } from '../platform/types.js';
import type { NodeInfo, WelcomeFrame } from '../protocol/frames.js';
import type { NodeList } from '../resolve/node-list.js';
import { httpUrlOf } from './health.js';

export const STATUS_PATH = '/status';

/** What a node of the cloud says about another: see docs/protocol.md, "Asking the cloud". */
export type Verdict = 'alive' | 'dead' | 'unknown';

export interface StatusQuestion {
  /** The quiet host's welcome: its id, the session id, and the cloud's nodes as the host knew them. */
  readonly welcome: Pick<WelcomeFrame, 'session' | 'node'> & { readonly nodes: readonly NodeInfo[] };
  /** Aborts when the answer no longer matters (a frame arrived, the link ended). */
  readonly signal: AbortSignal;
  /** Give up after this long (the heartbeat timeout decides by then anyway). */
  readonly timeoutMs: number;
}

/** Asks the session's successor whether the host that welcomed us is gone. Never rejects: a failure is `unknown`. */
export async function askCloud(platform: Platform, nodes: NodeList, question: StatusQuestion): Promise<Verdict> {
  const { welcome, signal, timeoutMs } = question;
  const host = welcome.node.id;
  const successor = successorOf(welcome.session, welcome.nodes, host);
  const fetch = platform.fetch;
  if (successor === undefined || fetch === undefined) return 'unknown';
  // Every failure is the same `unknown`, so nothing here classifies errors (the browser core pays for every byte).
  const { controller, dispose } = linkedController(signal);
  const timer = setUnrefTimeout(() => controller.abort(), timeoutMs);
  try {
    // Only a node of the configured cloud is asked (and trusted): the welcome's list is checked as for a migration.
    const entry = nodes.check(successor, 'the welcome');
    const response = await fetch(httpUrlOf(entry.url, `${STATUS_PATH}?node=${encodeURIComponent(host)}`), { signal: controller.signal, address: entry.address, cookie: entry.cookie });
    // Read the body either way: an unread body holds the keep-alive connection.
    const body: unknown = await response.json().catch(() => undefined);
    return response.status === 200 ? parseVerdict(body, host) : 'unknown';
  } catch {
    return 'unknown';
  } finally {
    clearTimeout(timer);
    dispose();
  }
}

/** The verdict in a `/status` body about `id`, or `unknown` for anything else. */
export function parseVerdict(body: unknown, id: string): Verdict {
  if (typeof body !== 'object' || body === null) return 'unknown';
  const { node, status } = body as Record<string, unknown>;
  if (node !== id) return 'unknown';
  return status === 'alive' || status === 'dead' ? status : 'unknown';
}
