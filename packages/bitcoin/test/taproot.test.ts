import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bytesToHex, hexToBytes } from '../src/bytes.js';
import { encodeSegwitAddress } from '../src/address.js';
import {
  NUMS_INTERNAL_KEY,
  TaprootError,
  buildTapTree,
  parseControlBlock,
  tapBranchHash,
  tapLeafHash,
  taggedHash,
  taprootOutput,
  taprootTweak,
  taprootTweakSecretKey,
  verifyTaprootCommitment,
  type TapTree,
} from '../src/taproot/index.js';
import { sha256 } from '../src/bytes.js';
import { schnorr } from '@noble/curves/secp256k1.js';
import { sharedPath } from '@tapbridge/testing';

const vectorFile = sharedPath('vectors/bip341/wallet-test-vectors.json');

interface VectorLeaf {
  id: number;
  script: string;
  leafVersion: number;
}
type VectorTree = VectorLeaf | VectorTree[] | null;
interface ScriptPubKeyVector {
  given: { internalPubkey: string; scriptTree: VectorTree };
  intermediary: { leafHashes?: string[]; merkleRoot: string | null; tweak: string; tweakedPubkey: string };
  expected: { scriptPubKey: string; bip350Address: string; scriptPathControlBlocks?: string[] };
}

function toTree(node: VectorTree): TapTree {
  if (node === null) throw new Error('null subtree');
  if (Array.isArray(node)) {
    if (node.length !== 2) throw new Error('vector branch without two children');
    return [toTree(node[0]!), toTree(node[1]!)];
  }
  return { script: hexToBytes(node.script), leafVersion: node.leafVersion };
}

/** The vectors list leaf hashes and control blocks by leaf id, which is the depth-first order. */
function leafIds(node: VectorTree): number[] {
  if (node === null) return [];
  return Array.isArray(node) ? node.flatMap(leafIds) : [node.id];
}

describe.skipIf(!fs.existsSync(vectorFile))('BIP341 wallet vectors: scriptPubKey (needs ../shared/vectors)', () => {
  const vectors = fs.existsSync(vectorFile)
    ? (JSON.parse(fs.readFileSync(vectorFile, 'utf8')) as { scriptPubKey: ScriptPubKeyVector[] }).scriptPubKey
    : [];

  it.each(vectors.map((v, i) => [i, v] as const))('vector %i: leaf hashes, merkle root, tweak, output key, address, control blocks', (_i, v) => {
    const internalKey = hexToBytes(v.given.internalPubkey);
    const tree = v.given.scriptTree === null ? undefined : toTree(v.given.scriptTree);
    const out = taprootOutput(internalKey, tree);
    expect(bytesToHex(out.tweak)).toBe(v.intermediary.tweak);
    expect(bytesToHex(out.outputKey)).toBe(v.intermediary.tweakedPubkey);
    expect(bytesToHex(out.scriptPubKey)).toBe(v.expected.scriptPubKey);
    expect(encodeSegwitAddress('bc', 1, out.outputKey)).toBe(v.expected.bip350Address);
    expect(out.merkleRoot === undefined ? null : bytesToHex(out.merkleRoot)).toBe(v.intermediary.merkleRoot);
    const ids = leafIds(v.given.scriptTree);
    ids.forEach((id, pos) => {
      const leaf = out.leaves[pos]!;
      expect(bytesToHex(leaf.leafHash)).toBe(v.intermediary.leafHashes![id]);
      expect(bytesToHex(leaf.controlBlock)).toBe(v.expected.scriptPathControlBlocks![id]);
      expect(verifyTaprootCommitment(out.outputKey, leaf.script, leaf.controlBlock)).toBe(true);
    });
  });

  it('verifyTaprootCommitment rejects a wrong script, a flipped parity bit and a wrong path', () => {
    const v = vectors.find((x) => (x.expected.scriptPathControlBlocks?.length ?? 0) >= 3)!;
    const outputKey = hexToBytes(v.intermediary.tweakedPubkey);
    const out = taprootOutput(hexToBytes(v.given.internalPubkey), toTree(v.given.scriptTree));
    const leaf = out.leaves[0]!;
    expect(verifyTaprootCommitment(outputKey, out.leaves[1]!.script, leaf.controlBlock)).toBe(false);
    const flipped = leaf.controlBlock.slice();
    flipped[0]! ^= 1;
    expect(verifyTaprootCommitment(outputKey, leaf.script, flipped)).toBe(false);
    const badPath = leaf.controlBlock.slice();
    badPath[40]! ^= 0x01;
    expect(verifyTaprootCommitment(outputKey, leaf.script, badPath)).toBe(false);
  });
});

describe('taproot primitives', () => {
  it('taggedHash is SHA256(SHA256(tag) ‖ SHA256(tag) ‖ msg)', () => {
    const msg = hexToBytes('00112233');
    const t = sha256(new TextEncoder().encode('TapLeaf'));
    expect(bytesToHex(taggedHash('TapLeaf', msg))).toBe(bytesToHex(sha256(Uint8Array.from([...t, ...t, ...msg]))));
    expect(bytesToHex(taggedHash('TapLeaf', hexToBytes('0011'), hexToBytes('2233')))).toBe(bytesToHex(taggedHash('TapLeaf', msg)));
  });

  it('tapBranchHash sorts its children', () => {
    const a = tapLeafHash(hexToBytes('51'));
    const b = tapLeafHash(hexToBytes('52'));
    expect(bytesToHex(tapBranchHash(a, b))).toBe(bytesToHex(tapBranchHash(b, a)));
    expect(() => tapBranchHash(a, a.subarray(1))).toThrow(TaprootError);
  });

  it('NUMS_INTERNAL_KEY is the x coordinate of lift_x(SHA256(uncompressed G)) as BIP341 defines H', () => {
    const G = schnorr.Point.BASE.toBytes(false);
    const x = BigInt('0x' + bytesToHex(sha256(G)));
    const H = schnorr.utils.lift_x(x);
    expect(bytesToHex(schnorr.utils.pointToBytes(H))).toBe(bytesToHex(NUMS_INTERNAL_KEY));
  });

  it('the tweaked secret key signs for the tweaked output key', () => {
    const secret = hexToBytes('6b973d88838f27366ed61c9ad6367663045cb456e28335c109e30717ae0c6baa');
    const internal = schnorr.getPublicKey(secret);
    const root = tapLeafHash(hexToBytes('51'));
    const tweakedSecret = taprootTweakSecretKey(secret, root);
    expect(bytesToHex(schnorr.getPublicKey(tweakedSecret))).toBe(bytesToHex(taprootTweak(internal, root).outputKey));
  });

  it('rejects bad keys, control blocks and leaf versions with TaprootError', () => {
    expect(() => taprootTweak(new Uint8Array(31))).toThrow(/32 bytes/);
    // x = 5 is not on secp256k1 (5^3 + 7 = 132 is a non-residue mod p).
    expect(() => taprootTweak(hexToBytes('0000000000000000000000000000000000000000000000000000000000000005'))).toThrow(/not the x coordinate/);
    expect(() => parseControlBlock(new Uint8Array(32))).toThrow(/33 \+ 32·m/);
    expect(() => parseControlBlock(new Uint8Array(34))).toThrow(TaprootError);
    expect(() => parseControlBlock(new Uint8Array(33 + 32 * 129))).toThrow(TaprootError);
    expect(() => tapLeafHash(hexToBytes('51'), 0xc1)).toThrow(/leaf version/);
    expect(() => buildTapTree([{ script: hexToBytes('51') }] as unknown as TapTree)).toThrow(/two children/);
  });

  it('a key-path-only output has no merkle root and no leaves', () => {
    const out = taprootOutput(NUMS_INTERNAL_KEY);
    expect(out.merkleRoot).toBeUndefined();
    expect(out.leaves).toEqual([]);
  });
});
