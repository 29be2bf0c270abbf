import { sha256 } from '../bytes.js';

// BIP340 tagged hash: SHA256(SHA256(tag) ‖ SHA256(tag) ‖ msg). The tag prefix is cached per tag because
// the same few tags (TapLeaf, TapBranch, TapTweak, TapSighash) are hashed on every call.
const tagPrefixes = new Map<string, Uint8Array>();

function tagPrefix(tag: string): Uint8Array {
  let prefix = tagPrefixes.get(tag);
  if (prefix === undefined) {
    const t = sha256(new TextEncoder().encode(tag));
    prefix = new Uint8Array(64);
    prefix.set(t, 0);
    prefix.set(t, 32);
    tagPrefixes.set(tag, prefix);
  }
  return prefix;
}

export function taggedHash(tag: string, ...msgs: Uint8Array[]): Uint8Array {
  if (typeof tag !== 'string') throw new TypeError('taggedHash: tag must be a string');
  let length = 64;
  for (const m of msgs) {
    if (!(m instanceof Uint8Array)) throw new TypeError('taggedHash: messages must be Uint8Array');
    length += m.length;
  }
  const buf = new Uint8Array(length);
  buf.set(tagPrefix(tag), 0);
  let offset = 64;
  for (const m of msgs) {
    buf.set(m, offset);
    offset += m.length;
  }
  return sha256(buf);
}
