import { RLP } from '@ethereumjs/rlp';
import { KECCAK256_RLP } from '@ethereumjs/util';
import { keccak256 } from './keccak.js';

type Node = Uint8Array | Node[];

/**
 * Root of the Merkle-Patricia trie mapping RLP(i) to `values[i]`: the transactions, receipts and withdrawals roots
 * of a block header. Built in one pass over the sorted keys in memory, so each node is encoded and hashed once,
 * where @ethereumjs/mpt walks, decodes and rehashes the path for every insertion (a thousand-transaction block
 * spent more on its receipts and transactions tries than on executing the transfers). Same root, byte for byte;
 * test/ordered-trie.test.ts checks it against @ethereumjs/mpt.
 */
export function orderedTrieRoot(values: readonly Uint8Array[]): Uint8Array {
  if (values.length === 0) return KECCAK256_RLP;
  const entries = values.map((value, i) => ({ key: nibbles(RLP.encode(i)), value }));
  entries.sort((a, b) => compareNibbles(a.key, b.key));
  return keccak256(RLP.encode(build(entries, 0, entries.length, 0)));
}

function nibbles(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length * 2);
  for (let i = 0; i < bytes.length; i++) {
    out[2 * i] = bytes[i]! >> 4;
    out[2 * i + 1] = bytes[i]! & 15;
  }
  return out;
}

function compareNibbles(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** Hex-prefix encoding of a nibble path (Yellow Paper appendix C). */
function hexPrefix(path: Uint8Array, leaf: boolean): Uint8Array {
  const odd = path.length % 2 === 1;
  const out = new Uint8Array(Math.floor(path.length / 2) + 1);
  out[0] = ((leaf ? 2 : 0) + (odd ? 1 : 0)) << 4;
  let i = 0;
  if (odd) out[0] |= path[i++]!;
  for (let j = 1; i < path.length; i += 2, j++) out[j] = (path[i]! << 4) | path[i + 1]!;
  return out;
}

/** How a child appears inside its parent: embedded when its encoding is shorter than 32 bytes, else its hash. */
function reference(node: Node[]): Node {
  const encoded = RLP.encode(node);
  return encoded.length < 32 ? node : keccak256(encoded);
}

/** The node for entries [from, to), all sharing their first `depth` nibbles; keys are distinct. */
function build(entries: { key: Uint8Array; value: Uint8Array }[], from: number, to: number, depth: number): Node[] {
  const first = entries[from]!;
  if (to - from === 1) return [hexPrefix(first.key.subarray(depth), true), first.value];
  // Sorted, so the prefix all entries share is the one the first and last share.
  const last = entries[to - 1]!;
  let shared = 0;
  while (depth + shared < first.key.length && depth + shared < last.key.length && first.key[depth + shared] === last.key[depth + shared]) shared++;
  if (shared > 0) return [hexPrefix(first.key.subarray(depth, depth + shared), false), reference(build(entries, from, to, depth + shared))];
  const branch: Node[] = Array.from({ length: 17 }, () => new Uint8Array(0));
  let i = from;
  // A key that ends here holds the branch's value (sorted first, being a prefix of the others).
  if (first.key.length === depth) {
    branch[16] = first.value;
    i++;
  }
  while (i < to) {
    const nibble = entries[i]!.key[depth]!;
    let j = i + 1;
    while (j < to && entries[j]!.key[depth] === nibble) j++;
    branch[nibble] = reference(build(entries, i, j, depth + 1));
    i = j;
  }
  return branch;
}
