import { encodeSegwitAddress } from '../address.js';
import { addressParams, type AddressNetwork } from '../networks-address.js';
import { NUMS_INTERNAL_KEY } from '../taproot/tweak.js';
import { taprootOutput, type TaprootLeafSpend, type TaprootOutput } from '../taproot/script-tree.js';
import { buildDepositScript, parseDepositScript } from './deposit.js';
import { buildReclaimScript, parseReclaimScript } from './reclaim.js';

export interface DepositAddressParams {
  network: AddressNetwork | string;
  /** Custody (FROST group) x-only key. */
  groupKey: Uint8Array;
  /** EVM recipient, 0x-prefixed 20 bytes. */
  recipient: string;
  /** Most the signers may take as fee for sweeping the deposit, in satoshis. */
  maxFee: bigint;
  /** Depositor's x-only key for the reclaim path. */
  reclaimKey: Uint8Array;
  /** Blocks after confirmation before the depositor may reclaim. */
  lockBlocks: number;
}

/** A leaf with everything a script-path spend needs. */
export type LeafSpendInfo = Pick<TaprootLeafSpend, 'script' | 'leafVersion' | 'leafHash' | 'controlBlock'>;

export interface DepositAddress {
  address: string;
  scriptPubKey: Uint8Array;
  /** Always the NUMS key: a deposit can only be spent through one of its two leaves. */
  internalKey: Uint8Array;
  outputKey: Uint8Array;
  merkleRoot: Uint8Array;
  depositLeaf: LeafSpendInfo;
  reclaimLeaf: LeafSpendInfo;
}

const leafInfo = (l: TaprootLeafSpend): LeafSpendInfo => ({ script: l.script, leafVersion: l.leafVersion, leafHash: l.leafHash, controlBlock: l.controlBlock });

/**
 * The deposit output's taproot commitment from its two leaf scripts: NUMS internal key, tree =
 * [deposit leaf, reclaim leaf]. Both scripts are parsed first, so only well-formed leaves are committed to.
 */
export function depositTaprootOutput(depositScript: Uint8Array, reclaimScript: Uint8Array): TaprootOutput {
  parseDepositScript(depositScript);
  parseReclaimScript(reclaimScript);
  return taprootOutput(NUMS_INTERNAL_KEY, [{ script: depositScript }, { script: reclaimScript }]);
}

/** Rebuilds a registered deposit's address and spend data from the two scripts the depositor registered. */
export function depositAddressFromScripts(network: AddressNetwork | string, depositScript: Uint8Array, reclaimScript: Uint8Array): DepositAddress {
  const { bech32Hrp } = addressParams(network);
  const out = depositTaprootOutput(depositScript, reclaimScript);
  return {
    address: encodeSegwitAddress(bech32Hrp, 1, out.outputKey),
    scriptPubKey: out.scriptPubKey,
    internalKey: NUMS_INTERNAL_KEY,
    outputKey: out.outputKey,
    merkleRoot: out.merkleRoot!,
    depositLeaf: leafInfo(out.leaves[0]!),
    reclaimLeaf: leafInfo(out.leaves[1]!),
  };
}

/** The per-deposit P2TR address for a recipient, fee cap and reclaim path. */
export function depositAddress(params: DepositAddressParams): DepositAddress {
  addressParams(params.network);
  const deposit = buildDepositScript({ maxFee: params.maxFee, recipient: params.recipient, groupKey: params.groupKey });
  const reclaim = buildReclaimScript({ lockBlocks: params.lockBlocks, depositorKey: params.reclaimKey });
  return depositAddressFromScripts(params.network, deposit, reclaim);
}
