/**
 * The node's join rate limit: token buckets per client address (as the node believes it: the TCP
 * peer, or the forwarded client behind a trusted proxy). A single address hammering the node with
 * hellos is answered `busy` cheaply, before authentication or placement spend anything on it.
 *
 * Two kinds of join, two buckets per address. A *fresh* join (no resume token, or one this cloud
 * did not sign) takes from the fresh bucket: `perSecond`, bursts of `burst`. A *resumed* join —
 * a member coming back with the resume token its last node gave it, which is what a failover is —
 * takes from a bucket ten times larger. So a thousand members behind one NAT re-homing after
 * their node died are not throttled into seconds, and do not use up the fresh joins of the
 * newcomers behind the same NAT; yet the bigger bucket serves only holders of a token, and every
 * token was once a fresh join through the small one (and names one member, whose link a resume
 * replaces rather than adds to).
 */

export interface JoinLimit {
  /** Takes one join from `address`'s bucket for its kind; false when it is empty (the caller answers `busy`). */
  take(address: string, resumed?: boolean): boolean;
}

/** How much larger the resumed joins' bucket is than the fresh joins' (rate and burst). */
export const RESUMED_JOINS_FACTOR = 10;

/** Addresses tracked at once; past it, full (idle) buckets are dropped, then the oldest. */
const MAX_TRACKED = 10_000;

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * `perSecond` joins per second per address, with bursts of up to `burst`. `Infinity` turns the limit
 * off. Memory stays bounded whatever the number of addresses (a spoofing-free attacker still has
 * only the addresses it owns, but a large NAT pool must not grow the map without bound).
 */
export function createJoinLimit(perSecond: number, burst: number, now: () => number = () => performance.now()): JoinLimit {
  if (perSecond === Number.POSITIVE_INFINITY) return { take: () => true };
  const fresh = createBuckets(perSecond, burst, now);
  const resumed = createBuckets(perSecond * RESUMED_JOINS_FACTOR, burst * RESUMED_JOINS_FACTOR, now);
  return { take: (address, isResumed = false) => (isResumed ? resumed : fresh).take(address) };
}

function createBuckets(perSecond: number, burst: number, now: () => number): { take(address: string): boolean } {
  const buckets = new Map<string, Bucket>();
  const refill = (bucket: Bucket, t: number): void => {
    bucket.tokens = Math.min(burst, bucket.tokens + ((t - bucket.at) / 1000) * perSecond);
    bucket.at = t;
  };
  const prune = (t: number): void => {
    for (const [address, bucket] of buckets) {
      refill(bucket, t);
      if (bucket.tokens >= burst) buckets.delete(address);
    }
    // Still full of active addresses: forget the oldest (they get a fresh bucket: lenient, bounded).
    for (const address of buckets.keys()) {
      if (buckets.size <= MAX_TRACKED / 2) break;
      buckets.delete(address);
    }
  };
  return {
    take(address) {
      const t = now();
      let bucket = buckets.get(address);
      if (bucket === undefined) {
        if (buckets.size >= MAX_TRACKED) prune(t);
        bucket = { tokens: burst, at: t };
        buckets.set(address, bucket);
      } else refill(bucket, t);
      if (bucket.tokens < 1) return false;
      bucket.tokens -= 1;
      return true;
    },
  };
}
