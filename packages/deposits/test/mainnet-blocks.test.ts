// The rules on real mainnet blocks: a watch set of real P2TR scriptPubKeys is found with the right values, the
// custody UTXO set sums to the documented totals, a block with one altered byte is refused, and the merkle block
// proofs the indexer builds equal Bitcoin Core's gettxoutproof output byte for byte.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { addressToOutputScript, bytesToHex, hashToHex, hexToBytes, parseBlock } from '@tapbridge/bitcoin';
import { hasShared, sharedDir } from '@tapbridge/testing';
import { BlockMismatchError, DepositIndexer, InMemoryDepositStore, buildMerkleBlockProof, type HeaderRef } from '../src/index.js';
import { GROUP_KEY } from '../src/testing/index.js';

const dir = path.join(sharedDir, 'bitcoin-data/mainnet');
const present = hasShared && fs.existsSync(path.join(dir, 'blocks/830000.raw'));

interface CsvRow {
  txIndex: number;
  txid: string;
  vout: number;
  value: bigint;
  scriptPubKey: string;
  address: string;
}

function readCsv(height: number): CsvRow[] {
  const [, ...lines] = fs.readFileSync(path.join(dir, `blocks/${height}-p2tr-outputs.csv`), 'utf8').trim().split(/\r?\n/);
  return lines.map((line) => {
    line = line.trim();
    const [txIndex, txid, vout, value, scriptPubKey, address] = line.split(',');
    return { txIndex: Number(txIndex), txid: txid!, vout: Number(vout), value: BigInt(value!), scriptPubKey: scriptPubKey!, address: address! };
  });
}

function load(height: number): { raw: Uint8Array; ref: HeaderRef } {
  const raw = new Uint8Array(fs.readFileSync(path.join(dir, `blocks/${height}.raw`)));
  const meta = (JSON.parse(fs.readFileSync(path.join(dir, 'blocks/blocks.json'), 'utf8')) as { blocks: Array<{ height: number; hash: string; previousblockhash: string }> }).blocks.find((b) => b.height === height)!;
  return { raw, ref: { hash: meta.hash, height, prevHash: meta.previousblockhash, header: bytesToHex(raw.subarray(0, 80)) } };
}

describe.skipIf(!present)('mainnet blocks (needs ../shared/bitcoin-data)', () => {
  it('830000: finds a watch set of real P2TR outputs with their values, and the custody address with its 25 outputs', async () => {
    const rows = readCsv(830000);
    const custodyAddress = 'bc1p9eue8xue7sypgxgm68999ykm0qf7nszve6494cu2ml37x7mxlntsmvnkl8';
    const custodySpk = addressToOutputScript(custodyAddress, 'mainnet');
    // Watch every 50th P2TR output that is not the custody address, as if each were a registered deposit.
    const watched = rows.filter((r, i) => i % 50 === 0 && r.address !== custodyAddress);
    const store = new InMemoryDepositStore();
    await store.transaction(async (tx) => {
      for (const r of watched)
        await tx.insertDeposit({ txid: r.txid, vout: r.vout, kind: 'taproot', scriptPubKey: r.scriptPubKey, amountSats: r.value, recipient: '0x' + '00'.repeat(20), maxFeeSats: 0n, status: 'registered' });
    });
    const indexer = new DepositIndexer(store, { confirmations: 1, groupKey: GROUP_KEY, custodyScriptPubKey: custodySpk, opReturnMaxFeeSats: 0n });
    const { raw, ref } = load(830000);
    const report = await indexer.connectBlock(ref, raw);
    expect(report.depositOutputs).toBe(watched.length);
    expect(report.custodyCreated).toBe(25);
    const custody = store.unspentCustody();
    expect(custody.reduce((sum, u) => sum + u.amountSats, 0n)).toBe(3_819_226n);
    const confirmed = store.outbox.filter((e) => e.subject === 'deposit.confirmed').map((e) => e.payload as { txid: string; vout: number; amountSats: string; merkleProof: string });
    expect(confirmed.map((p) => `${p.txid}:${p.vout}=${p.amountSats}`).sort()).toEqual(watched.map((r) => `${r.txid}:${r.vout}=${r.value}`).sort());
    // Some of these outputs are spent later in the same block (by scripts that are no deposit leaf): `spent`.
    const spentInBlock = new Set(parseBlock(raw).txs.flatMap((t) => t.inputs.map((i) => `${hashToHex(i.prevout.txid)}:${i.prevout.vout}`)));
    for (const r of watched) expect(store.deposit(r)?.status).toBe(spentInBlock.has(`${r.txid}:${r.vout}`) ? 'spent' : 'confirmed');
    expect(watched.filter((r) => spentInBlock.has(`${r.txid}:${r.vout}`)).length).toBeGreaterThan(0);
  });

  it('refuses 830000 with one byte altered, recording nothing', async () => {
    const store = new InMemoryDepositStore();
    const indexer = new DepositIndexer(store, { confirmations: 1, groupKey: GROUP_KEY, custodyScriptPubKey: addressToOutputScript(readCsv(830000)[0]!.address, 'mainnet'), opReturnMaxFeeSats: 0n });
    const { raw, ref } = load(830000);
    const altered = raw.slice();
    altered[Math.floor(raw.length / 2)]! ^= 0x01;
    await expect(indexer.connectBlock(ref, altered)).rejects.toBeInstanceOf(BlockMismatchError);
    expect(store.tipBlock()).toBeUndefined();
    expect(store.unspentCustody()).toHaveLength(0);
  });

  it('builds the same merkle block proofs as Bitcoin Core gettxoutproof', () => {
    const proofs = (JSON.parse(fs.readFileSync(path.join(dir, 'merkle-proofs.json'), 'utf8')) as { merkleblock: { proofs: Array<{ height: number; hex: string; matched: Array<{ index: number; txid: string }> }> } }).merkleblock.proofs;
    const single = proofs.filter((p) => p.matched.length === 1);
    expect(single.length).toBeGreaterThan(5);
    const blocks = new Map<number, ReturnType<typeof parseBlock>>();
    for (const p of single) {
      const block = blocks.get(p.height) ?? parseBlock(load(p.height).raw);
      blocks.set(p.height, block);
      const { index, txid } = p.matched[0]!;
      expect(hashToHex(block.txs[index]!.txid)).toBe(txid);
      const header = hexToBytes(p.hex.slice(0, 160));
      expect(bytesToHex(buildMerkleBlockProof(header, block.txs.map((t) => t.txid), index))).toBe(p.hex);
    }
  });
});
