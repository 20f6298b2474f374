/**
 * DNS names as the server compares them: lower-case, no trailing dot. dns-packet decodes a name
 * to a dotted string, so these checks also guard what it returns: a label it decoded from bytes
 * that are not UTF-8 can re-encode longer than 63 octets, and answering with such a name would
 * produce a malformed packet.
 */

import { MAX_LABEL_OCTETS, MAX_NAME_OCTETS } from '../../core/dns-names.js';

// The name syntax is shared with the client (core/); what is here is the server's byte-level view.
export { MAX_NAME_OCTETS, MAX_LABEL_OCTETS, canonicalName, isHostLabel, isZoneName } from '../../core/dns-names.js';

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
