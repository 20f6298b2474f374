/**
 * The cloud's nodes from an HTTP discovery document (`GET /.well-known/gridlink` on any node):
 *
 *   { "cloud"?: "cloud.example.com", "ttl": 5, "heartbeat": { "intervalMs", "timeoutMs" },
 *     "nodes": [{ "id": "b", "url": "wss://b.cloud.example.com/", "load": { "links", "sessions" }, "healthy": true }, …] }
 *
 * Nodes are listed best first, as the cloud's DNS ranks them; the healthy ones are used, in that
 * order. The answer lives `ttl` seconds (default 5, at most 60). Bad entries are reported through
 * `onProblem` and left out; a document with no usable healthy node fails the lookup, as does one
 * that is not JSON of this shape. For a browser this needs no DNS at all, only CORS on the node
 * (`Access-Control-Allow-Origin: *`).
 */
import { ConnectError, type GridlinkError } from '../core/errors.js';
import { Endpoints, type HttpGet } from './discovery-endpoints.js';
import type { Answer, AnswerSource, ResolvedNode } from './resolver.js';

export const WELL_KNOWN_PATH = '/.well-known/gridlink';
const DEFAULT_TTL_SEC = 5;
const MAX_TTL_SEC = 60;
const MAX_ID_LENGTH = 128;

export interface DiscoverySettings {
  /** Discovery document URLs, asked in turn. */
  readonly urls: readonly string[];
  readonly get: HttpGet;
  readonly timeoutMs: number;
  readonly maxNodes: number;
  /** An entry of the document was unusable; the answer goes on without it. */
  readonly onProblem?: (error: GridlinkError) => void;
}

function invalid(url: string, why: string): ConnectError {
  return new ConnectError('GRIDLINK_PROTOCOL', `${url} is not a gridlink discovery document: ${why}`, { retriable: true });
}

/** One entry: `{ id, url }` when usable and healthy, undefined when unhealthy, a string saying why it is unusable. */
function entry(value: unknown): ResolvedNode | undefined | string {
  if (typeof value !== 'object' || value === null) return 'an entry is not an object';
  const { id, url, healthy, cookie } = value as { id?: unknown; url?: unknown; healthy?: unknown; cookie?: unknown };
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_ID_LENGTH) return 'an entry has no valid id';
  if (typeof url !== 'string' || !/^wss?:\/\//i.test(url)) return `node ${id.slice(0, 50)} has no ws:// or wss:// url`;
  try {
    // A proxy's sticky cookie rides along (the node list checks it); a browser cannot send it.
    return healthy === false ? undefined : { id, url: new URL(url).href, ...(typeof cookie === 'string' ? { cookie } : {}) };
  } catch {
    return `node ${id.slice(0, 50)} has an invalid url`;
  }
}

/** Parses a document; exported for tests. */
export function parseDiscovery(body: unknown, url: string, maxNodes: number, onProblem?: (error: GridlinkError) => void): Answer {
  if (typeof body !== 'object' || body === null || !Array.isArray((body as { nodes?: unknown }).nodes)) throw invalid(url, 'no nodes list');
  const { nodes: list, ttl } = body as { nodes: unknown[]; ttl?: unknown };
  const nodes: ResolvedNode[] = [];
  for (const item of list.slice(0, maxNodes * 4)) {
    const node = entry(item);
    if (typeof node === 'string') onProblem?.(invalid(url, node));
    else if (node !== undefined && nodes.length < maxNodes) nodes.push(node);
  }
  if (nodes.length === 0) throw new ConnectError('GRIDLINK_NO_NODES', `${url} lists no healthy node`, { retriable: true });
  const seconds = typeof ttl === 'number' && ttl >= 0 ? Math.min(ttl, MAX_TTL_SEC) : DEFAULT_TTL_SEC;
  return { nodes, ttlMs: seconds * 1000 };
}

export function discoverySource(settings: DiscoverySettings): AnswerSource {
  const endpoints = new Endpoints(settings.urls, settings.get, settings.timeoutMs);
  return {
    lookup: (signal) =>
      endpoints.ask(
        (url) => url,
        async (response, url) => {
          const body = await response.json().catch((cause: unknown) => {
            throw new ConnectError('GRIDLINK_PROTOCOL', `${url} did not answer JSON`, { cause, retriable: true });
          });
          return parseDiscovery(body, url, settings.maxNodes, settings.onProblem);
        },
        signal,
      ),
  };
}
