import { encodeSegwitAddress } from '../address.js';
import { addressParams, type AddressNetwork } from '../networks-address.js';
import { taprootOutput } from '../taproot/script-tree.js';
import { checkXOnly } from './x-only-key.js';
import { buildCustodyRecoveryScript, type CustodyRecoveryScriptParams } from './custody.js';
import type { LeafSpendInfo } from './deposit-address.js';

export interface CustodyAddressParams {
  network: AddressNetwork | string;
  /** FROST group key, x-only (the DKG normalises it to even y): the key path the signers use. */
  groupKey: Uint8Array;
  recovery: CustodyRecoveryScriptParams;
}

export interface CustodyAddress {
  address: string;
  scriptPubKey: Uint8Array;
  internalKey: Uint8Array;
  outputKey: Uint8Array;
  parity: 0 | 1;
  /** TapTweak(group key ‖ merkle root): the FROST aggregator adds it to the group signature. */
  tweak: Uint8Array;
  merkleRoot: Uint8Array;
  recoveryLeaf: LeafSpendInfo;
}

/** Custody P2TR: group key as internal key, one recovery leaf over the backup keys. */
export function custodyAddress(params: CustodyAddressParams): CustodyAddress {
  const { bech32Hrp } = addressParams(params.network);
  checkXOnly(params.groupKey, 'group key', 'custody address');
  const recovery = buildCustodyRecoveryScript(params.recovery);
  const out = taprootOutput(params.groupKey, { script: recovery });
  const leaf = out.leaves[0]!;
  return {
    address: encodeSegwitAddress(bech32Hrp, 1, out.outputKey),
    scriptPubKey: out.scriptPubKey,
    internalKey: params.groupKey,
    outputKey: out.outputKey,
    parity: out.parity,
    tweak: out.tweak,
    merkleRoot: out.merkleRoot!,
    recoveryLeaf: { script: leaf.script, leafVersion: leaf.leafVersion, leafHash: leaf.leafHash, controlBlock: leaf.controlBlock },
  };
}
