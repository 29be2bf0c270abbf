// The custody output for a group key, written once for the coordinator (which builds sweeps to it) and every signer
// (which checks that a sweep pays it): packages/bitcoin's custodyAddress when a recovery leaf is configured, otherwise
// a key-path-only P2TR (TapTweak of the group key with an empty merkle root).
import { addressParams, bytesToHex, custodyAddress, encodeSegwitAddress, hexToBytes, taprootOutput } from '@tapbridge/bitcoin';
import type { TweakSpec } from './request.js';

export interface CustodySettings {
  network: string;
  /** Backup x-only keys of the recovery leaf (hex); none = key-path-only custody. */
  recoveryKeys: string[];
  recoveryThreshold: number;
  /** Relative lock (blocks) before the backup keys may move custody funds. */
  recoveryLock: number;
}

export interface Custody {
  network: string;
  /** x-only even-y group key: the Taproot internal key. */
  groupKey: string;
  outputKey: string;
  address: string;
  scriptPubKey: string;
  merkleRoot: string | null;
  recoveryLeaf: { script: string; controlBlock: string; recoveryLock: number; threshold: number; keys: string[] } | null;
  /** The tweak a signature for the custody key path uses (the default for requests). */
  tweak: TweakSpec;
}

export function custodyFor(groupKeyXonly: Uint8Array, s: CustodySettings): Custody {
  if (s.recoveryKeys.length === 0) {
    const out = taprootOutput(groupKeyXonly);
    return {
      network: s.network,
      groupKey: bytesToHex(groupKeyXonly),
      outputKey: bytesToHex(out.outputKey),
      address: encodeSegwitAddress(addressParams(s.network).bech32Hrp, 1, out.outputKey),
      scriptPubKey: bytesToHex(out.scriptPubKey),
      merkleRoot: null,
      recoveryLeaf: null,
      tweak: { kind: 'key-path-only' },
    };
  }
  const c = custodyAddress({
    network: s.network,
    groupKey: groupKeyXonly,
    recovery: { recoveryLock: s.recoveryLock, keys: s.recoveryKeys.map((k) => hexToBytes(k)), threshold: s.recoveryThreshold },
  });
  return {
    network: s.network,
    groupKey: bytesToHex(groupKeyXonly),
    outputKey: bytesToHex(c.outputKey),
    address: c.address,
    scriptPubKey: bytesToHex(c.scriptPubKey),
    merkleRoot: bytesToHex(c.merkleRoot),
    recoveryLeaf: { script: bytesToHex(c.recoveryLeaf.script), controlBlock: bytesToHex(c.recoveryLeaf.controlBlock), recoveryLock: s.recoveryLock, threshold: s.recoveryThreshold, keys: s.recoveryKeys },
    tweak: { kind: 'merkle-root', merkleRoot: bytesToHex(c.merkleRoot) },
  };
}
