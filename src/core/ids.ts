/** Random identifiers from the platform's CSPRNG (Web Crypto exists in Node 20 and every browser). */

export function randomId(bytes = 16): string {
  const buf = new Uint8Array(bytes);
  globalThis.crypto.getRandomValues(buf);
  let out = '';
  for (const b of buf) out += b.toString(16).padStart(2, '0');
  return out;
}
