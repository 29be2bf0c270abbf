// A burn through the real Bridge contract without a wallet library: an EIP-155 legacy transaction calling
// withdraw(bytes btcScriptPubKey, uint64 maxFeeSats), RLP-encoded and signed here (test support only).
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { concatBytes, hexToBytes } from '@noble/hashes/utils.js';
import { BRIDGE_ADDRESS, WEI_PER_SAT, type EvmEngine } from '@tapbridge/evm';

type Rlp = Uint8Array | bigint | Rlp[];

const beBytes = (n: bigint): Uint8Array => (n === 0n ? new Uint8Array(0) : hexToBytes(n.toString(16).padStart(Math.ceil(n.toString(16).length / 2) * 2, '0')));
const lengthPrefix = (offset: number, length: number): Uint8Array => {
  if (length < 56) return Uint8Array.of(offset + length);
  const l = beBytes(BigInt(length));
  return concatBytes(Uint8Array.of(offset + 55 + l.length), l);
};

export function rlp(item: Rlp): Uint8Array {
  if (Array.isArray(item)) {
    const payload = concatBytes(...item.map(rlp));
    return concatBytes(lengthPrefix(0xc0, payload.length), payload);
  }
  const bytes = typeof item === 'bigint' ? beBytes(item) : item;
  if (bytes.length === 1 && bytes[0]! < 0x80) return bytes;
  return concatBytes(lengthPrefix(0x80, bytes.length), bytes);
}

const word = (n: bigint): Uint8Array => hexToBytes(n.toString(16).padStart(64, '0'));

/** Calldata of Bridge.withdraw(btcScriptPubKey, maxFeeSats). */
export function withdrawCalldata(script: Uint8Array, maxFeeSats: bigint): Uint8Array {
  const selector = keccak_256(new TextEncoder().encode('withdraw(bytes,uint64)')).subarray(0, 4);
  const padded = new Uint8Array(Math.ceil(script.length / 32) * 32);
  padded.set(script);
  return concatBytes(selector, word(64n), word(maxFeeSats), word(BigInt(script.length)), padded);
}

/** Sends a burn of `amountSats` from `privateKey` and returns its transaction hash (mined by the caller). */
export async function sendBurn(engine: EvmEngine, privateKey: Uint8Array, nonce: bigint, script: Uint8Array, amountSats: bigint, maxFeeSats: bigint): Promise<string> {
  const chainId = engine.chainId;
  const gasPrice = engine.pendingBaseFee() * 2n + 1n;
  const fields: Rlp[] = [nonce, gasPrice, 300_000n, hexToBytes(BRIDGE_ADDRESS.slice(2)), amountSats * WEI_PER_SAT, withdrawCalldata(script, maxFeeSats)];
  const hash = keccak_256(rlp([...fields, chainId, 0n, 0n]));
  const sig = secp256k1.Signature.fromBytes(secp256k1.sign(hash, privateKey, { prehash: false, format: 'recovered' }), 'recovered');
  const raw = rlp([...fields, chainId * 2n + 35n + BigInt(sig.recovery!), sig.r, sig.s]);
  return engine.sendRawTransaction(raw);
}
