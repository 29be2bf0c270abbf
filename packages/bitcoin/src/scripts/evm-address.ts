import { keccak_256 } from '@noble/hashes/sha3.js';
import { bytesToHex, hexToBytes } from '../bytes.js';
import { ScriptTemplateError } from './errors.js';

const EVM_ADDRESS_RE = /^0x[0-9a-fA-F]{40}$/;

/**
 * Parses a 0x-prefixed 20-byte EVM address. Mixed-case input must carry a valid EIP-55 checksum, so a
 * mistyped recipient is caught before BTC is locked to it.
 */
export function parseEvmAddress(address: string, template = 'evm address'): Uint8Array {
  if (typeof address !== 'string' || !EVM_ADDRESS_RE.test(address))
    throw new ScriptTemplateError(template, `recipient must be 0x followed by 40 hex digits (20 bytes), got ${JSON.stringify(address)}`);
  const body = address.slice(2);
  if (body !== body.toLowerCase() && body !== body.toUpperCase() && toChecksumAddress(hexToBytes(body.toLowerCase())) !== address)
    throw new ScriptTemplateError(template, `recipient ${address} fails its EIP-55 checksum`);
  return hexToBytes(body.toLowerCase());
}

/** Lower-case 0x form, the canonical output of parse(). */
export function formatEvmAddress(bytes: Uint8Array): string {
  if (bytes.length !== 20) throw new ScriptTemplateError('evm address', `recipient must be 20 bytes, got ${bytes.length}`);
  return '0x' + bytesToHex(bytes);
}

/** EIP-55 mixed-case checksum form. */
export function toChecksumAddress(bytes: Uint8Array): string {
  const hex = bytesToHex(bytes);
  const hash = bytesToHex(keccak_256(new TextEncoder().encode(hex)));
  let out = '0x';
  for (let i = 0; i < hex.length; i++) out += parseInt(hash[i]!, 16) >= 8 ? hex[i]!.toUpperCase() : hex[i]!;
  return out;
}
