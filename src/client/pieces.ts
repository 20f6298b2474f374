/**
 * Opt-in pieces: what a page pays for only when it uses it. The browser core connects to `nodes` or
 * a `resolver` with the `assigned` policy (or a function); a page that wants the cloud's DNS over
 * DoH or a discovery document, another named policy, the page-lifecycle watch or a redacting logger
 * imports that piece and passes it in `use`. The Node entry passes every piece, so in Node all
 * options work by name as they always did.
 *
 * A piece is plain data (a tagged object), so a bundler drops every piece a page does not import.
 * An option whose piece is missing fails at `connect()` with `GRIDLINK_INVALID_OPTION`, naming the
 * import to add, rather than quietly pulling the code into every bundle.
 */
import { OptionsError, type GridlinkError } from '../core/errors.js';
import { safeLogger, type Logger } from '../core/logger.js';
import type { Policy } from '../choose/policy.js';
import type { DnsLookup, LifecycleHandlers, Platform } from '../platform/types.js';
import type { NodeList } from '../resolve/node-list.js';
import type { Resolver } from '../resolve/resolver.js';
import type { NodesEvent } from './client.js';
import type { Extras, ExtrasHost } from '../session/extras.js';
import { isOffline, watchLifecycle } from '../platform/browser/lifecycle.js';

/** The cloud's options, normalized by the cloud piece. */
export interface CloudFields {
  readonly cloud: string | undefined;
  readonly dns: readonly string[];
  readonly doh: readonly string[];
  readonly discovery: readonly string[];
}

/** Checks the cloud's options of `connect()`; `enough` is the "any source of nodes?" check, run between them. */
export type CloudOptionsCheck = (options: Record<string, unknown>, enough: (cloud: string | undefined, discovery: readonly string[]) => void) => CloudFields;

/** The normalized options a cloud piece reads. */
export interface CloudSettings {
  readonly cloud: string | undefined;
  readonly dns: readonly string[];
  readonly doh: readonly string[];
  readonly discovery: readonly string[];
  readonly scheme: 'ws' | 'wss';
  readonly port: number;
  readonly maxNodes: number;
  readonly connectTimeoutMs: number;
}

/** What a cloud piece is given to build its sources of nodes for one client. */
export interface CloudContext {
  readonly platform: Platform;
  readonly options: CloudSettings;
  readonly nodes: NodeList;
  readonly warn: (error: GridlinkError) => void;
  readonly onNodes: (event: NodesEvent) => void;
  /** A discovery document vouches for the hosts it names, as the cloud's DNS does for its IPs. */
  readonly vouch: (host: string) => void;
}

export type Piece =
  | {
      readonly piece: 'cloud';
      readonly options: CloudOptionsCheck;
      /** The DNS for `cloud` (DoH or the platform's); throws `OptionsError` where there is none. */
      readonly lookup: (platform: Platform, options: CloudSettings) => DnsLookup;
      readonly sources: (context: CloudContext, lookup: DnsLookup | undefined) => Resolver[];
    }
  | { readonly piece: 'policy'; readonly name: 'latency' | 'affinity' | 'round-robin'; readonly build: (platform: Platform) => Policy }
  | { readonly piece: 'lifecycle'; readonly watch: (handlers: LifecycleHandlers) => () => void; readonly isOffline: () => boolean }
  | { readonly piece: 'logger'; readonly wrap: (logger: Logger) => Logger }
  | { readonly piece: 'extras'; readonly build: (host: ExtrasHost) => Extras };

/** The pieces of one client: the entry's own, then those in the `use` option. */
export type PieceOf<K extends Piece['piece']> = Extract<Piece, { piece: K }>;

/** The first piece of kind `kind` (and, for policies, of `name`), if any. */
export function pieceOf<K extends Piece['piece']>(pieces: readonly Piece[], kind: K, name?: string): PieceOf<K> | undefined {
  return pieces.find((p): p is PieceOf<K> => p.piece === kind && (name === undefined || (p as { name?: string }).name === name));
}

/** `option` cannot work without the piece exported as `name`: say which import to add. */
export function missingPiece(option: string, name: string): never {
  throw new OptionsError('GRIDLINK_INVALID_OPTION', `${option} needs ${name}: import { ${name} } from 'gridlink' and pass use: [${name}]`);
}

/** Every record redacted (tokens, resume tokens), and a throwing logger cannot break the client. */
export const logging: Piece = { piece: 'logger', wrap: safeLogger };

/** Browsers: check the link at once when the page is shown again, and wait while offline. */
export const pageLifecycle: Piece = { piece: 'lifecycle', watch: watchLifecycle, isOffline };
