/**
 * "Did you mean …?" for a mistyped option key. Only a near miss is suggested: a wrong guess is
 * worse than none, because the caller would then chase the wrong option.
 */

/** A unit our option keys end with (`timeoutMs`, `ttlSec`, `maxFrameBytes`). */
const UNIT = /(?:Ms|Sec|Bytes)$/;

/** Longest key compared: an option key is short, and a long string is not a typo of one. */
const MAX_COMPARED = 64;

/**
 * Edit distance with adjacent transpositions (optimal string alignment): `sesison` is one edit
 * from `session`, as a typist would count it, not two.
 */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length === 0 || b.length === 0) return Math.max(a.length, b.length);
  let before: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, before[j - 2]! + 1);
      current.push(best);
    }
    before = previous;
    previous = current;
  }
  return previous[b.length]!;
}

/**
 * The known key `given` most likely meant, or undefined: the same key in other case, then the
 * nearest within two edits (with or without its unit), then one that `given` starts (`interval` → `intervalMs`), then the
 * only one that contains it as a word (`timeout` → `connectTimeoutMs`).
 */
export function suggestKey(given: string, known: readonly string[]): string | undefined {
  if (given.length === 0 || given.length > MAX_COMPARED) return undefined;
  const lower = given.toLowerCase();
  const exact = known.find((key) => key.toLowerCase() === lower);
  if (exact !== undefined) return exact;
  let nearest: string | undefined;
  let nearestDistance = 3;
  for (const key of known) {
    // `timout` for `timeoutMs`: a typo in the word and the unit left off are both common.
    const bare = key.replace(UNIT, '').toLowerCase();
    const distance = Math.min(editDistance(lower, key.toLowerCase()), bare.length === key.length ? 3 : editDistance(lower, bare));
    // Two edits turn any two-letter key into any other: the budget shrinks with the key.
    if (distance < nearestDistance && distance < Math.min(key.length, given.length)) {
      nearest = key;
      nearestDistance = distance;
    }
  }
  if (nearest !== undefined) return nearest;
  const extended = known.filter((key) => key.toLowerCase().startsWith(lower)).sort((a, b) => a.length - b.length);
  if (extended.length > 0 && given.length >= 3) return extended[0];
  const containing = known.filter((key) => key.toLowerCase().includes(lower));
  return containing.length === 1 && given.length >= 4 ? containing[0] : undefined;
}
