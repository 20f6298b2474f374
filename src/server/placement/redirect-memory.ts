/**
 * Redirect memory: how a node tells "my link to the host broke" from "I cannot reach the host".
 *
 * A client whose link dies reports the node in its next hello (`failed`). When the node is alive
 * for its peers, that was most often a passing fault (a reset, a proxy restart), so the client is
 * sent back to it: moving a whole session for one broken connection would be churn. But if the
 * same client comes back still reporting that node, and it has not been welcomed anywhere in
 * between, it could not reach it: then the session must move. "Not welcomed in between" is
 * exact and costs nothing to know: every welcome carries a new resume token, so the client's
 * hello carries the same one (or still none) only if it joined nowhere since.
 */

/** How long a redirect is remembered: longer than a client's connect timeout plus its backoff. */
const REMEMBER_MS = 60_000;
/** Bound on what is remembered; the oldest go first. */
const MAX_ENTRIES = 10_000;

export interface RedirectedHello {
  readonly session: string;
  readonly client: string;
  readonly resume?: string;
}

export class RedirectMemory {
  /** key -> when the client was sent to the host. Insertion-ordered, so the oldest come first. */
  private readonly sent = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  /**
   * True when this client was already sent to `host` and has joined nowhere since: it cannot
   * reach `host`. Otherwise records this redirect and returns false.
   */
  sentBefore(hello: RedirectedHello, host: string): boolean {
    const now = this.now();
    const key = JSON.stringify([hello.session, hello.client, host, hello.resume ?? '']);
    const at = this.sent.get(key);
    if (at !== undefined && now - at <= REMEMBER_MS) {
      this.sent.delete(key);
      return true;
    }
    this.sent.delete(key);
    this.sent.set(key, now);
    this.trim(now);
    return false;
  }

  private trim(now: number): void {
    for (const [key, at] of this.sent) {
      if (this.sent.size <= MAX_ENTRIES && now - at <= REMEMBER_MS) return;
      this.sent.delete(key);
    }
  }
}
