import { Transaction } from 'bitcoinjs-lib';
import { ByteReader, ByteWriter, EncodingError, HEADER_SIZE, decodeHeader, hashToHex, headerHash, type BlockHeader } from '@tapbridge/bitcoin';

/** A block in consensus serialization (with witness), decoded once and kept with its hash. */
export interface Block {
  header: BlockHeader;
  headerBytes: Uint8Array;
  /** Block hash, internal byte order. */
  hash: Uint8Array;
  hashHex: string;
  txs: Transaction[];
  raw: Uint8Array;
}

export function decodeBlock(raw: Uint8Array): Block {
  if (raw.length < HEADER_SIZE + 1) throw new EncodingError(`a block is at least ${HEADER_SIZE + 1} bytes, got ${raw.length}`);
  const headerBytes = raw.subarray(0, HEADER_SIZE);
  const reader = new ByteReader(raw);
  reader.take(HEADER_SIZE);
  const count = reader.varint();
  const txs: Transaction[] = [];
  let offset = reader.offset;
  for (let i = 0; i < count; i++) {
    let tx: Transaction;
    try {
      tx = Transaction.fromBuffer(raw.subarray(offset), true);
    } catch (e) {
      throw new EncodingError(`transaction ${i} of the block does not decode: ${(e as Error).message}`);
    }
    offset += tx.byteLength();
    txs.push(tx);
  }
  if (offset !== raw.length) throw new EncodingError(`block has ${raw.length - offset} trailing bytes`);
  const hash = headerHash(headerBytes);
  return { header: decodeHeader(headerBytes), headerBytes, hash, hashHex: hashToHex(hash), txs, raw };
}

export function encodeBlock(headerBytes: Uint8Array, txs: readonly Transaction[]): Uint8Array {
  const w = new ByteWriter().bytes(headerBytes).varint(txs.length);
  for (const tx of txs) w.bytes(tx.toBuffer());
  return w.finish();
}

/** BIP141 block weight: base size × 3 + total size. */
export function blockWeight(raw: Uint8Array, txs: readonly Transaction[]): number {
  const strippedTxBytes = txs.reduce((n, tx) => n + tx.byteLength(false), 0);
  const witnessTxBytes = txs.reduce((n, tx) => n + tx.byteLength(true), 0);
  const overhead = raw.length - witnessTxBytes;
  return (overhead + strippedTxBytes) * 3 + raw.length;
}
