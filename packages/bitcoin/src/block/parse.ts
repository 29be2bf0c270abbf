import { ByteReader, EncodingError, hexToBytes } from '../bytes.js';
import { HEADER_SIZE, decodeHeader, type BlockHeader } from '../header/codec.js';
import { hash256 } from '../merkle/hash.js';
import { readTransaction } from '../tx/codec.js';
import type { DecodedTransaction } from '../tx/types.js';

/** The smallest possible transaction (no inputs' scripts, one empty output) bounds the tx count. */
const MIN_TX_SIZE = 60;

export interface Block {
  header: BlockHeader;
  /** Internal byte order. */
  hash: Uint8Array;
  /** Each with txid and wtxid already computed. */
  txs: DecodedTransaction[];
  size: number;
  strippedSize: number;
  weight: number;
}

/**
 * Parses a block in consensus serialization (getblock <hash> 0). Transactions' byte fields are views
 * into `raw`, so keep `raw` unchanged while the block is in use.
 */
export function parseBlock(raw: Uint8Array | string): Block {
  const bytes = typeof raw === 'string' ? hexToBytes(raw.trim()) : raw;
  if (bytes.length < HEADER_SIZE + 1) throw new EncodingError(`block is ${bytes.length} bytes, too short for a header and a tx count`);
  const headerBytes = bytes.subarray(0, HEADER_SIZE);
  const header = decodeHeader(headerBytes);
  const r = new ByteReader(bytes);
  r.offset = HEADER_SIZE;
  const txCount = r.varint();
  if (txCount * MIN_TX_SIZE > r.remaining) throw new EncodingError(`${txCount} transactions cannot fit in ${r.remaining} bytes`);
  const txs: DecodedTransaction[] = new Array<DecodedTransaction>(txCount);
  let strippedSize = r.offset;
  for (let i = 0; i < txCount; i++) {
    const tx = readTransaction(r);
    txs[i] = tx;
    strippedSize += tx.strippedSize;
  }
  if (r.remaining !== 0) throw new EncodingError(`${r.remaining} trailing bytes after the last transaction`);
  return { header, hash: hash256(headerBytes), txs, size: bytes.length, strippedSize, weight: strippedSize * 3 + bytes.length };
}
