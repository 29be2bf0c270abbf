import { TaprootError } from './errors.js';
import { TAPSCRIPT_LEAF_VERSION, tapBranchHash, tapLeafHash } from './leaf.js';
import { encodeControlBlock, TAPROOT_CONTROL_MAX_NODE_COUNT } from './control-block.js';
import { taprootTweak, type TaprootTweak } from './tweak.js';

export interface TapLeaf {
  script: Uint8Array;
  /** Defaults to 0xc0 (tapscript). */
  leafVersion?: number;
}

/** A script tree as BIP341's wallet vectors write it: a leaf, or a pair of subtrees. */
export type TapTree = TapLeaf | readonly [TapTree, TapTree];

export interface TapTreeLeaf {
  script: Uint8Array;
  leafVersion: number;
  leafHash: Uint8Array;
  /** Sibling hashes leaf → root, as they appear in the control block. */
  path: Uint8Array[];
}

export interface TapTreeCommitment {
  merkleRoot: Uint8Array;
  /** Leaves in depth-first, left-to-right order. */
  leaves: TapTreeLeaf[];
}

function isLeaf(node: TapTree): node is TapLeaf {
  return !Array.isArray(node);
}

/** Computes every leaf hash, the merkle root and each leaf's path for a script tree. */
export function buildTapTree(tree: TapTree): TapTreeCommitment {
  const leaves: TapTreeLeaf[] = [];
  const visit = (node: TapTree, depth: number): { hash: Uint8Array; leaves: TapTreeLeaf[] } => {
    if (depth > TAPROOT_CONTROL_MAX_NODE_COUNT) throw new TaprootError('script tree deeper than 128');
    if (isLeaf(node)) {
      if (node === null || typeof node !== 'object' || !(node.script instanceof Uint8Array))
        throw new TaprootError('a script tree leaf needs a script');
      const leafVersion = node.leafVersion ?? TAPSCRIPT_LEAF_VERSION;
      const leaf: TapTreeLeaf = { script: node.script, leafVersion, leafHash: tapLeafHash(node.script, leafVersion), path: [] };
      leaves.push(leaf);
      return { hash: leaf.leafHash, leaves: [leaf] };
    }
    const branch = node as readonly TapTree[];
    if (branch.length !== 2) throw new TaprootError('a script tree branch has exactly two children');
    const left = visit(branch[0]!, depth + 1);
    const right = visit(branch[1]!, depth + 1);
    for (const l of left.leaves) l.path.push(right.hash);
    for (const l of right.leaves) l.path.push(left.hash);
    return { hash: tapBranchHash(left.hash, right.hash), leaves: [...left.leaves, ...right.leaves] };
  };
  const root = visit(tree, 0);
  return { merkleRoot: root.hash, leaves };
}

export interface TaprootLeafSpend extends TapTreeLeaf {
  controlBlock: Uint8Array;
}

export interface TaprootOutput extends TaprootTweak {
  internalKey: Uint8Array;
  /** Absent for a key-path-only output. */
  merkleRoot?: Uint8Array;
  /** OP_1 <32-byte output key>. */
  scriptPubKey: Uint8Array;
  leaves: TaprootLeafSpend[];
}

export function p2trScriptPubKey(outputKey: Uint8Array): Uint8Array {
  if (outputKey.length !== 32) throw new TaprootError('output key must be 32 bytes');
  const spk = new Uint8Array(34);
  spk[0] = 0x51;
  spk[1] = 0x20;
  spk.set(outputKey, 2);
  return spk;
}

/** A P2TR output for an internal key and optional script tree, with a control block for every leaf. */
export function taprootOutput(internalKey: Uint8Array, scriptTree?: TapTree): TaprootOutput {
  const commitment = scriptTree === undefined ? undefined : buildTapTree(scriptTree);
  const tweak = taprootTweak(internalKey, commitment?.merkleRoot);
  const leaves = (commitment?.leaves ?? []).map((leaf) => ({
    ...leaf,
    controlBlock: encodeControlBlock({ leafVersion: leaf.leafVersion, parity: tweak.parity, internalKey, path: leaf.path }),
  }));
  return {
    ...tweak,
    internalKey,
    ...(commitment ? { merkleRoot: commitment.merkleRoot } : {}),
    scriptPubKey: p2trScriptPubKey(tweak.outputKey),
    leaves,
  };
}
