/**
 * DNS names as the server compares them: lower-case, no trailing dot. dns-packet decodes a name
 * to a dotted string, so these checks also guard what it returns: a label it decoded from bytes
 * that are not UTF-8 can re-encode longer than 63 octets, and answering with such a name would
 * produce a malformed packet.
 */

export const MAX_NAME_OCTETS = 253;
export const MAX_LABEL_OCTETS = 63;

/** `Cloud.Test.` -> `cloud.test`; the root is ''. */
export function canonicalName(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

/** True when `name` (as dns-packet decoded it) can be encoded back exactly as a DNS name. */
export function isEncodableName(name: string): boolean {
  if (name === '.' || name === '') return true;
  const bare = name.endsWith('.') ? name.slice(0, -1) : name;
  if (Buffer.byteLength(bare) > MAX_NAME_OCTETS) return false;
  for (const label of bare.split('.')) {
    const octets = Buffer.byteLength(label);
    if (octets === 0 || octets > MAX_LABEL_OCTETS) return false;
  }
  return true;
}

/** A host-name label we publish: node ids become `<id>.<zone>`. */
const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;

export function isHostLabel(label: string): boolean {
  return LABEL.test(label);
}

/** A zone name for options: 1+ host labels, dots between, at most 253 octets. */
export function isZoneName(name: string): boolean {
  const bare = canonicalName(name);
  return bare.length > 0 && bare.length <= MAX_NAME_OCTETS && bare.split('.').every(isHostLabel);
}

/**
 * `name` relative to `zone` (both canonical): '' for the apex, 'a' for 'a.<zone>', undefined when
 * the name is outside the zone.
 */
export function relativeName(name: string, zone: string): string | undefined {
  if (name === zone) return '';
  if (name.length > zone.length && name.endsWith(zone) && name[name.length - zone.length - 1] === '.') {
    return name.slice(0, name.length - zone.length - 1);
  }
  return undefined;
}
