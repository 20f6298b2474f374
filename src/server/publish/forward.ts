/**
 * A publish forwarded to the session's host: the host's own HTTP route, called with the cloud's
 * publish key and marked as forwarded (`gridlink-forwarded-by`), so the host delivers it itself.
 * The host's answer (or failure) becomes this node's answer; a host that cannot be reached is a
 * retriable `GRIDLINK_PUBLISH_FAILED`.
 */
import { GridlinkError, SessionError, type ErrorCode } from '../../core/errors.js';
import type { PublishResult } from './publish-api.js';

export const FORWARDED_BY = 'gridlink-forwarded-by';

export interface ForwardTarget {
  /** The host's URL as peers reach it (ws:// or wss://; its HTTP routes share the port). */
  readonly url: string;
  readonly node: string;
  /** This node's id, for the host's log and to stop a second hop. */
  readonly from: string;
  readonly key: string;
}

/** `ws://h:p/x` → `http://h:p/sessions/<id>/messages` (wss → https). */
export function publishUrl(nodeUrl: string, session: string): string {
  const url = new URL(nodeUrl);
  url.protocol = url.protocol === 'wss:' ? 'https:' : 'http:';
  url.pathname = `/sessions/${encodeURIComponent(session)}/messages`;
  url.search = '';
  return url.href;
}

export async function forwardPublish(target: ForwardTarget, session: string, id: string, data: string | Uint8Array, timeoutMs: number, signal: AbortSignal): Promise<PublishResult> {
  let status: number;
  let body: unknown;
  try {
    // Loaded on a node's first forward: most nodes never forward, and undici is a tenth of a node's memory.
    const { request } = await import('undici');
    const response = await request(publishUrl(target.url, session), {
      method: 'POST',
      headers: {
        authorization: `Bearer ${target.key}`,
        'idempotency-key': id,
        'content-type': typeof data === 'string' ? 'text/plain; charset=utf-8' : 'application/octet-stream',
        [FORWARDED_BY]: target.from,
        'gridlink-timeout-ms': String(timeoutMs),
      },
      body: data,
      signal,
    });
    status = response.statusCode;
    body = await response.body.json().catch(() => undefined);
  } catch (cause) {
    if (signal.aborted) throw cause;
    throw new GridlinkError('GRIDLINK_PUBLISH_FAILED', `could not reach node '${target.node}', the session's host: retry with the same idempotencyKey`, { retriable: true, cause });
  }
  const answer = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  if (status === 200 && (answer.status === 'delivered' || answer.status === 'no-members') && typeof answer.members === 'number') {
    const away = typeof answer.away === 'number' ? answer.away : 0; // a host older than `away`
    return answer.status === 'delivered' ? { status: 'delivered', id, members: answer.members, away } : { status: 'no-members', id, members: 0 };
  }
  const code = typeof answer.code === 'string' && answer.code.startsWith('GRIDLINK_') ? (answer.code as ErrorCode) : 'GRIDLINK_PUBLISH_FAILED';
  const message = `node '${target.node}' (the session's host) answered ${status}: ${typeof answer.message === 'string' ? answer.message.slice(0, 300) : 'no reason given'}`;
  if (code === 'GRIDLINK_MESSAGE_TOO_LARGE') throw new SessionError(code, message);
  // 5xx and a timeout are worth a retry (the host may be draining or dying); a refusal is not.
  throw new GridlinkError(code, message, { retriable: status >= 500 || code === 'GRIDLINK_TIMEOUT' });
}
