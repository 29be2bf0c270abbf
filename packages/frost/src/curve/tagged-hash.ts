/**
 * BIP340 tagged hashes: hash_tag(x) = SHA256(SHA256(tag) || SHA256(tag) || x). SHA-256 is Node's
 * (OpenSSL), not @noble/hashes: ChillDKG hashes its whole transcript (184 KB at n = 1000) once per
 * certificate signature, i.e. 184 MB per certificate check, and the encryption pads hash the 33 KB
 * encryption context once per recipient; OpenSSL does that many times faster. Same bytes.
 */
import { createHash } from 'node:crypto';

const prefixes = new Map<string, Buffer>();

export function taggedHash(tag: string, ...messages: Uint8Array[]): Uint8Array {
  let prefix = prefixes.get(tag);
  if (prefix === undefined) {
    const t = createHash('sha256').update(tag, 'utf8').digest();
    prefix = Buffer.concat([t, t]);
    prefixes.set(tag, prefix);
  }
  const h = createHash('sha256').update(prefix);
  for (const m of messages) h.update(m);
  return new Uint8Array(h.digest());
}

/** Plain SHA-256 (Node's). */
export function sha256(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(data).digest());
}
