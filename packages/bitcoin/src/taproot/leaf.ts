import { ByteWriter } from '../bytes.js';
import { TaprootError } from './errors.js';
import { taggedHash } from './tagged-hash.js';

/** BIP342 tapscript leaf version. */
export const TAPSCRIPT_LEAF_VERSION = 0xc0;

export function assertLeafVersion(leafVersion: number): void {
  // BIP341: the leaf version is the control byte with the parity bit cleared, so it must be even; 0x50 is
  // excluded because it would collide with the annex tag.
  if (!Number.isInteger(leafVersion) || leafVersion < 0 || leafVersion > 0xfe || leafVersion % 2 !== 0 || leafVersion === 0x50)
    throw new TaprootError(`invalid leaf version ${String(leafVersion)}: must be an even byte other than 0x50`);
}

/** BIP341 leaf hash: TapLeaf(leaf_version ‖ compact_size(script) ‖ script). */
export function tapLeafHash(script: Uint8Array, leafVersion: number = TAPSCRIPT_LEAF_VERSION): Uint8Array {
  if (!(script instanceof Uint8Array)) throw new TaprootError('leaf script must be a Uint8Array');
  assertLeafVersion(leafVersion);
  return taggedHash('TapLeaf', new ByteWriter().u8(leafVersion).varBytes(script).finish());
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}

/** BIP341 branch hash: TapBranch over the two children in lexicographic order. */
export function tapBranchHash(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.length !== 32 || b.length !== 32) throw new TaprootError('branch children must be 32-byte hashes');
  return compareBytes(a, b) <= 0 ? taggedHash('TapBranch', a, b) : taggedHash('TapBranch', b, a);
}

/** Folds a leaf hash up a merkle path (siblings leaf→root) to the tree's root. */
export function foldMerklePath(leafHash: Uint8Array, path: readonly Uint8Array[]): Uint8Array {
  let k = leafHash;
  for (const sibling of path) k = tapBranchHash(k, sibling);
  return k;
}

