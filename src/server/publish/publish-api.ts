/** What a caller gives `node.publish()` and gets back (publisher.ts does the work). */
export interface PublishOptions {
  /** Retries with the same key deliver once. 1..128 characters, no control characters. Default: a new id. */
  idempotencyKey?: string;
  /** How long to wait for the members' confirmations; default 5000 ms. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export type PublishResult =
  /**
   * Every member present confirmed it (`members` of them); `away` members (a dropped link, or on
   * their way while the session migrates) are sent it when they come back within their grace period.
   */
  | { status: 'delivered'; id: string; members: number; away: number }
  /** The session has no members (none attached or expected back): nothing was delivered. */
  | { status: 'no-members'; id: string; members: 0 };
