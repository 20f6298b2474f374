/**
 * `node.publish()` and the HTTP route's work: a message from the backend into a session, delivered
 * by the session's host to every member, from the reserved sender `@server`.
 *
 * Any node takes a publish. The session's host (placement's answer) delivers it; any other node
 * forwards it to the host over HTTP, authenticated with the cloud's publish key and marked as
 * forwarded, so the host delivers it itself and never forwards it again. The host answers once
 * every member present confirmed it (`delivered`; it is kept for members away and sent on their
 * return, publishes.ts), or at once when nobody is there
 * (`no-members`). A publish that failed (timeout, the host died) may be retried with the same
 * idempotency key on any node: members drop a publish they already have, by its id.
 */
import { unlessAborted } from '../../core/abort.js';
import { ClosedError, GridlinkError, OptionsError, SessionError } from '../../core/errors.js';
import { randomId } from '../../core/ids.js';
import { retryRounds } from '../../core/retry.js';
import { isProtocolId, MAX_ID_LENGTH } from '../../protocol/codec.js';
import { IdempotencyCache } from './idempotency.js';
import { forwardPublish } from './forward.js';
import type { PublishOptions, PublishResult } from './publish-api.js';

export type { PublishOptions, PublishResult } from './publish-api.js';

/** What the publisher needs from its node. */
export interface PublishHost {
  readonly self: string;
  running(): boolean;
  /**
   * Resolves once this node's first view of its peers is known. Until then placement names this
   * node the host of every session, and a publish routed on it would find nobody here.
   */
  settled(): Promise<void>;
  /** The session's host, with the URL peers reach it on. */
  hostOf(session: string): { id: string; url: string };
  /** Delivers on this node: the caller decided it is the host. */
  deliver(session: string, id: string, data: string | Uint8Array, timeoutMs: number, signal: AbortSignal): Promise<PublishResult>;
}

export interface PublisherSettings {
  /** The largest payload members may receive, as sent (JSON text, or base64 for bytes). */
  readonly maxMessageBytes: number;
  /** The key forwards carry; undefined: this node cannot forward (no publish key). */
  readonly forwardKey: string | undefined;
}

export const DEFAULT_PUBLISH_TIMEOUT_MS = 5_000;
export const MAX_PUBLISH_TIMEOUT_MS = 60_000;
/** Between attempts of one publish (host unreachable, a member moved mid-publish): quick, the deadline bounds it. */
const RETRY = { minDelayMs: 25, maxDelayMs: 500, factor: 2 };
/** Keys remembered, and for how long: retries come within seconds; a day's keys are not needed. */
const IDEMPOTENCY_KEYS = 10_000;
const IDEMPOTENCY_TTL_MS = 10 * 60_000;

export class Publisher {
  readonly #cache = new IdempotencyCache<PublishResult>(IDEMPOTENCY_KEYS, IDEMPOTENCY_TTL_MS);

  constructor(
    private readonly host: PublishHost,
    private readonly settings: PublisherSettings,
  ) {}

  /** The largest payload members may receive, as sent (JSON text, or base64 for bytes). */
  get maxMessageBytes(): number {
    return this.settings.maxMessageBytes;
  }

  /**
   * Checks the arguments (throws `OptionsError`/`SessionError` synchronously for a caller's
   * mistake), then publishes; `forwarded`: a peer sent it here as the host, so deliver here.
   */
  publish(session: string, data: string | Uint8Array, options: PublishOptions = {}, forwarded = false): Promise<PublishResult> {
    if (!isProtocolId(session)) throw new OptionsError('GRIDLINK_INVALID_ARGUMENT', `session must be a string of 1..${MAX_ID_LENGTH} characters without control characters`);
    if (typeof data !== 'string' && !(data instanceof Uint8Array)) throw new OptionsError('GRIDLINK_INVALID_ARGUMENT', 'publish() takes a string or a Uint8Array');
    // As members receive it: JSON text (escapes included), or base64 for bytes.
    const size = typeof data === 'string' ? Buffer.byteLength(JSON.stringify(data)) : Math.ceil(data.byteLength / 3) * 4;
    if (size > this.settings.maxMessageBytes) {
      throw new SessionError('GRIDLINK_MESSAGE_TOO_LARGE', `message is ${size} bytes as sent, over the ${this.settings.maxMessageBytes} members may receive`);
    }
    const { idempotencyKey, timeoutMs = DEFAULT_PUBLISH_TIMEOUT_MS, signal } = options;
    if (idempotencyKey !== undefined && !isProtocolId(idempotencyKey)) {
      throw new OptionsError('GRIDLINK_INVALID_ARGUMENT', `idempotencyKey must be a string of 1..${MAX_ID_LENGTH} characters without control characters`);
    }
    if (typeof timeoutMs !== 'number' || !Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > MAX_PUBLISH_TIMEOUT_MS) {
      throw new OptionsError('GRIDLINK_INVALID_ARGUMENT', `timeoutMs must be an integer 1..${MAX_PUBLISH_TIMEOUT_MS}`);
    }
    if (!this.host.running()) return Promise.reject(new ClosedError('GRIDLINK_CLOSED', 'this node is draining or closed: publish on another node'));
    const id = idempotencyKey ?? randomId();
    const run = (): Promise<PublishResult> => this.#route(session, id, data, timeoutMs, signal, forwarded);
    // Without a key nobody can retry it, so there is nothing to remember.
    // `no-members` delivered nothing: a retry (members arriving after a failover) must run again.
    return idempotencyKey === undefined ? run() : this.#cache.run(`${session}\n${id}`, run, (result) => result.status === 'delivered');
  }

  async #route(session: string, id: string, data: string | Uint8Array, timeoutMs: number, signal: AbortSignal | undefined, forwarded: boolean): Promise<PublishResult> {
    const deadline = AbortSignal.timeout(timeoutMs);
    const combined = signal === undefined ? deadline : AbortSignal.any([signal, deadline]);
    const attempt = (): Promise<PublishResult> => {
      const host = this.host.hostOf(session);
      if (forwarded || host.id === this.host.self) return this.host.deliver(session, id, data, timeoutMs, combined);
      if (this.settings.forwardKey === undefined) {
        throw new GridlinkError('GRIDLINK_PUBLISH_FAILED', `session '${session}' is hosted on node '${host.id}', and this node has no publish key to forward with (set the publish option)`);
      }
      return forwardPublish({ url: host.url, node: host.id, from: this.host.self, key: this.settings.forwardKey }, session, id, data, timeoutMs, combined);
    };
    try {
      // Joins wait for the same moment (placement.ts `probe`); it comes within one peer timeout of start.
      if (!forwarded) await unlessAborted(this.host.settled(), combined, 'publish');
      // A forwarded publish fails back to the node that forwarded it, which asks placement again:
      // a member that moved away mid-publish is reached where it went, by the same id.
      if (forwarded) return await attempt();
      return await retryRounds(attempt, { ...RETRY, maxElapsedMs: timeoutMs, signal: combined });
    } catch (error) {
      if (signal?.aborted === true) throw new ClosedError('GRIDLINK_ABORTED', 'publish aborted', { cause: signal.reason });
      if (deadline.aborted) {
        throw new GridlinkError('GRIDLINK_TIMEOUT', `publish ${id} not confirmed by every member within ${timeoutMs} ms: retry with the same idempotencyKey`, { retriable: true, cause: error });
      }
      throw error;
    }
  }
}
