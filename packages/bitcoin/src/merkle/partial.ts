import { ByteReader, EncodingError, equalBytes, hexToBytes } from '../bytes.js';
import { HEADER_SIZE, decodeHeader, headerHash, type BlockHeader } from '../header/codec.js';
import { MerkleError } from './errors.js';
import { hashNode } from './hash.js';

/** Core bounds nTransactions by the most transactions a block can hold: MAX_BLOCK_WEIGHT / MIN_TRANSACTION_WEIGHT. */
const MAX_PARTIAL_TREE_TRANSACTIONS = Math.floor(4_000_000 / 240);

export interface PartialMerkleTree {
  txCount: number;
  /** Internal byte order, in depth-first order. */
  hashes: Uint8Array[];
  /** Depth-first traversal flags. */
  bits: boolean[];
}

export interface PartialMerkleMatch {
  index: number;
  /** Internal byte order. */
  txid: Uint8Array;
}

/** Reads Core's CPartialMerkleTree serialization: u32 nTx | varint n | hashes | varint nBytes | bits LSB-first. */
export function readPartialMerkleTree(r: ByteReader): PartialMerkleTree {
  const txCount = r.u32le();
  const n = r.varint();
  if (n > MAX_PARTIAL_TREE_TRANSACTIONS) throw new MerkleError('bad-proof', `${n} hashes is more than any block holds`);
  const hashes: Uint8Array[] = [];
  for (let i = 0; i < n; i++) hashes.push(r.take(32).slice());
  const flagBytes = r.varBytes();
  const bits: boolean[] = [];
  for (let i = 0; i < flagBytes.length * 8; i++) bits.push(((flagBytes[i >> 3]! >> (i & 7)) & 1) === 1);
  return { txCount, hashes, bits };
}

/**
 * Core's CPartialMerkleTree::ExtractMatches: rebuilds the root from the flags and hashes, collecting
 * the matched leaves. Every hash and every flag byte must be consumed, and equal siblings are refused.
 */
export function extractPartialMerkleMatches(tree: PartialMerkleTree): { merkleRoot: Uint8Array; matches: PartialMerkleMatch[] } {
  const { txCount, hashes, bits } = tree;
  if (txCount === 0) throw new MerkleError('empty', 'partial merkle tree over zero transactions');
  if (txCount > MAX_PARTIAL_TREE_TRANSACTIONS) throw new MerkleError('bad-proof', `${txCount} transactions is more than any block holds`);
  if (hashes.length > txCount) throw new MerkleError('bad-proof', 'more hashes than transactions');
  if (bits.length < hashes.length) throw new MerkleError('bad-proof', 'fewer flag bits than hashes');
  const width = (height: number): number => Math.floor((txCount + 2 ** height - 1) / 2 ** height);
  let height = 0;
  while (width(height) > 1) height++;
  let bitsUsed = 0;
  let hashesUsed = 0;
  const matches: PartialMerkleMatch[] = [];

  const traverse = (h: number, pos: number): Uint8Array => {
    if (bitsUsed >= bits.length) throw new MerkleError('bad-proof', 'ran out of flag bits');
    const parentOfMatch = bits[bitsUsed++]!;
    if (h === 0 || !parentOfMatch) {
      if (hashesUsed >= hashes.length) throw new MerkleError('bad-proof', 'ran out of hashes');
      const hash = hashes[hashesUsed++]!;
      if (h === 0 && parentOfMatch) matches.push({ index: pos, txid: hash });
      return hash;
    }
    const left = traverse(h - 1, pos * 2);
    let right = left;
    if (pos * 2 + 1 < width(h - 1)) {
      right = traverse(h - 1, pos * 2 + 1);
      if (equalBytes(left, right)) throw new MerkleError('mutated', 'identical left and right siblings (CVE-2012-2459)');
    }
    return hashNode(left, right);
  };

  const merkleRoot = traverse(height, 0);
  if (Math.floor((bitsUsed + 7) / 8) !== Math.floor(bits.length / 8)) throw new MerkleError('bad-proof', 'unused flag bytes');
  if (hashesUsed !== hashes.length) throw new MerkleError('bad-proof', 'unused hashes');
  return { merkleRoot, matches };
}

export interface MerkleBlockProof {
  header: BlockHeader;
  /** Internal byte order. */
  blockHash: Uint8Array;
  txCount: number;
  matches: PartialMerkleMatch[];
}

/**
 * Parses and checks a merkle block (Core `gettxoutproof`, Esplora `/tx/:txid/merkleblock-proof`):
 * the partial tree must rebuild the header's merkle root. Proof of work is the header chain's business.
 */
export function verifyMerkleBlockProof(proof: Uint8Array | string): MerkleBlockProof {
  const raw = typeof proof === 'string' ? hexToBytes(proof.trim()) : proof;
  if (raw.length < HEADER_SIZE) throw new EncodingError(`merkle block is ${raw.length} bytes, shorter than a header`);
  const r = new ByteReader(raw);
  const headerBytes = r.take(HEADER_SIZE);
  const header = decodeHeader(headerBytes);
  const tree = readPartialMerkleTree(r);
  if (r.remaining !== 0) throw new EncodingError(`${r.remaining} trailing bytes after the merkle block`);
  const { merkleRoot, matches } = extractPartialMerkleMatches(tree);
  if (!equalBytes(merkleRoot, header.merkleRoot)) throw new MerkleError('root-mismatch', 'partial merkle tree does not rebuild the header merkle root');
  return { header, blockHash: headerHash(headerBytes), txCount: tree.txCount, matches };
}
