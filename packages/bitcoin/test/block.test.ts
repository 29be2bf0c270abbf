import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ByteWriter, concatBytes, hashToHex, sha256 } from '../src/bytes.js';
import { outputScriptToAddress } from '../src/address.js';
import { classifyOutputScript } from '../src/scripts/output-script.js';
import { checkWitnessCommitment, computeWitnessMerkleRoot } from '../src/merkle/witness.js';
import { MerkleError } from '../src/merkle/errors.js';
import { BlockValidationError, checkBlockCommitments, parseBlock, scanBlock, scanBlockSpends, type Block } from '../src/block/index.js';
import { sharedPath } from '@tapbridge/testing';

const blocksDir = sharedPath('bitcoin-data/mainnet/blocks');

interface BlockInfo {
  height: number;
  file: string;
  sha256: string;
  size: number;
  strippedSize: number;
  weight: number;
  hash: string;
  previousblockhash: string;
  merkleroot: string;
  nTx: number;
  coinbaseTxid: string;
  lastTxid: string;
  witnessMerkleRoot: string;
  segwitTxs: number;
  outputsByType: Record<string, number>;
}

const available = fs.existsSync(path.join(blocksDir, 'blocks.json'));
const infos: BlockInfo[] = available ? (JSON.parse(fs.readFileSync(path.join(blocksDir, 'blocks.json'), 'utf8')) as { blocks: BlockInfo[] }).blocks : [];
const readRaw = (height: number): Uint8Array => new Uint8Array(fs.readFileSync(path.join(blocksDir, `${height}.raw`)));

function codeOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (e instanceof BlockValidationError || e instanceof MerkleError) return e.code;
    throw e;
  }
  return 'accepted';
}

describe.skipIf(!available)('real mainnet blocks (needs ../shared/bitcoin-data)', () => {
  it.each(infos.map((b) => [b.height, b] as const))('block %i: parses, and its merkle root and witness commitment check', (_h, info) => {
    const raw = readRaw(info.height);
    expect(Buffer.from(sha256(raw)).toString('hex')).toBe(info.sha256);
    const block = parseBlock(raw);
    expect(hashToHex(block.hash)).toBe(info.hash);
    expect(hashToHex(block.header.prevHash)).toBe(info.previousblockhash);
    expect(hashToHex(block.header.merkleRoot)).toBe(info.merkleroot);
    expect(block.txs).toHaveLength(info.nTx);
    expect(block.size).toBe(info.size);
    expect(block.strippedSize).toBe(info.strippedSize);
    expect(block.weight).toBe(info.weight);
    expect(hashToHex(block.txs[0]!.txid)).toBe(info.coinbaseTxid);
    expect(hashToHex(block.txs[block.txs.length - 1]!.txid)).toBe(info.lastTxid);
    expect(block.txs.filter((tx) => tx.inputs.some((i) => i.witness.length > 0))).toHaveLength(info.segwitTxs);
    expect(hashToHex(computeWitnessMerkleRoot(block.txs.map((tx) => tx.wtxid)).root)).toBe(info.witnessMerkleRoot);
    expect(checkBlockCommitments(block)).toEqual({ hasWitnessCommitment: true });

    const counts: Record<string, number> = {};
    for (const tx of block.txs)
      for (const out of tx.outputs) {
        const t = classifyOutputScript(out.scriptPubKey).type;
        const key = t === 'nonstandard' || t === 'witness_unknown' ? 'other' : t;
        counts[key] = (counts[key] ?? 0) + 1;
      }
    expect(counts).toEqual(info.outputsByType);
  });

  describe('altered blocks are rejected', () => {
    const raw = available ? readRaw(830000) : new Uint8Array(0);
    const block = available ? parseBlock(raw) : undefined;
    /** Byte offset of a view into `raw` (parsed fields are views, not copies). */
    const offsetOf = (view: Uint8Array): number => view.byteOffset - raw.byteOffset;
    const alter = (offset: number): Block => {
      const copy = raw.slice();
      copy[offset]! ^= 0x01;
      return parseBlock(copy);
    };

    it.each([1, 100, 1000, 1850])('a changed output script byte in tx %i breaks the merkle root', (txIndex) => {
      const spk = block!.txs[txIndex]!.outputs[0]!.scriptPubKey;
      expect(codeOf(() => checkBlockCommitments(alter(offsetOf(spk) + spk.length - 1)))).toBe('bad-txnmrklroot');
    });

    it('a changed input sequence or prevout breaks the merkle root', () => {
      const input = block!.txs[7]!.inputs[0]!;
      expect(codeOf(() => checkBlockCommitments(alter(offsetOf(input.prevout.txid) + 5)))).toBe('bad-txnmrklroot');
    });

    it('a changed header merkle root byte is a mismatch', () => {
      expect(codeOf(() => checkBlockCommitments(alter(36 + 7)))).toBe('bad-txnmrklroot');
    });

    it.each([2, 500, 1849])('a changed witness byte in tx %i breaks the witness commitment only', (start) => {
      // A signature-sized item, so the altered byte is inside the item and not its length prefix.
      const tx = block!.txs.slice(start).find((t) => (t.inputs[0]!.witness[0]?.length ?? 0) >= 64)!;
      const item = tx.inputs[0]!.witness[0]!;
      const altered = alter(offsetOf(item) + Math.floor(item.length / 2));
      expect(hashToHex(altered.txs[block!.txs.indexOf(tx)]!.txid)).toBe(hashToHex(tx.txid));
      expect(codeOf(() => checkBlockCommitments(altered))).toBe('bad-witness-merkle-match');
    });

    it('a changed coinbase witness reserved value breaks the witness commitment', () => {
      const reserved = block!.txs[0]!.inputs[0]!.witness[0]!;
      expect(codeOf(() => checkBlockCommitments(alter(offsetOf(reserved))))).toBe('bad-witness-merkle-match');
    });

    it('repeating the last transaction keeps the merkle root but is caught as mutated (CVE-2012-2459)', () => {
      const last = block!.txs[block!.txs.length - 1]!;
      const lastStart = raw.length - last.size;
      const body = raw.subarray(81 + 2, raw.length); // 830000 has 1851 txs: a 3-byte varint after the header
      expect(raw[80]).toBe(0xfd);
      const mutated = concatBytes(raw.subarray(0, 80), new ByteWriter().varint(block!.txs.length + 1).finish(), body, raw.subarray(lastStart));
      const parsed = parseBlock(mutated);
      expect(parsed.txs).toHaveLength(1852);
      expect(codeOf(() => checkBlockCommitments(parsed))).toBe('bad-txns-duplicate');
    });

    it('a coinbase without its reserved value, or a block with witnesses but no commitment, is refused', () => {
      const noNonce = parseBlock(raw);
      noNonce.txs[0]!.inputs[0]!.witness = [];
      expect(codeOf(() => checkBlockCommitments(noNonce))).toBe('bad-witness-nonce-size');
      const txs = parseBlock(raw).txs;
      txs[0]!.outputs = txs[0]!.outputs.filter((o) => o.scriptPubKey[0] !== 0x6a || o.scriptPubKey[1] !== 0x24);
      expect(codeOf(() => checkWitnessCommitment(txs, txs.map((t) => t.wtxid)))).toBe('unexpected-witness');
    });

    it('truncated or padded bytes do not parse', () => {
      expect(() => parseBlock(raw.subarray(0, raw.length - 1))).toThrow(/truncated/);
      expect(() => parseBlock(concatBytes(raw, Uint8Array.of(0)))).toThrow(/trailing/);
    });
  });

  interface CsvRow {
    txid: string;
    vout: number;
    value: bigint;
    scriptPubKey: string;
    address: string;
  }
  const readCsv = (height: number): CsvRow[] =>
    fs
      .readFileSync(path.join(blocksDir, `${height}-p2tr-outputs.csv`), 'utf8')
      .trim()
      .split(/\r?\n/)
      .slice(1)
      .map((line) => {
        const [, txid, vout, value, scriptPubKey, address] = line.split(',');
        return { txid: txid!, vout: Number(vout), value: BigInt(value!), scriptPubKey: scriptPubKey!, address: address! };
      });

  it.each([830000, 831332])('scanning block %i finds every P2TR output listed in its CSV, and nothing else', (height) => {
    const rows = readCsv(height);
    const block = parseBlock(readRaw(height));
    const watch = new Set(rows.map((r) => r.scriptPubKey));
    const found = scanBlock(block, watch).map((m) => ({
      txid: m.txid,
      vout: m.vout,
      value: m.value,
      scriptPubKey: m.scriptPubKey,
      address: outputScriptToAddress(Buffer.from(m.scriptPubKey, 'hex'), 'mainnet'),
    }));
    const key = (r: { txid: string; vout: number }): string => `${r.txid}:${r.vout}`;
    expect(found.map(key).sort()).toEqual(rows.map(key).sort());
    const byKey = new Map(found.map((f) => [key(f), f]));
    for (const row of rows) expect(byKey.get(key(row))).toEqual(row);
  });

  it('finds the inputs spending watched outpoints, with their sequence', () => {
    const block = parseBlock(readRaw(831332));
    const spender = block.txs[42]!;
    const watched = spender.inputs.map((i) => `${hashToHex(i.prevout.txid)}:${i.prevout.vout}`);
    const found = scanBlockSpends(block, new Set([...watched, `${'00'.repeat(32)}:0`]));
    expect(found.map((f) => f.outpoint)).toEqual(watched);
    expect(found.every((f) => f.txid === hashToHex(spender.txid) && f.txIndex === 42)).toBe(true);
    expect(found.map((f) => f.sequence)).toEqual(spender.inputs.map((i) => i.sequence));
    expect(found.map((f) => f.vin)).toEqual(spender.inputs.map((_, i) => i));
  });

  it('scanning for a few addresses finds their totals (README ground truth) and ignores unknown scripts', () => {
    const block = parseBlock(readRaw(830000));
    const rows = readCsv(830000);
    const a = rows.find((r) => r.address === 'bc1p9eue8xue7sypgxgm68999ykm0qf7nszve6494cu2ml37x7mxlntsmvnkl8')!;
    const watch = new Set([a.scriptPubKey, '5120' + '00'.repeat(32), '0014' + 'ff'.repeat(20)]);
    const found = scanBlock(block, watch);
    expect(found).toHaveLength(25);
    expect(found.reduce((s, f) => s + f.value, 0n)).toBe(3_819_226n);
    expect(scanBlock(block, new Set())).toEqual([]);
  });
});
