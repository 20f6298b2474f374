/**
 * `GET /metrics` on the node's own port, and the option that turns it on.
 *
 * Who may read it: the series tell how busy a node is (links, sessions, members, message and DNS
 * rates), never what a session says or who is in it. Still, that is nobody's business outside the
 * operator's, and the node's port faces clients, so the route is off unless `metrics` is set, and
 * `metrics: { token }` asks every scrape for `Authorization: Bearer <token>` (Prometheus's
 * `authorization` or `bearer_token_file` setting). What a request costs: one walk over a few dozen
 * series; scrapes that arrive while one is being rendered share its text, so a flood of requests
 * costs one render at a time, not one each.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import { fail, group, optionKeys } from '../../core/validate.js';
import { createRegistry, type MetricsSource } from './node-metrics.js';
import { BEARER_KEY, bearerMatches, keyHash } from '../http/bearer.js';

export const METRICS_PATH = '/metrics';

export interface MetricsOptions {
  /** Bearer token every scrape must send; default none (anyone who reaches the port may read). */
  token?: string;
  /** Also export prom-client's process and Node.js series (process_*, nodejs_*); default false. */
  processMetrics?: boolean;
}

export interface MetricsConfig {
  /** SHA-256 of the token, compared in constant time; undefined: no token asked. */
  readonly tokenHash: Buffer | undefined;
  readonly processMetrics: boolean;
}

const METRICS_KEYS = optionKeys<MetricsOptions>({ token: true, processMetrics: true });

/** `metrics: true | { token?, processMetrics? }` turns the route on; false or absent: 404. */
export function metricsConfig(value: unknown): MetricsConfig | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === true) return { tokenHash: undefined, processMetrics: false };
  const options = group('metrics', value, METRICS_KEYS);
  if (options === undefined) return undefined;
  const { token, processMetrics } = options;
  // Printable ASCII without spaces: what an Authorization header can carry as is.
  if (token !== undefined && (typeof token !== 'string' || !BEARER_KEY.test(token))) {
    fail('metrics.token', 'must be 16..512 printable ASCII characters without spaces');
  }
  if (processMetrics !== undefined && typeof processMetrics !== 'boolean') fail('metrics.processMetrics', 'must be true or false');
  return { tokenHash: token === undefined ? undefined : keyHash(token), processMetrics: processMetrics === true };
}

/** The node's endpoint, with a registry of its own; undefined when metrics are off. */
export function metricsEndpoint(config: MetricsConfig | undefined, source: MetricsSource): MetricsEndpoint | undefined {
  return config === undefined ? undefined : new MetricsEndpoint(createRegistry(source, config.processMetrics), config);
}

/** Answers `GET /metrics` from `registry`, once the caller shows the token (when one is set). */
export class MetricsEndpoint {
  #rendering: Promise<string> | undefined;

  constructor(
    private readonly registry: Registry,
    private readonly config: MetricsConfig,
  ) {}

  serve(req: IncomingMessage, res: ServerResponse): void {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    if (!this.#authorized(req.headers.authorization)) {
      res.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer' }).end('metrics need Authorization: Bearer <token>\n');
      return;
    }
    this.#rendering ??= this.registry.metrics().finally(() => (this.#rendering = undefined));
    this.#rendering.then(
      (text) => {
        if (res.destroyed) return;
        res.writeHead(200, { 'content-type': this.registry.contentType, 'cache-control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : text);
      },
      () => {
        if (!res.destroyed) res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics failed\n');
      },
    );
  }

  #authorized(header: string | undefined): boolean {
    const expected = this.config.tokenHash;
    return expected === undefined || bearerMatches(header, [expected]);
  }
}
