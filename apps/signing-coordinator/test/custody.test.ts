import { schnorr } from '@noble/curves/secp256k1.js';
import { bytesToHex, hexToBytes, randomBytes } from '@noble/hashes/utils.js';
import { custodyAddress, decodeSegwitAddress } from '@tapbridge/bitcoin';
import { simulate } from '@tapbridge/frost';
import { describe, expect, it } from 'vitest';
import { custodyFor } from '../src/custody.js';

const backupKeys = [1, 2, 3].map((i) => bytesToHex(schnorr.getPublicKey(new Uint8Array(32).fill(i))));
const withRecovery = { network: 'regtest', recoveryKeys: backupKeys, recoveryThreshold: 2, recoveryLock: 4_320 };
const keyPathOnly = { network: 'regtest', recoveryKeys: [], recoveryThreshold: 1, recoveryLock: 1 };

describe('custody output', () => {
  it('with a recovery leaf: the threshold signature for the merkle-root tweak verifies under the address key', () => {
    // The recovery leaf does not depend on the group key, so its merkle root is known before the DKG.
    const { merkleRoot } = custodyFor(hexToBytes('79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798'), withRecovery);
    const message = randomBytes(32);
    const run = simulate({ n: 5, t: 3, message, merkleRoot: hexToBytes(merkleRoot as string) });
    const custody = custodyFor(hexToBytes(run.groupKey), withRecovery);
    expect(custody.outputKey).toBe(run.outputKey);
    expect(custody.tweak).toEqual({ kind: 'merkle-root', merkleRoot });
    expect(schnorr.verify(hexToBytes(run.signature), message, hexToBytes(custody.outputKey))).toBe(true);
    // Same address as packages/bitcoin builds, and the address commits to the output key.
    const reference = custodyAddress({ network: 'regtest', groupKey: hexToBytes(run.groupKey), recovery: { recoveryLock: 4_320, keys: backupKeys.map((k) => hexToBytes(k)), threshold: 2 } });
    expect(custody.address).toBe(reference.address);
    expect(bytesToHex(decodeSegwitAddress(custody.address, 'bcrt').program)).toBe(custody.outputKey);
  });

  it('key-path only: the BIP86-style tweak, a signature for it verifies under the address key', () => {
    const message = randomBytes(32);
    const run = simulate({ n: 3, t: 2, message });
    const custody = custodyFor(hexToBytes(run.groupKey), keyPathOnly);
    expect(custody).toMatchObject({ merkleRoot: null, recoveryLeaf: null, tweak: { kind: 'key-path-only' }, outputKey: run.outputKey });
    expect(custody.address).toMatch(/^bcrt1p/);
    expect(schnorr.verify(hexToBytes(run.signature), message, hexToBytes(custody.outputKey))).toBe(true);
  });
});
