/**
 * The request `Cookie` header as both sides read it: a client's jar picks a node's sticky cookie out
 * of a header the caller set, and a node's `/whoami` checks which node a proxy's cookie named.
 */

/** `a=1; b=2` → [['a','1'], ['b','2']] (a request's Cookie header; pairs without '=' are skipped). */
export function parseCookieHeader(header: string): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (const raw of header.split(';')) {
    const part = raw.trim();
    const at = part.indexOf('=');
    if (at <= 0) continue;
    pairs.push([part.slice(0, at).trim(), part.slice(at + 1).trim()]);
  }
  return pairs;
}
