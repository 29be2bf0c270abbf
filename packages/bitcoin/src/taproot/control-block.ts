import { bytesToHex, equalBytes } from '../bytes.js';
import { TaprootError } from './errors.js';
import { foldMerklePath, tapLeafHash } from './leaf.js';
import { taprootTweak } from './tweak.js';

/** BIP341 bounds the script tree depth, so a control block carries at most 128 path hashes. */
export const TAPROOT_CONTROL_MAX_NODE_COUNT = 128;
const TAPROOT_CONTROL_BASE_SIZE = 33;

export interface ControlBlock {
  leafVersion: number;
  /** Parity of the output key's y coordinate. */
  parity: 0 | 1;
  internalKey: Uint8Array;
  /** Merkle path siblings, leaf → root. */
  path: Uint8Array[];
}

export function parseControlBlock(cb: Uint8Array): ControlBlock {
  if (!(cb instanceof Uint8Array)) throw new TaprootError('control block must be a Uint8Array');
  const m = (cb.length - TAPROOT_CONTROL_BASE_SIZE) / 32;
  if (cb.length < TAPROOT_CONTROL_BASE_SIZE || !Number.isInteger(m) || m > TAPROOT_CONTROL_MAX_NODE_COUNT)
    throw new TaprootError(`control block length ${cb.length} is not 33 + 32·m with m ≤ 128`);
  const control = cb[0]!;
  const path: Uint8Array[] = [];
  for (let i = 0; i < m; i++) path.push(cb.slice(33 + 32 * i, 65 + 32 * i));
  return { leafVersion: control & 0xfe, parity: (control & 1) as 0 | 1, internalKey: cb.slice(1, 33), path };
}

export function encodeControlBlock(block: ControlBlock): Uint8Array {
  if (block.internalKey.length !== 32) throw new TaprootError('internal key must be 32 bytes');
  if (block.path.length > TAPROOT_CONTROL_MAX_NODE_COUNT) throw new TaprootError('merkle path longer than 128');
  if ((block.leafVersion & 1) !== 0) throw new TaprootError('leaf version must be even');
  const out = new Uint8Array(33 + 32 * block.path.length);
  out[0] = block.leafVersion | block.parity;
  out.set(block.internalKey, 1);
  block.path.forEach((node, i) => {
    if (node.length !== 32) throw new TaprootError(`merkle path node ${i} must be 32 bytes`);
    out.set(node, 33 + 32 * i);
  });
  return out;
}

/**
 * BIP341 script-path commitment check (VerifyTaprootCommitment): the leaf hash folded up the control
 * block's path, tweaked into its internal key, must give the output key with the stated parity.
 */
export function verifyTaprootCommitment(outputKey: Uint8Array, leafScript: Uint8Array, controlBlock: Uint8Array): boolean {
  if (!(outputKey instanceof Uint8Array) || outputKey.length !== 32) throw new TaprootError('output key must be 32 bytes');
  const cb = parseControlBlock(controlBlock);
  const root = foldMerklePath(tapLeafHash(leafScript, cb.leafVersion), cb.path);
  let tweaked;
  try {
    tweaked = taprootTweak(cb.internalKey, root);
  } catch (e) {
    // An internal key off the curve commits to nothing: the spend is invalid, not the caller's input.
    if (e instanceof TaprootError) return false;
    throw e;
  }
  return tweaked.parity === cb.parity && equalBytes(tweaked.outputKey, outputKey);
}

export const controlBlockHex = (cb: ControlBlock): string => bytesToHex(encodeControlBlock(cb));
