// Synthetic blocks for tests of the deposit rules: real consensus encoding (packages/bitcoin's tx codec), a valid
// merkle root and witness commitment, no proof of work (the header watcher's business, not the indexer's).
import { schnorr } from '@noble/curves/secp256k1.js';
import {
  WITNESS_COMMITMENT_HEADER,
  ByteWriter,
  bytesToHex,
  computeMerkleRoot,
  computeWitnessMerkleRoot,
  computeTxid,
  computeWtxid,
  concatBytes,
  depositAddress,
  encodeHeader,
  encodeTransaction,
  hashToHex,
  headerHashHex,
  hexToHash,
  sha256d,
  type Transaction,
  type TxOutput,
} from '@tapbridge/bitcoin';
import type { HeaderRef } from '../indexer.js';

export const GROUP_SECRET = new Uint8Array(32).fill(7);
export const GROUP_KEY = schnorr.getPublicKey(GROUP_SECRET);
export const DEPOSITOR_KEY = schnorr.getPublicKey(new Uint8Array(32).fill(9));
export const RECIPIENT = '0x' + 'ab'.repeat(20);
/** A stand-in custody output script (P2TR of some key); the rules only compare scriptPubKeys. */
export const CUSTODY_SPK = concatBytes(Uint8Array.of(0x51, 0x20), schnorr.getPublicKey(new Uint8Array(32).fill(3)));

export interface MinedBlock {
  ref: HeaderRef;
  raw: Uint8Array;
  txids: string[];
}

let counter = 0;
/** A transaction paying `outputs`, funded from a unique made-up outpoint (the indexer does not check funding). */
export function payment(outputs: TxOutput[]): Transaction {
  counter++;
  const fake = new Uint8Array(32);
  new DataView(fake.buffer).setUint32(0, counter);
  return { version: 2, inputs: [{ prevout: { txid: fake, vout: 0 }, scriptSig: new Uint8Array(0), sequence: 0xffffffff, witness: [new Uint8Array(64).fill(1)] }], outputs, locktime: 0 };
}

/** A transaction spending `prevout` with the given witness, paying one output to an unrelated script. */
export function spend(prevout: { txid: string; vout: number }, witness: Uint8Array[], sequence = 0xffffffff): Transaction {
  return {
    version: 2,
    inputs: [{ prevout: { txid: hexToHash(prevout.txid), vout: prevout.vout }, scriptSig: new Uint8Array(0), sequence, witness }],
    outputs: [{ value: 1_000n, scriptPubKey: Uint8Array.of(0x00, 0x14, ...new Uint8Array(20).fill(5)) }],
    locktime: 0,
  };
}

export const txidOf = (tx: Transaction): string => hashToHex(computeTxid(tx));

export function testDeposit(maxFee = 1_000n, lockBlocks = 10) {
  return depositAddress({ network: 'regtest', groupKey: GROUP_KEY, recipient: RECIPIENT, maxFee, reclaimKey: DEPOSITOR_KEY, lockBlocks });
}

/** Encodes a block on `parent` (undefined: a made-up parent) holding a coinbase and `txs`. */
export function mineBlock(parent: HeaderRef | undefined, txs: Transaction[], salt = 0): MinedBlock {
  const height = parent ? parent.height + 1 : 100;
  const withWitness = txs.some((t) => t.inputs.some((i) => i.witness.length > 0));
  const coinbase: Transaction = {
    version: 2,
    inputs: [{ prevout: { txid: new Uint8Array(32), vout: 0xffffffff }, scriptSig: Uint8Array.of(0x03, height & 0xff, (height >> 8) & 0xff, height >> 16, salt & 0xff), sequence: 0xffffffff, witness: withWitness ? [new Uint8Array(32)] : [] }],
    outputs: [{ value: 5_000_000_000n, scriptPubKey: Uint8Array.of(0x51) }],
    locktime: 0,
  };
  if (withWitness) {
    const root = computeWitnessMerkleRoot([new Uint8Array(32), ...txs.map(computeWtxid)]).root;
    coinbase.outputs.push({ value: 0n, scriptPubKey: concatBytes(WITNESS_COMMITMENT_HEADER, sha256d(concatBytes(root, new Uint8Array(32)))) });
  }
  const all = [coinbase, ...txs];
  const header = encodeHeader({
    version: 0x20000000,
    prevHash: parent ? hexToHash(parent.hash) : new Uint8Array(32).fill(0xee),
    merkleRoot: computeMerkleRoot(all.map(computeTxid)).root,
    time: 1_700_000_000 + height * 600 + salt,
    bits: 0x207fffff,
    nonce: 0,
  });
  const w = new ByteWriter().bytes(header).varint(all.length);
  for (const t of all) w.bytes(encodeTransaction(t));
  const hash = headerHashHex(header);
  return {
    ref: { hash, height, prevHash: parent ? parent.hash : hashToHex(new Uint8Array(32).fill(0xee)), header: bytesToHex(header) },
    raw: w.finish(),
    txids: all.map(txidOf),
  };
}
