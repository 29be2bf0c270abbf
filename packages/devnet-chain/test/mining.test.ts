import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { HeaderChain, bytesToHex, concatBytes, decodeHeader, equalBytes, hashToHex, hexToBytes, sha256d } from '@tapbridge/bitcoin';
import { REGTEST_GENESIS_BLOCK, REGTEST_PARAMS, blockSubsidy, coinbaseHeight, decodeBlock } from '../src/index.js';
import { testNode } from './helpers.js';
import { sharedPath } from '@tapbridge/testing';

const networksFile = sharedPath('bitcoin-data/networks.json');

/** Independent of the miner: target from compact bits, compared as big-endian numbers. */
function hashMeetsBits(headerBytes: Uint8Array, bits: number): boolean {
  const target = BigInt(bits & 0x7fffff) << BigInt(8 * ((bits >>> 24) - 3));
  return BigInt('0x' + hashToHex(sha256d(headerBytes))) <= target;
}

/** Merkle root computed here from scratch (pairwise SHA256d, last node duplicated). */
function computeRoot(hashes: Uint8Array[]): Uint8Array {
  let level = hashes;
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(sha256d(concatBytes(level[i]!, level[i + 1] ?? level[i]!)));
    level = next;
  }
  return level[0]!;
}

describe('regtest genesis', () => {
  it('is Core\'s regtest genesis block', () => {
    const { node } = testNode();
    expect(node.tip.height).toBe(0);
    expect(node.tip.hash).toBe('0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206');
    expect(hashToHex(sha256d(REGTEST_GENESIS_BLOCK.subarray(0, 80)))).toBe(node.tip.hash);
    // The block's merkle root is its coinbase txid.
    const block = decodeBlock(REGTEST_GENESIS_BLOCK);
    expect(equalBytes(block.txs[0]!.getHash(), block.header.merkleRoot)).toBe(true);
  });

  it.skipIf(!fs.existsSync(networksFile))('matches ../shared/bitcoin-data/networks.json (needs ../shared/bitcoin-data)', () => {
    const regtest = JSON.parse(fs.readFileSync(networksFile, 'utf8')).networks.regtest;
    expect(bytesToHex(REGTEST_GENESIS_BLOCK.subarray(0, 80))).toBe(regtest.genesisHeader);
    expect(REGTEST_PARAMS.genesisHash).toBe(regtest.genesisHash);
    expect(REGTEST_PARAMS.powLimitBits.toString(16)).toBe(regtest.powLimitBits);
    expect(REGTEST_PARAMS.bech32Hrp).toBe(regtest.bech32Hrp);
  });
});

describe('mining', () => {
  it('produces blocks whose headers pass proof of work, link, and keep timestamps after the median time past', () => {
    const { node, clock } = testNode();
    const address = node.getNewAddress();
    const hashes = node.generateToAddress(30, address);
    expect(hashes).toHaveLength(30);
    expect(node.tip.height).toBe(30);
    const times: number[] = [node.chain.genesis.block.header.time];
    let prev = node.chain.genesis.hash;
    for (let h = 1; h <= 30; h++) {
      const raw = node.chain.active[h]!.block.raw;
      const headerBytes = raw.subarray(0, 80);
      const header = decodeHeader(headerBytes);
      expect(header.bits).toBe(0x207fffff);
      expect(hashMeetsBits(headerBytes, header.bits)).toBe(true);
      expect(hashToHex(sha256d(headerBytes))).toBe(hashes[h - 1]);
      expect(hashToHex(header.prevHash)).toBe(prev);
      const last11 = times.slice(-11).sort((a, b) => a - b);
      expect(header.time).toBeGreaterThan(last11[Math.floor(last11.length / 2)]!);
      expect(header.time).toBeLessThanOrEqual(clock.now + 7200);
      times.push(header.time);
      prev = hashes[h - 1]!;
    }
    // With a frozen clock, timestamps still strictly increase block by block.
    expect(times.slice(1).every((t, i) => i === 0 || t > times[i]!)).toBe(true);
  });

  it('mines headers, forks included, that the bitcoin package\'s regtest header rules accept, agreeing on the tip', () => {
    const { node, clock } = testNode();
    const address = node.getNewAddress();
    node.generateToAddress(40, address);
    const fork = node.mineOn(node.getBlockHash(30), 12);
    expect(node.tip.hash).toBe(fork[11]);
    node.generateToAddress(3, address);
    const headers = new HeaderChain('regtest', { now: () => clock.now });
    // Feed every block the node knows, in the order it saw them, as a peer would relay them.
    const entries = [...node.chain.index.values()].sort((a, b) => a.sequence - b.sequence).slice(1);
    const statuses = entries.map((entry) => headers.add(entry.block.headerBytes).status);
    expect(statuses.filter((s) => s === 'reorg')).toHaveLength(1);
    expect(statuses.every((s) => s === 'connected' || s === 'reorg' || s === 'side-branch')).toBe(true);
    expect(headers.tip.hash).toBe(node.tip.hash);
    expect(headers.height).toBe(45);
  });

  it('writes a BIP34 height and a witness commitment into every coinbase', () => {
    const { node } = testNode();
    const payer = node.getNewAddress();
    node.generateToAddress(101, payer);
    // A block with a witness-spending transaction makes the commitment non-trivial.
    node.sendToAddress(node.getNewAddress('bech32m'), 10_000_000n);
    node.generateToAddress(1, payer);
    for (const height of [1, 16, 17, 102]) {
      const block = decodeBlock(node.chain.active[height]!.block.raw);
      const coinbase = block.txs[0]!;
      expect(coinbaseHeight(coinbase)).toBe(height);
      const commitmentOut = coinbase.outs.find((o) => bytesToHex(o.script).startsWith('6a24aa21a9ed'));
      expect(commitmentOut).toBeDefined();
      const reserved = coinbase.ins[0]!.witness[0]!;
      expect(reserved).toHaveLength(32);
      const wtxids = [new Uint8Array(32), ...block.txs.slice(1).map((tx) => tx.getHash(true))];
      const expected = sha256d(concatBytes(computeRoot(wtxids), reserved));
      expect(bytesToHex(commitmentOut!.script.subarray(6))).toBe(bytesToHex(expected));
      expect(bytesToHex(computeRoot(block.txs.map((tx) => tx.getHash())))).toBe(bytesToHex(block.header.merkleRoot));
    }
    expect(node.chain.active[102]!.block.txs.length).toBe(2);
    // Height 16 uses OP_16, 17 a one-byte push: Core's CScript() << nHeight.
    expect(bytesToHex(node.chain.active[16]!.block.txs[0]!.ins[0]!.script)).toBe('6000');
    expect(bytesToHex(node.chain.active[17]!.block.txs[0]!.ins[0]!.script)).toBe('011100');
  });

  it('halves the subsidy every 150 blocks and pays fees to the miner', () => {
    const { node } = testNode();
    const address = node.getNewAddress();
    node.generateToAddress(151, address);
    const coinbaseValue = (h: number): bigint => node.chain.active[h]!.block.txs[0]!.outs.reduce((s, o) => s + o.value, 0n);
    expect(coinbaseValue(149)).toBe(5_000_000_000n);
    expect(coinbaseValue(150)).toBe(2_500_000_000n);
    expect(blockSubsidy(300)).toBe(1_250_000_000n);
    const txid = node.sendToAddress(node.getNewAddress(), 100_000n);
    const fee = node.mempool.entries.get(txid)!.fee;
    expect(fee).toBeGreaterThan(0n);
    node.generateToAddress(1, address);
    expect(coinbaseValue(152)).toBe(2_500_000_000n + fee);
  });

  it('orders the block template by fee rate', () => {
    const { node } = testNode();
    const address = node.getNewAddress();
    node.generateToAddress(103, address);
    const low = node.sendToAddress(node.getNewAddress(), 1_000_000n, { feeRateSatPerVb: 2 });
    const high = node.sendToAddress(node.getNewAddress(), 1_000_000n, { feeRateSatPerVb: 20 });
    const mid = node.sendToAddress(node.getNewAddress(), 1_000_000n, { feeRateSatPerVb: 7 });
    node.generateToAddress(1, address);
    // Three unrelated spends (each from its own mature coinbase), so the order is purely by fee rate.
    expect(node.tip.txids.slice(1)).toEqual([high, mid, low]);
  });

  it('estimates fees from what it mined in the last six blocks, else 1 sat/vB', () => {
    const { node } = testNode();
    const address = node.getNewAddress();
    node.generateToAddress(101, address);
    expect(node.estimateFeeRate(6)).toBe(1);
    node.sendToAddress(node.getNewAddress(), 1_000_000n, { feeRateSatPerVb: 12 });
    node.generateToAddress(1, address);
    expect(node.estimateFeeRate(6)).toBeGreaterThanOrEqual(12);
    expect(node.estimateFeeRate(6)).toBeLessThan(13);
    node.generateToAddress(5, address);
    expect(node.estimateFeeRate(6)).toBeGreaterThanOrEqual(12);
    node.generateToAddress(1, address);
    expect(node.estimateFeeRate(6)).toBe(1);
    expect(() => node.estimateFeeRate(0)).toThrow(/conf_target/);
  });

  it('rejects a block header that breaks the regtest rules', () => {
    const { node } = testNode();
    node.generateToAddress(1, node.getNewAddress());
    const raw = Uint8Array.from(node.tip.block.raw);
    // Same block with bits changed: not regtest's fixed difficulty.
    raw.set(hexToBytes('ffff7f1f'), 72);
    expect(() => node.submitBlock(decodeBlock(raw))).toThrow(/^bad-diffbits/);
  });
});
