import { schnorr } from '@noble/curves/secp256k1.js';
import { describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes } from '../src/bytes.js';
import { addressToOutputScript, decodeSegwitAddress } from '../src/address.js';
import {
  NUMS_INTERNAL_KEY,
  parseControlBlock,
  tapBranchHash,
  tapLeafHash,
  taprootTweak,
  verifyTaprootCommitment,
} from '../src/taproot/index.js';
import {
  ScriptTemplateError,
  buildCustodyRecoveryScript,
  buildDepositScript,
  buildOpReturnDepositScript,
  buildReclaimScript,
  custodyAddress,
  decodeScriptNum,
  depositAddress,
  depositAddressFromScripts,
  encodeScriptNum,
  findOpReturnDeposit,
  identifyLeafScript,
  parseCustodyRecoveryScript,
  parseDepositScript,
  parseOpReturnDepositScript,
  parseReclaimScript,
  toChecksumAddress,
} from '../src/scripts/index.js';

// Keys of fixed secrets 1..4 (G, 2G, 3G, 4G): well-known x coordinates, valid x-only keys.
const key = (i: number): Uint8Array => schnorr.getPublicKey(hexToBytes(i.toString(16).padStart(64, '0')));
const GROUP = key(1);
const DEPOSITOR = key(2);
const RECIPIENT = '0x52908400098527886e0f7030069857d2e4169ee7';

/** Catches a ScriptTemplateError and returns the rule it names. */
function rule(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof ScriptTemplateError) return e.rule;
    throw e;
  }
  throw new Error('expected a ScriptTemplateError');
}

describe('deposit leaf', () => {
  it('lays out <max_fee BE ‖ recipient> OP_DROP <group key> OP_CHECKSIG and round-trips', () => {
    const params = { maxFee: 0x0102030405060708n, recipient: RECIPIENT, groupKey: GROUP };
    const script = buildDepositScript(params);
    const expected = '1c' + '0102030405060708' + RECIPIENT.slice(2) + '75' + '20' + bytesToHex(GROUP) + 'ac';
    expect(bytesToHex(script)).toBe(expected);
    expect(parseDepositScript(script)).toEqual(params);
    expect(bytesToHex(buildDepositScript(parseDepositScript(script)))).toBe(expected);
  });

  it('accepts an EIP-55 checksummed recipient and rejects a bad checksum', () => {
    // EIP-55's own example address.
    expect(toChecksumAddress(hexToBytes('5aaeb6053f3e94c9b9a09f33669435e7ef1beaed'))).toBe('0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed');
    expect(() => buildDepositScript({ maxFee: 1n, recipient: '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed', groupKey: GROUP })).not.toThrow();
    expect(rule(() => buildDepositScript({ maxFee: 1n, recipient: '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD', groupKey: GROUP }))).toMatch(/EIP-55/);
  });

  it('rejects bad parameters and malformed scripts, naming the rule', () => {
    expect(rule(() => buildDepositScript({ maxFee: -1n, recipient: RECIPIENT, groupKey: GROUP }))).toMatch(/max fee/);
    expect(rule(() => buildDepositScript({ maxFee: 2n ** 64n, recipient: RECIPIENT, groupKey: GROUP }))).toMatch(/max fee/);
    expect(rule(() => buildDepositScript({ maxFee: 1n, recipient: RECIPIENT.slice(0, 40), groupKey: GROUP }))).toMatch(/40 hex digits/);
    expect(rule(() => buildDepositScript({ maxFee: 1n, recipient: RECIPIENT, groupKey: GROUP.subarray(1) }))).toMatch(/32 bytes/);
    const good = buildDepositScript({ maxFee: 1n, recipient: RECIPIENT, groupKey: GROUP });
    // Same data pushed with OP_PUSHDATA1: same meaning, different script, so it must be refused.
    const nonMinimal = Uint8Array.from([0x4c, 0x1c, ...good.subarray(1)]);
    expect(rule(() => parseDepositScript(nonMinimal))).toMatch(/non-minimal push/);
    const shortData = Uint8Array.from([0x1b, ...good.subarray(2)]);
    expect(rule(() => parseDepositScript(shortData))).toMatch(/must be 28 bytes, got 27/);
    const wrongOp = good.slice();
    wrongOp[29] = 0x76;
    expect(rule(() => parseDepositScript(wrongOp))).toMatch(/OP_DROP/);
    expect(rule(() => parseDepositScript(good.subarray(0, 40)))).toMatch(/runs past the end/);
    // x = 5 is not on the curve.
    const offCurve = good.slice();
    offCurve.set(hexToBytes('00'.repeat(31) + '05'), 31);
    expect(rule(() => parseDepositScript(offCurve))).toMatch(/not the x coordinate/);
  });
});

describe('reclaim leaf', () => {
  it.each([
    [1, '51'],
    [16, '60'],
    [17, '0111'],
    [127, '017f'],
    [128, '028000'],
    [144, '029000'],
    [255, '02ff00'],
    [256, '020001'],
    [32767, '02ff7f'],
    [32768, '03008000'],
    [65535, '03ffff00'],
  ])('lock %i is pushed minimally as %s and round-trips', (lockBlocks, push) => {
    const script = buildReclaimScript({ lockBlocks, depositorKey: DEPOSITOR });
    expect(bytesToHex(script)).toBe(push + 'b275' + '20' + bytesToHex(DEPOSITOR) + 'ac');
    expect(parseReclaimScript(script)).toEqual({ lockBlocks, depositorKey: DEPOSITOR });
  });

  const tail = 'b27520' + bytesToHex(DEPOSITOR) + 'ac';
  it.each([
    ['00', /at least 1/],
    ['4f', /negative/],
    ['0100', /non-minimally encoded/],
    ['0110', /non-minimal push/], // 16 must be OP_16
    ['03000001', /exceeds 65535/],
    ['030a0040', /time-based type flag/],
    ['050000008000', /disable flag/],
    ['03ffff40', /time-based type flag/],
  ])('rejects lock push %s', (push, why) => {
    expect(rule(() => parseReclaimScript(hexToBytes(push + tail)))).toMatch(why);
  });

  it('rejects bad lock parameters when building', () => {
    expect(rule(() => buildReclaimScript({ lockBlocks: 0, depositorKey: DEPOSITOR }))).toMatch(/at least 1/);
    expect(rule(() => buildReclaimScript({ lockBlocks: 65536, depositorKey: DEPOSITOR }))).toMatch(/65535/);
    expect(rule(() => buildReclaimScript({ lockBlocks: 0x400000 | 10, depositorKey: DEPOSITOR }))).toMatch(/type flag/);
    expect(rule(() => buildReclaimScript({ lockBlocks: 1.5, depositorKey: DEPOSITOR }))).toMatch(/integer/);
  });

  it('script numbers follow CScriptNum', () => {
    for (const n of [0, 1, -1, 127, 128, -128, 255, 32767, 32768, 65535, 8388608, -8388608])
      expect(decodeScriptNum(encodeScriptNum(n), 5, 't')).toBe(n);
    expect(bytesToHex(encodeScriptNum(-255))).toBe('ff80');
  });
});

describe('custody recovery leaf', () => {
  const keys = [key(2), key(3), key(4)];
  it('lays out CSV, CHECKSIG/CHECKSIGADD over the keys and NUMEQUAL, and round-trips', () => {
    const params = { recoveryLock: 4320, keys, threshold: 2 };
    const script = buildCustodyRecoveryScript(params);
    const expected = '02e010' + 'b275' + '20' + bytesToHex(keys[0]!) + 'ac' + '20' + bytesToHex(keys[1]!) + 'ba' + '20' + bytesToHex(keys[2]!) + 'ba' + '52' + '9c';
    expect(bytesToHex(script)).toBe(expected);
    expect(parseCustodyRecoveryScript(script)).toEqual(params);
  });
  it('rejects bad thresholds, duplicates and a misplaced CHECKSIGADD', () => {
    expect(rule(() => buildCustodyRecoveryScript({ recoveryLock: 100, keys, threshold: 4 }))).toMatch(/threshold 4/);
    expect(rule(() => buildCustodyRecoveryScript({ recoveryLock: 100, keys, threshold: 0 }))).toMatch(/threshold 0/);
    expect(rule(() => buildCustodyRecoveryScript({ recoveryLock: 100, keys: [keys[0]!, keys[0]!], threshold: 1 }))).toMatch(/duplicate/);
    expect(rule(() => buildCustodyRecoveryScript({ recoveryLock: 100, keys: [], threshold: 1 }))).toMatch(/at least one/);
    const script = buildCustodyRecoveryScript({ recoveryLock: 100, keys, threshold: 2 });
    const swapped = script.slice();
    swapped[2 + 2 + 33] = 0xba; // first key followed by CHECKSIGADD instead of CHECKSIG
    expect(rule(() => parseCustodyRecoveryScript(swapped))).toMatch(/OP_CHECKSIG at element 4/);
  });
});

describe('deposit address', () => {
  const params = { network: 'regtest', groupKey: GROUP, recipient: RECIPIENT, maxFee: 20_000n, reclaimKey: DEPOSITOR, lockBlocks: 144 };

  it('commits NUMS + [deposit leaf, reclaim leaf] and both leaves spend to the address', () => {
    const d = depositAddress(params);
    const depositLeafScript = buildDepositScript({ maxFee: 20_000n, recipient: RECIPIENT, groupKey: GROUP });
    const reclaimLeafScript = buildReclaimScript({ lockBlocks: 144, depositorKey: DEPOSITOR });
    expect(bytesToHex(d.depositLeaf.script)).toBe(bytesToHex(depositLeafScript));
    expect(bytesToHex(d.reclaimLeaf.script)).toBe(bytesToHex(reclaimLeafScript));
    // Recompute the commitment from BIP341's definitions, apart from the tree builder.
    const root = tapBranchHash(tapLeafHash(depositLeafScript), tapLeafHash(reclaimLeafScript));
    expect(bytesToHex(d.merkleRoot)).toBe(bytesToHex(root));
    const { outputKey, parity } = taprootTweak(NUMS_INTERNAL_KEY, root);
    expect(bytesToHex(d.scriptPubKey)).toBe('5120' + bytesToHex(outputKey));
    expect(d.address.startsWith('bcrt1p')).toBe(true);
    expect(bytesToHex(addressToOutputScript(d.address, 'regtest'))).toBe(bytesToHex(d.scriptPubKey));
    for (const leaf of [d.depositLeaf, d.reclaimLeaf]) {
      const cb = parseControlBlock(leaf.controlBlock);
      expect(cb.parity).toBe(parity);
      expect(bytesToHex(cb.internalKey)).toBe(bytesToHex(NUMS_INTERNAL_KEY));
      expect(verifyTaprootCommitment(outputKey, leaf.script, leaf.controlBlock)).toBe(true);
    }
    expect(bytesToHex(parseControlBlock(d.depositLeaf.controlBlock).path[0]!)).toBe(bytesToHex(d.reclaimLeaf.leafHash));
  });

  it('is rebuilt identically from the two registered scripts, and refuses swapped scripts', () => {
    const d = depositAddress(params);
    const again = depositAddressFromScripts('regtest', d.depositLeaf.script, d.reclaimLeaf.script);
    expect(again).toEqual(d);
    expect(rule(() => depositAddressFromScripts('regtest', d.reclaimLeaf.script, d.depositLeaf.script))).toMatch(/expected 4 script elements/);
  });

  it('changes with every parameter and uses the network prefix', () => {
    const base = depositAddress(params).address;
    expect(depositAddress({ ...params, maxFee: 20_001n }).address).not.toBe(base);
    expect(depositAddress({ ...params, lockBlocks: 145 }).address).not.toBe(base);
    expect(depositAddress({ ...params, recipient: RECIPIENT.replace('52', '53') }).address).not.toBe(base);
    const main = depositAddress({ ...params, network: 'mainnet' }).address;
    expect(decodeSegwitAddress(main, 'bc').program).toEqual(decodeSegwitAddress(base, 'bcrt').program);
  });

  it('identifies each leaf by template and refuses unknown scripts', () => {
    const d = depositAddress(params);
    expect(identifyLeafScript(d.depositLeaf.script).template).toBe('deposit');
    expect(identifyLeafScript(d.reclaimLeaf.script)).toEqual({ template: 'reclaim', params: { lockBlocks: 144, depositorKey: DEPOSITOR } });
    expect(rule(() => identifyLeafScript(hexToBytes('51')))).toMatch(/unknown template/);
  });
});

describe('custody address and the simple OP_RETURN deposit', () => {
  const custody = custodyAddress({ network: 'regtest', groupKey: GROUP, recovery: { recoveryLock: 4320, keys: [key(3), key(4)], threshold: 2 } });

  it('tweaks the group key with the recovery leaf', () => {
    const root = tapLeafHash(custody.recoveryLeaf.script);
    expect(bytesToHex(custody.merkleRoot)).toBe(bytesToHex(root));
    expect(bytesToHex(custody.outputKey)).toBe(bytesToHex(taprootTweak(GROUP, root).outputKey));
    expect(verifyTaprootCommitment(custody.outputKey, custody.recoveryLeaf.script, custody.recoveryLeaf.controlBlock)).toBe(true);
  });

  it('finds a payment to custody with one OP_RETURN recipient, and nothing when ambiguous', () => {
    const marker = buildOpReturnDepositScript({ recipient: RECIPIENT });
    expect(bytesToHex(marker)).toBe('6a14' + RECIPIENT.slice(2));
    expect(parseOpReturnDepositScript(marker).recipient).toBe(RECIPIENT);
    const change = { value: 5n, scriptPubKey: hexToBytes('0014' + '00'.repeat(20)) };
    const pay = { value: 100_000n, scriptPubKey: custody.scriptPubKey };
    const ret = { value: 0n, scriptPubKey: marker };
    expect(findOpReturnDeposit([change, pay, ret], custody.scriptPubKey)).toEqual({ vout: 1, value: 100_000n, recipient: RECIPIENT });
    expect(findOpReturnDeposit([pay, ret, ret], custody.scriptPubKey)).toBeUndefined();
    expect(findOpReturnDeposit([pay, pay, ret], custody.scriptPubKey)).toBeUndefined();
    expect(findOpReturnDeposit([pay, change], custody.scriptPubKey)).toBeUndefined();
    expect(rule(() => parseOpReturnDepositScript(hexToBytes('6a15' + '00'.repeat(21))))).toMatch(/20 bytes, got 21/);
    expect(rule(() => parseOpReturnDepositScript(hexToBytes('6a4c14' + '00'.repeat(20))))).toMatch(/non-minimal/);
  });
});
