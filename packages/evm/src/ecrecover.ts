import { calculateSigRecovery, EthereumJSErrorWithoutCode, setLengthLeft } from '@ethereumjs/util';
import { recover } from 'tiny-secp256k1';

/**
 * ECDSA public key recovery on libsecp256k1 (WebAssembly), a drop-in for @ethereumjs/util's `ecrecover`
 * (same inputs, same 64-byte uncompressed key without the 0x04 prefix, throws where it throws). Recovering the
 * sender is the dearest step of admitting a transaction; the pure-JS version costs ~1.5 ms per call here.
 * Used for transaction senders and the ECRECOVER precompile via Common's `customCrypto`.
 */
export function ecrecover(msgHash: Uint8Array, v: bigint, r: Uint8Array, s: Uint8Array, chainId?: bigint): Uint8Array {
  const recovery = calculateSigRecovery(v, chainId);
  if (recovery !== 0n && recovery !== 1n) throw EthereumJSErrorWithoutCode('Invalid signature v value');
  const signature = new Uint8Array(64);
  signature.set(setLengthLeft(r, 32), 0);
  signature.set(setLengthLeft(s, 32), 32);
  let publicKey: Uint8Array | null;
  try {
    publicKey = recover(msgHash, signature, Number(recovery) as 0 | 1, false);
  } catch (err) {
    throw EthereumJSErrorWithoutCode(`Invalid signature: ${(err as Error).message}`);
  }
  if (publicKey === null) throw EthereumJSErrorWithoutCode('Invalid signature: no public key recovers');
  return publicKey.subarray(1);
}
