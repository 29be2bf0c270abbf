import { createHmac, pbkdf2Sync } from 'node:crypto';
import { isPrivate, pointFromScalar, privateAdd } from 'tiny-secp256k1';
import { EvmEngineError } from './errors.js';
import { toHex } from './hex.js';
import { keccak256 } from './keccak.js';

/** The mnemonic anvil and the Hardhat node use, so their well-known dev accounts work here unchanged. */
export const DEV_MNEMONIC = 'test test test test test test test test test test test junk';

export interface DevAccount {
  index: number;
  address: string;
  privateKey: string;
}

/** Ethereum address (EIP-55 checksummed) of a secp256k1 private key. */
export function addressOfPrivateKey(privateKey: Uint8Array): string {
  const publicKey = pointFromScalar(privateKey, false);
  if (publicKey === null) throw new EvmEngineError('invalid private key');
  return checksumAddress(toHex(keccak256(publicKey.subarray(1)).subarray(12)));
}

export function checksumAddress(address: string): string {
  const lower = address.toLowerCase().replace(/^0x/, '');
  const hash = Buffer.from(keccak256(new TextEncoder().encode(lower))).toString('hex');
  let out = '0x';
  for (let i = 0; i < 40; i++) out += Number.parseInt(hash[i]!, 16) >= 8 ? lower[i]!.toUpperCase() : lower[i]!;
  return out;
}

/**
 * Accounts m/44'/60'/0'/0/i of a BIP39 mnemonic (no passphrase), as wallets derive them: BIP39 seed by
 * PBKDF2-HMAC-SHA512, then BIP32 private derivation. For development chains only.
 */
export function deriveDevAccounts(count: number, mnemonic = DEV_MNEMONIC): DevAccount[] {
  if (!Number.isInteger(count) || count < 0 || count > 1_000) throw new EvmEngineError(`account count must be 0..1000, got ${count}`);
  const seed = pbkdf2Sync(mnemonic.normalize('NFKD'), `mnemonic`, 2048, 64, 'sha512');
  let node = splitNode(createHmac('sha512', 'Bitcoin seed').update(seed).digest());
  for (const index of [44 + 0x80000000, 60 + 0x80000000, 0x80000000, 0]) node = deriveChild(node, index);
  return Array.from({ length: count }, (_, index) => {
    const child = deriveChild(node, index);
    return { index, address: addressOfPrivateKey(child.key), privateKey: toHex(child.key) };
  });
}

interface ExtendedKey {
  key: Uint8Array;
  chainCode: Uint8Array;
}

function splitNode(i: Buffer): ExtendedKey {
  const key = Uint8Array.from(i.subarray(0, 32));
  if (!isPrivate(key)) throw new EvmEngineError('derived an invalid key (probability 2^-127); use another mnemonic');
  return { key, chainCode: Uint8Array.from(i.subarray(32)) };
}

/** BIP32 CKDpriv. */
function deriveChild(parent: ExtendedKey, index: number): ExtendedKey {
  const data = Buffer.alloc(37);
  if (index >= 0x80000000) {
    Buffer.from(parent.key).copy(data, 1);
  } else {
    Buffer.from(pointFromScalar(parent.key, true)!).copy(data, 0);
  }
  data.writeUInt32BE(index, 33);
  const i = createHmac('sha512', parent.chainCode).update(data).digest();
  const key = privateAdd(parent.key, i.subarray(0, 32));
  if (key === null) throw new EvmEngineError('derived an invalid key (probability 2^-127); use another index');
  return { key, chainCode: Uint8Array.from(i.subarray(32)) };
}
