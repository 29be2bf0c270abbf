import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EncodingError, bytesToHex, hashToHex, hexToBytes, hexToHash, sha256d } from '../src/bytes.js';
import { parseBlock } from '../src/block/parse.js';
import { sharedPath } from '@tapbridge/testing';
import {
  MerkleError,
  buildMerkleBlock,
  computeMerkleBranch,
  merkleBlockProver,
  computeMerkleRoot,
  merkleRootFromBranch,
  verifyEsploraMerkleProof,
  verifyMerkleBlockProof,
  verifyMerkleBranch,
  type EsploraMerkleProof,
} from '../src/merkle/index.js';

const proofsFile = sharedPath('bitcoin-data/mainnet/merkle-proofs.json');
const blocksDir = sharedPath('bitcoin-data/mainnet/blocks');

interface Proofs {
  merkleblock: { proofs: { height: number; blockHash: string; merkleRoot: string; nTx: number; matched: { index: number; txid: string }[]; hex: string }[] };
  esploraMerkleProof: { proofs: { height: number; blockHash: string; merkleRoot: string; txid: string; esplora: EsploraMerkleProof }[] };
}

function merkleCode(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof MerkleError) return e.code;
    throw e;
  }
  return 'accepted';
}

const leaf = (i: number): Uint8Array => sha256d(Uint8Array.of(i));

describe('merkle root and branches', () => {
  it('a single leaf is its own root; an empty list gives zero', () => {
    expect(computeMerkleRoot([leaf(1)]).root).toEqual(leaf(1));
    expect(computeMerkleRoot([]).root).toEqual(new Uint8Array(32));
  });

  it('pairs the last hash of an odd level with itself, and flags the duplicated list as mutated', () => {
    const [a, b, c] = [leaf(1), leaf(2), leaf(3)];
    const h = (x: Uint8Array, y: Uint8Array): Uint8Array => sha256d(Uint8Array.from([...x, ...y]));
    const three = computeMerkleRoot([a, b, c]);
    expect(three.root).toEqual(h(h(a, b), h(c, c)));
    expect(three.mutated).toBe(false);
    const four = computeMerkleRoot([a, b, c, c]);
    expect(four.root).toEqual(three.root);
    expect(four.mutated).toBe(true);
  });

  it('branches fold back to the root for every index of odd and even trees', () => {
    for (const n of [1, 2, 3, 5, 8, 13]) {
      const leaves = Array.from({ length: n }, (_, i) => leaf(i));
      const { root } = computeMerkleRoot(leaves);
      for (let i = 0; i < n; i++) {
        const branch = computeMerkleBranch(leaves, i);
        expect(merkleRootFromBranch(leaves[i]!, branch, i)).toEqual(root);
        verifyMerkleBranch({ leaf: leaves[i]!, branch, index: i, root, txCount: n });
      }
    }
  });

  it('rejects a wrong index, a wrong leaf and a branch of the wrong depth', () => {
    const leaves = Array.from({ length: 6 }, (_, i) => leaf(i));
    const { root } = computeMerkleRoot(leaves);
    const branch = computeMerkleBranch(leaves, 2);
    expect(merkleCode(() => verifyMerkleBranch({ leaf: leaves[2]!, branch, index: 3, root }))).toBe('root-mismatch');
    expect(merkleCode(() => verifyMerkleBranch({ leaf: leaves[1]!, branch, index: 2, root }))).toBe('root-mismatch');
    expect(merkleCode(() => verifyMerkleBranch({ leaf: leaves[2]!, branch: branch.slice(1), index: 2, root, txCount: 6 }))).toBe('bad-proof');
    expect(merkleCode(() => verifyMerkleBranch({ leaf: leaves[2]!, branch, index: 6, root, txCount: 6 }))).toBe('index-out-of-range');
    expect(merkleCode(() => computeMerkleBranch(leaves, 6))).toBe('index-out-of-range');
  });
});

describe.skipIf(!fs.existsSync(proofsFile))('real proofs from ../shared/bitcoin-data/mainnet/merkle-proofs.json (needs ../shared/bitcoin-data)', () => {
  const proofs = fs.existsSync(proofsFile) ? (JSON.parse(fs.readFileSync(proofsFile, 'utf8')) as Proofs) : undefined;

  it.each(proofs ? proofs.merkleblock.proofs.map((p) => [p.height, p.matched.map((m) => m.index).join(','), p] as const) : [])(
    'merkle block proof at %i for tx %s rebuilds the root and yields the matched txids',
    (_h, _i, p) => {
      const result = verifyMerkleBlockProof(p.hex);
      expect(hashToHex(result.blockHash)).toBe(p.blockHash);
      expect(hashToHex(result.header.merkleRoot)).toBe(p.merkleRoot);
      expect(result.txCount).toBe(p.nTx);
      expect(result.matches.map((m) => ({ index: m.index, txid: hashToHex(m.txid) }))).toEqual(p.matched);
    },
  );

  it('merkle block proofs with a changed hash, flag or trailing byte are refused', () => {
    const p = proofs!.merkleblock.proofs.find((x) => x.matched.length > 1)!;
    const raw = hexToBytes(p.hex);
    const hashes = raw.slice();
    hashes[80 + 4 + 1 + 40]! ^= 1; // inside the first hash after nTx and the hash count
    expect(merkleCode(() => verifyMerkleBlockProof(hashes))).toBe('root-mismatch');
    // Clearing the root's flag bit (bit 0 of the first flag byte) turns the proof into "the root is hash 0".
    const flags = raw.slice();
    // header | nTx | hash count (one byte here) | hashes | flag byte count (one byte) | flags
    expect(raw[84]).toBeLessThan(0xfd);
    const firstFlagByte = 80 + 4 + 1 + 32 * raw[84]! + 1;
    flags[firstFlagByte]! &= 0xfe;
    expect(() => verifyMerkleBlockProof(flags)).toThrow(MerkleError);
    expect(() => verifyMerkleBlockProof(Uint8Array.from([...raw, 0]))).toThrow(EncodingError);
  });

  it.each(proofs ? proofs.esploraMerkleProof.proofs.map((p) => [p.height, p.esplora.pos, p] as const) : [])(
    'Esplora merkle proof at %i pos %i verifies against the header root',
    (_h, _pos, p) => {
      verifyEsploraMerkleProof(p.esplora, p.txid, hexToHash(p.merkleRoot));
      // Flip the top-level bit: at the top the two children always differ, so the position is pinned there.
      const moved = { ...p.esplora, pos: p.esplora.pos ^ (1 << (p.esplora.merkle.length - 1)) };
      expect(merkleCode(() => verifyEsploraMerkleProof(moved, p.txid, hexToHash(p.merkleRoot)))).toBe('root-mismatch');
    },
  );

  it("buildMerkleBlock rebuilds Core's gettxoutproof bytes from the raw blocks, one match or several", () => {
    let rebuilt = 0;
    const blocks = new Map<number, ReturnType<typeof parseBlock>>();
    for (const p of proofs!.merkleblock.proofs) {
      const file = path.join(blocksDir, `${p.height}.raw`);
      if (!fs.existsSync(file)) continue;
      if (!blocks.has(p.height)) blocks.set(p.height, parseBlock(new Uint8Array(fs.readFileSync(file))));
      const block = blocks.get(p.height)!;
      const header = hexToBytes(p.hex.slice(0, 160));
      const built = buildMerkleBlock(header, block.txs.map((tx) => tx.txid), p.matched.map((m) => m.index));
      expect(bytesToHex(built)).toBe(p.hex);
      rebuilt++;
    }
    expect(rebuilt).toBeGreaterThan(1);
    // The prover hashes the tree once and proves any set of indexes, each accepted by the verifier.
    const [height, block] = blocks.entries().next().value!;
    const header = hexToBytes(proofs!.merkleblock.proofs.find((p) => p.height === height)!.hex.slice(0, 160));
    const prove = merkleBlockProver(header, block.txs.map((tx) => tx.txid));
    const last = block.txs.length - 1;
    expect(verifyMerkleBlockProof(prove([0, last])).matches.map((m) => m.index)).toEqual([0, last]);
    expect(() => prove(block.txs.length)).toThrow(MerkleError);
  });

  it('Esplora proofs equal the branches computed from the raw blocks, with the block tx count pinned', () => {
    const byHeight = new Map<number, ReturnType<typeof parseBlock>>();
    for (const p of proofs!.esploraMerkleProof.proofs) {
      const file = path.join(blocksDir, `${p.height}.raw`);
      if (!fs.existsSync(file)) continue;
      if (!byHeight.has(p.height)) byHeight.set(p.height, parseBlock(new Uint8Array(fs.readFileSync(file))));
      const block = byHeight.get(p.height)!;
      const txids = block.txs.map((tx) => tx.txid);
      expect(hashToHex(txids[p.esplora.pos]!)).toBe(p.txid);
      expect(computeMerkleBranch(txids, p.esplora.pos).map(hashToHex)).toEqual(p.esplora.merkle);
      verifyEsploraMerkleProof(p.esplora, p.txid, block.header.merkleRoot, block.txs.length);
      // The last tx of an odd level is paired with itself, so its position bit there is not committed:
      // only the tx count catches pos = nTx, one past the end.
      if (p.esplora.pos === block.txs.length - 1 && block.txs.length % 2 === 1) {
        const past = { ...p.esplora, pos: block.txs.length };
        verifyEsploraMerkleProof(past, p.txid, block.header.merkleRoot);
        expect(merkleCode(() => verifyEsploraMerkleProof(past, p.txid, block.header.merkleRoot, block.txs.length))).toBe('index-out-of-range');
      }
    }
    expect(byHeight.size).toBeGreaterThan(0);
  });
});
