/** BIP340 tagged hashes: hash_tag(x) = SHA256(SHA256(tag) || SHA256(tag) || x). */
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, utf8ToBytes } from '@noble/hashes/utils.js';

const prefixes = new Map<string, Uint8Array>();

export function taggedHash(tag: string, ...messages: Uint8Array[]): Uint8Array {
  let prefix = prefixes.get(tag);
  if (prefix === undefined) {
    const t = sha256(utf8ToBytes(tag));
    prefix = concatBytes(t, t);
    prefixes.set(tag, prefix);
  }
  return sha256(concatBytes(prefix, ...messages));
}
