import * as nodeCrypto from 'node:crypto';
import {
  ByteReader,
  ByteWriter,
  EncodingError,
  bytesToHex,
  hashToHex,
  hexToBytes,
  sha256d,
} from '../bytes.js';

// Node ≥ 20.12 has a one-shot crypto.hash: the same SHA-256 as sha256d without two Hash objects per call,
// which is most of the cost of syncing headers (see bench/headers.bench.ts). Fall back to sha256d elsewhere.
type OneShotHash = (algorithm: string, data: Uint8Array, encoding: 'buffer') => Buffer;
const oneShotHash = (nodeCrypto as { hash?: OneShotHash }).hash;

export const HEADER_SIZE = 80;

/** A block header as consensus-encoded; hashes are kept in internal (little-endian) byte order. */
export interface BlockHeader {
  version: number;
  prevHash: Uint8Array;
  merkleRoot: Uint8Array;
  time: number;
  bits: number;
  nonce: number;
}

export function decodeHeader(bytes: Uint8Array): BlockHeader {
  if (bytes.length !== HEADER_SIZE)
    throw new EncodingError(`a block header is ${HEADER_SIZE} bytes, got ${bytes.length}`);
  const r = new ByteReader(bytes);
  return {
    version: r.i32le(),
    prevHash: r.take(32),
    merkleRoot: r.take(32),
    time: r.u32le(),
    bits: r.u32le(),
    nonce: r.u32le(),
  };
}

export function encodeHeader(h: BlockHeader): Uint8Array {
  return new ByteWriter()
    .i32le(h.version)
    .bytes(h.prevHash)
    .bytes(h.merkleRoot)
    .u32le(h.time)
    .u32le(h.bits)
    .u32le(h.nonce)
    .finish();
}

export function decodeHeaderHex(hex: string): BlockHeader {
  return decodeHeader(hexToBytes(hex.trim(), HEADER_SIZE));
}

/** Block hash in internal byte order. */
export function headerHash(raw: Uint8Array): Uint8Array {
  if (raw.length !== HEADER_SIZE)
    throw new EncodingError(`a block header is ${HEADER_SIZE} bytes, got ${raw.length}`);
  if (oneShotHash === undefined) return sha256d(raw);
  const digest = oneShotHash('sha256', oneShotHash('sha256', raw, 'buffer'), 'buffer');
  return new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength);
}

/** Block hash in display order (as RPC and explorers print it). */
export function headerHashHex(raw: Uint8Array): string {
  return hashToHex(headerHash(raw));
}

export const prevHashHex = (h: BlockHeader): string => hashToHex(h.prevHash);
export const merkleRootHex = (h: BlockHeader): string => hashToHex(h.merkleRoot);
export const encodeHeaderHex = (h: BlockHeader): string => bytesToHex(encodeHeader(h));
