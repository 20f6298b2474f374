/**
 * "Did you mean …?" for a mistyped option key. Only a near miss is suggested: a wrong guess is
 * worse than none, because the caller would then chase the wrong option.
 */
import { installKeyHints } from './validate.js';

/** A unit our option keys end with (`timeoutMs`, `ttlSec`, `maxFrameBytes`). */
const UNIT = /(?:Ms|Sec|Bytes)$/;

/** Longest key compared: an option key is short, and a long string is not a typo of one. */
const MAX_COMPARED = 64;

/**
 * Edit distance with adjacent transpositions (optimal string alignment): `sesison` is one edit
 * from `session`, as a typist would count it, not two. `d[i][j]`: between a's first i and b's first j.
 */
export function editDistance(a: string, b: string): number {
  const d: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    const row = (d[i] = [i]);
    for (let j = 1; j <= b.length; j++) {
      const up = d[i - 1];
      row[j] = up === undefined
        ? j
        : Math.min(
            up[j]! + 1,
            row[j - 1]! + 1,
            up[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
            a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1] ? d[i - 2]![j - 2]! + 1 : Infinity,
          );
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The known key `given` most likely meant, or undefined: the same key in other case, then the
 * nearest within two edits (with or without its unit), then one that `given` starts (`interval` → `intervalMs`), then the
 * only one that contains it as a word (`timeout` → `connectTimeoutMs`).
 */
export function suggestKey(given: string, known: readonly string[]): string | undefined {
  if (given.length === 0 || given.length > MAX_COMPARED) return undefined;
  const lower = given.toLowerCase();
  const low = (key: string): string => key.toLowerCase();
  let nearest: string | undefined;
  let nearestDistance = 3;
  for (const key of known) {
    // The same key in other case wins outright (-1). `timout` for `timeoutMs`: a typo in the word
    // and the unit left off are both common, so the key is also compared without its unit.
    const distance = low(key) === lower ? -1 : Math.min(editDistance(lower, low(key)), editDistance(lower, low(key.replace(UNIT, ''))));
    // Two edits turn any two-letter key into any other: the budget shrinks with the key.
    if (distance < nearestDistance && distance < Math.min(key.length, given.length)) {
      nearest = key;
      nearestDistance = distance;
    }
  }
  if (nearest !== undefined || given.length < 3) return nearest;
  const containing = known.filter((key) => low(key).includes(lower));
  const extended = containing.filter((key) => low(key).startsWith(lower)).sort((a, b) => a.length - b.length);
  return extended[0] ?? (containing.length === 1 && given.length >= 4 ? containing[0] : undefined);
}

/** Every unknown option key gets its guess from here on (validate.ts); what the Node entries and the full bundle call. */
export function installSuggestions(): void {
  installKeyHints(suggestKey);
}
