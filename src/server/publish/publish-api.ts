/** What a caller gives `node.publish()` and gets back (publisher.ts does the work). */
export interface PublishOptions {
  /** Retries with the same key deliver once. 1..128 characters, no control characters. Default: a new id. */
  idempotencyKey?: string;
  /** How long to wait for the members' confirmations; default 5000 ms. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export type PublishResult =
  /** `members` confirmed it: every member of the session, the ones away for their grace period included. */
  | { status: 'delivered'; id: string; members: number }
  /** The session has no members (none attached or expected back): nothing was delivered. */
  | { status: 'no-members'; id: string; members: 0 };
