/**
 * `POST /sessions/{id}/messages`: a backend publishes into a session (publish/publisher.ts does
 * the work). Off unless the node's `publish` option is set; every request needs
 * `Authorization: Bearer <key>`. Not for pages: no CORS headers, since a key in a page is a key
 * for everyone.
 *
 *   body          text/plain (UTF-8) → members get a string; application/octet-stream → bytes
 *   headers       Idempotency-Key: <id> (optional; a retry with it is delivered once)
 *   query         timeoutMs=<1..60000> (optional; default 5000)
 *   200           {"status":"delivered","id","members","away"} | {"status":"no-members","id","members":0}
 *   4xx/5xx       {"code":"GRIDLINK_…","message"}: 400 bad argument, 401 key, 405 method, 413 too
 *                 large, 415 content type, 503 try again (draining, host unreachable), 504 timeout
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isGridlinkError, type ErrorCode } from '../../core/errors.js';
import { bearerMatches } from './bearer.js';
import { FORWARDED_BY } from '../publish/forward.js';
import type { PublishConfig } from '../publish/publish-options.js';
import type { Publisher } from '../publish/publisher.js';
import type { NodeTally, PublishStatus } from '../metrics/tally.js';

export const PUBLISH_PATH = /^\/sessions\/([^/]+)\/messages$/;

export interface PublishRoute {
  readonly config: PublishConfig | undefined;
  readonly publisher: Publisher;
  /** Counts answers by status for `/metrics`. */
  readonly tally: Pick<NodeTally, 'publishRequests'>;
}

/** Serves the request when its path is a publish's; false for any other path. */
export function handlePublish(req: IncomingMessage, res: ServerResponse, route: PublishRoute): boolean {
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  const match = PUBLISH_PATH.exec(path);
  if (match?.[1] === undefined) return false;
  // Counted once answered, by the status it was answered with (an asker that hung up first is not).
  res.once('close', () => {
    const status = String(res.statusCode) as PublishStatus;
    if (res.headersSent && status in route.tally.publishRequests) route.tally.publishRequests[status]++;
  });
  servePublish(req, res, new URL(req.url ?? '/', 'http://node'), match[1], route);
  return true;
}

const STATUS: Partial<Record<ErrorCode, number>> = {
  GRIDLINK_INVALID_ARGUMENT: 400,
  GRIDLINK_UNAUTHORIZED: 401,
  GRIDLINK_MESSAGE_TOO_LARGE: 413,
  GRIDLINK_BUSY: 503,
  GRIDLINK_CLOSED: 503,
  GRIDLINK_PUBLISH_FAILED: 503,
  GRIDLINK_ABORTED: 503,
  GRIDLINK_TIMEOUT: 504,
};

function answer(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers }).end(JSON.stringify(body));
}

function refuse(res: ServerResponse, status: number, code: ErrorCode, message: string, headers: Record<string, string> = {}): void {
  answer(res, status, { code, message }, status === 503 ? { 'retry-after': '1', ...headers } : headers);
}

/** Serves a request whose path matched PUBLISH_PATH (`sessionPart` is its still-encoded id). */
function servePublish(req: IncomingMessage, res: ServerResponse, url: URL, sessionPart: string, route: PublishRoute): void {
  if (route.config === undefined) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found (publishing is off on this node)\n');
    return;
  }
  if (req.method !== 'POST') return refuse(res, 405, 'GRIDLINK_INVALID_ARGUMENT', 'publish with POST', { allow: 'POST' });
  if (!bearerMatches(req.headers.authorization, route.config.keyHashes)) {
    return refuse(res, 401, 'GRIDLINK_UNAUTHORIZED', 'publishing needs Authorization: Bearer <publish key>', { 'www-authenticate': 'Bearer' });
  }
  let session: string;
  try {
    session = decodeURIComponent(sessionPart);
  } catch {
    return refuse(res, 400, 'GRIDLINK_INVALID_ARGUMENT', 'the session id in the path is not valid percent-encoding');
  }
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'text/plain' && type !== 'application/octet-stream') {
    return refuse(res, 415, 'GRIDLINK_INVALID_ARGUMENT', 'send the message as text/plain (a string) or application/octet-stream (bytes)');
  }
  // The body as bytes: never more than the payload members may receive (the publisher checks that exactly).
  const maxBodyBytes = route.publisher.maxMessageBytes;
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > maxBodyBytes) return tooLarge(req, res, maxBodyBytes);
  const timeoutText = url.searchParams.get('timeoutMs') ?? req.headers['gridlink-timeout-ms'];
  const timeoutMs = typeof timeoutText === 'string' ? Number(timeoutText) : undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > maxBodyBytes) return tooLarge(req, res, maxBodyBytes);
    chunks.push(chunk);
  });
  req.on('error', () => res.destroy());
  req.on('end', () => {
    if (res.headersSent) return;
    const body = Buffer.concat(chunks);
    let data: string | Uint8Array;
    if (type === 'application/octet-stream') data = new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
    else {
      try {
        data = new TextDecoder('utf-8', { fatal: true }).decode(body);
      } catch {
        return refuse(res, 400, 'GRIDLINK_INVALID_ARGUMENT', 'the body is not valid UTF-8 text');
      }
    }
    const key = req.headers['idempotency-key'];
    const forwarded = typeof req.headers[FORWARDED_BY] === 'string';
    const abort = new AbortController();
    res.on('close', () => abort.abort());
    let result;
    try {
      result = route.publisher.publish(session, data, { idempotencyKey: typeof key === 'string' ? key : undefined, timeoutMs, signal: abort.signal }, forwarded);
    } catch (error) {
      return failed(res, error);
    }
    result.then((ok) => answer(res, 200, ok), (error: unknown) => failed(res, error));
  });
}

function tooLarge(req: IncomingMessage, res: ServerResponse, max: number): void {
  refuse(res, 413, 'GRIDLINK_MESSAGE_TOO_LARGE', `the message may be at most ${max} bytes`, { connection: 'close' });
  req.resume();
}

function failed(res: ServerResponse, error: unknown): void {
  if (!isGridlinkError(error)) return refuse(res, 500, 'GRIDLINK_PUBLISH_FAILED', 'publish failed');
  refuse(res, STATUS[error.code] ?? 500, error.code, error.message);
}
