// Regtest headers mined on the spot (powLimit 207fffff: about two nonces each), for tests, benchmarks and demos.
import {
  checkProofOfWork, decodeHeader, encodeHeader, headerHash, hexToBytes, hexToHash, networkParams,
  type NetworkName, type NetworkParams,
} from '@tapbridge/bitcoin';

export interface MinedParent {
  /** Internal byte order. */
  hash: Uint8Array;
  time: number;
}

export interface MineOptions {
  /** Seconds between blocks (default 600). */
  spacing?: number;
  /** Varies the merkle root, so branches mined on one parent differ. */
  salt?: number;
}

export function genesisParent(network: NetworkName | NetworkParams = 'regtest'): MinedParent {
  const params = typeof network === 'string' ? networkParams(network) : network;
  return { hash: hexToHash(params.genesisHash), time: decodeHeader(hexToBytes(params.genesisHeader)).time };
}

export function parentOf(raw: Uint8Array): MinedParent {
  return { hash: headerHash(raw), time: decodeHeader(raw).time };
}

/** `count` consecutive headers on `parent` at the network's minimum difficulty (only sensible on regtest). */
export function mineHeaders(params: NetworkParams, parent: MinedParent, count: number, options: MineOptions = {}): Uint8Array[] {
  if (!Number.isSafeInteger(count) || count < 0) throw new RangeError(`count must be a non-negative integer, got ${count}`);
  const out: Uint8Array[] = [];
  const merkleRoot = new Uint8Array(32);
  const view = new DataView(merkleRoot.buffer);
  view.setUint32(0, options.salt ?? 0);
  let prevHash = parent.hash;
  let time = parent.time;
  for (let i = 0; i < count; i++) {
    time += options.spacing ?? 600;
    view.setUint32(4, i);
    const fields = { version: 0x20000000, prevHash, merkleRoot, time, bits: params.powLimitBits };
    let raw: Uint8Array | undefined;
    for (let nonce = 0; raw === undefined; nonce++) {
      const candidate = encodeHeader({ ...fields, nonce });
      if (checkProofOfWork(headerHash(candidate), fields.bits, params)) raw = candidate;
    }
    out.push(raw);
    prevHash = headerHash(raw);
  }
  return out;
}
