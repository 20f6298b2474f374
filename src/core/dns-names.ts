/**
 * The syntax of the DNS names gridlink publishes and asks for: one rule for the client's `cloud`,
 * the node's and the DNS server's zone, and node ids that become `<id>.<zone>`. Plain string code,
 * so the browser build can use it too (the server's byte-level checks live in server/dns/names.ts).
 */

export const MAX_NAME_OCTETS = 253;
export const MAX_LABEL_OCTETS = 63;

/** `Cloud.Test.` -> `cloud.test`; the root is ''. */
export function canonicalName(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

/** A host-name label we publish: letters, digits, '_' and inner '-', 1..63 of them, lower case. */
const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;

export function isHostLabel(label: string): boolean {
  return LABEL.test(label);
}

/** A zone name for options, in any case, a trailing dot allowed: 1+ host labels, at most 253 octets. */
export function isZoneName(name: string): boolean {
  const bare = canonicalName(name);
  return bare.length > 0 && bare.length <= MAX_NAME_OCTETS && bare.split('.').every(isHostLabel);
}

/**
 * A node id that can name the node in DNS (`<id>.<zone>`): one host label in any case, not starting
 * with '_' (those are service labels, like `_gridlink._tcp`).
 */
export function isNodeLabel(id: string): boolean {
  return isHostLabel(id.toLowerCase()) && !id.startsWith('_');
}
