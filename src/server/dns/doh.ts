/**
 * DNS-over-HTTPS (RFC 8484) in front of the cloud's DNS server, at `/dns-query` on each node: the
 * same answers as over UDP and TCP (one answer function, so DoH cannot drift from DNS), for askers
 * that cannot send DNS packets — browser pages. GET `?dns=<base64url>` and POST with an
 * `application/dns-message` body; the answer is `application/dns-message` with
 * `Cache-Control: max-age=<smallest TTL>` (RFC 8484 5.1), so browsers and proxies cache it exactly
 * as long as a resolver would. Every DNS answer is HTTP 200, errors (REFUSED, FORMERR) included;
 * HTTP errors are for requests that carry no DNS query at all.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as dnsPacket from 'dns-packet';

export const DOH_PATH = '/dns-query';
export const DOH_MEDIA_TYPE = 'application/dns-message';
/** A question is a few dozen bytes; anything much larger is not one worth reading. */
export const MAX_DOH_QUERY_BYTES = 4096;

/** The DNS server's own answer function: bytes in, bytes out (undefined: not to be answered). */
export type DnsAnswerer = (query: Uint8Array, source: string) => Uint8Array | undefined;

type Result = { status: number; body: Buffer | string; type: string; maxAge?: number };

function plain(status: number, text: string): Result {
  return { status, body: `${text}\n`, type: 'text/plain' };
}

/** Seconds an answer may be cached: its smallest TTL (answers, else the negative answer's SOA). */
export function answerMaxAge(answer: Buffer): number {
  try {
    const packet = dnsPacket.decode(answer);
    const records = (packet.answers ?? []).length > 0 ? packet.answers ?? [] : packet.authorities ?? [];
    const ttls = records.flatMap((record) => (record.type === 'OPT' ? [] : [record.ttl ?? 0]));
    return ttls.length === 0 ? 0 : Math.max(0, Math.min(...ttls));
  } catch {
    return 0;
  }
}

async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_DOH_QUERY_BYTES) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

async function dohResult(req: IncomingMessage, url: URL, answer: DnsAnswerer, source: string): Promise<Result> {
  let query: Buffer | undefined;
  if (req.method === 'GET') {
    const text = url.searchParams.get('dns') ?? '';
    if (!/^[A-Za-z0-9_-]+={0,2}$/.test(text) || text.length > (MAX_DOH_QUERY_BYTES * 4) / 3) {
      return plain(400, "query parameter 'dns' must be a base64url DNS message");
    }
    query = Buffer.from(text, 'base64url');
  } else if (req.method === 'POST') {
    const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (type !== DOH_MEDIA_TYPE) return plain(415, `content-type must be ${DOH_MEDIA_TYPE}`);
    query = await readBody(req);
    if (query === undefined) return plain(413, `a DNS query is at most ${MAX_DOH_QUERY_BYTES} bytes`);
  } else {
    return plain(405, 'use GET or POST');
  }
  const answered = answer(query, source);
  if (answered === undefined) return plain(400, 'not a DNS query');
  const response = Buffer.isBuffer(answered) ? answered : Buffer.from(answered.buffer, answered.byteOffset, answered.byteLength);
  return { status: 200, body: response, type: DOH_MEDIA_TYPE, maxAge: answerMaxAge(response) };
}

/** Answers one DoH request; `headers` (CORS) go on every response. Never throws. */
export async function serveDoh(req: IncomingMessage, res: ServerResponse, url: URL, answer: DnsAnswerer, source: string, headers: Record<string, string>): Promise<void> {
  let result: Result;
  try {
    result = await dohResult(req, url, answer, source);
  } catch {
    result = plain(400, 'bad request'); // the request body failed mid-way
  }
  if (res.headersSent || res.destroyed) return;
  res.writeHead(result.status, {
    ...headers,
    'content-type': result.type,
    'content-length': String(Buffer.byteLength(result.body)),
    'cache-control': result.maxAge === undefined ? 'no-store' : `max-age=${result.maxAge}`,
  });
  res.end(result.body);
}
