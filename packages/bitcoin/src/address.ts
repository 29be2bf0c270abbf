import { bech32, bech32m, createBase58check } from '@scure/base';
import { sha256 } from './bytes.js';
import { ADDRESS_PARAMS, addressParams, type AddressNetwork } from './networks-address.js';
import { classifyOutputScript, p2pkhScript, p2shScript, witnessScript } from './scripts/output-script.js';

/** Why an address was refused; the reasons follow BIP173/BIP350's list of invalid addresses. */
export type AddressErrorReason =
  | 'hrp'
  | 'mixed-case'
  | 'checksum'
  | 'checksum-variant'
  | 'empty-data'
  | 'witness-version'
  | 'program-length'
  | 'padding'
  | 'base58'
  | 'unsupported';

export class AddressError extends Error {
  override readonly name = 'AddressError';
  constructor(
    readonly reason: AddressErrorReason,
    message: string,
  ) {
    super(message);
  }
}

export interface SegwitAddress {
  hrp: string;
  version: number;
  program: Uint8Array;
}

const SEGWIT_ADDRESS_MAX_LENGTH = 90;

function checkProgram(version: number, program: Uint8Array): void {
  if (!Number.isInteger(version) || version < 0 || version > 16) throw new AddressError('witness-version', `witness version ${version} is not 0..16`);
  if (program.length < 2 || program.length > 40) throw new AddressError('program-length', `witness program is ${program.length} bytes, not 2..40`);
  if (version === 0 && program.length !== 20 && program.length !== 32)
    throw new AddressError('program-length', `witness v0 program must be 20 or 32 bytes (BIP141), got ${program.length}`);
}

/** BIP173/BIP350: bech32 for witness v0, bech32m for v1 and later. */
export function encodeSegwitAddress(hrp: string, version: number, program: Uint8Array): string {
  checkProgram(version, program);
  const words = [version, ...bech32.toWords(program)];
  return version === 0 ? bech32.encode(hrp, words, SEGWIT_ADDRESS_MAX_LENGTH) : bech32m.encode(hrp, words, SEGWIT_ADDRESS_MAX_LENGTH);
}

/** Decodes and fully validates a segwit address; with `expectedHrp`, the prefix must match it. */
export function decodeSegwitAddress(address: string, expectedHrp?: string): SegwitAddress {
  if (typeof address !== 'string') throw new AddressError('unsupported', 'address must be a string');
  if (address !== address.toLowerCase() && address !== address.toUpperCase()) throw new AddressError('mixed-case', 'address mixes upper and lower case');
  const lower = address.toLowerCase();
  type Decoded = { prefix: string; words: number[] };
  let decoded: Decoded | undefined;
  let variant: 'bech32' | 'bech32m' | undefined;
  let failure = '';
  try {
    decoded = bech32m.decode(lower as `${string}1${string}`, SEGWIT_ADDRESS_MAX_LENGTH);
    variant = 'bech32m';
  } catch (e) {
    failure = (e as Error).message;
    try {
      decoded = bech32.decode(lower as `${string}1${string}`, SEGWIT_ADDRESS_MAX_LENGTH);
      variant = 'bech32';
    } catch {
      // Neither checksum verifies: keep the bech32m message, which names the bad character or checksum.
    }
  }
  if (decoded === undefined || variant === undefined) throw new AddressError('checksum', `invalid bech32/bech32m string: ${failure}`);
  if (expectedHrp !== undefined && decoded.prefix !== expectedHrp)
    throw new AddressError('hrp', `human-readable part "${decoded.prefix}" is not "${expectedHrp}"`);
  if (decoded.words.length === 0) throw new AddressError('empty-data', 'address has an empty data section');
  const version = decoded.words[0]!;
  if (version > 16) throw new AddressError('witness-version', `witness version ${version} is not 0..16`);
  if (version === 0 && variant !== 'bech32') throw new AddressError('checksum-variant', 'witness v0 address must use bech32, not bech32m');
  if (version !== 0 && variant !== 'bech32m') throw new AddressError('checksum-variant', `witness v${version} address must use bech32m, not bech32`);
  let program: Uint8Array;
  try {
    program = bech32.fromWords(decoded.words.slice(1));
  } catch (e) {
    throw new AddressError('padding', `invalid 5-to-8 bit conversion: ${(e as Error).message}`);
  }
  checkProgram(version, program);
  return { hrp: decoded.prefix, version, program };
}

const base58check = createBase58check(sha256);
const SEGWIT_HRPS: ReadonlySet<string> = new Set(Object.values(ADDRESS_PARAMS).map((p) => p.bech32Hrp));

/** Any standard address (segwit, P2PKH, P2SH) to the scriptPubKey it pays, checked against the network. */
export function addressToOutputScript(address: string, network: AddressNetwork | string): Uint8Array {
  const params = addressParams(network);
  if (typeof address !== 'string') throw new AddressError('unsupported', 'address must be a string');
  const lower = address.toLowerCase();
  // Any known segwit prefix goes to the bech32 decoder, so another network's address is named as such.
  const hrp = lower.slice(0, Math.max(0, lower.lastIndexOf('1')));
  if (SEGWIT_HRPS.has(hrp)) {
    const { version, program } = decodeSegwitAddress(address, params.bech32Hrp);
    return witnessScript(version, program);
  }
  let payload: Uint8Array;
  try {
    payload = base58check.decode(address);
  } catch (e) {
    throw new AddressError('base58', `"${address}" is neither a ${params.network} segwit address nor valid base58check: ${(e as Error).message}`);
  }
  if (payload.length !== 21) throw new AddressError('base58', `base58 address payload is ${payload.length} bytes, not 21`);
  if (payload[0] === params.pubKeyHashPrefix) return p2pkhScript(payload.subarray(1));
  if (payload[0] === params.scriptHashPrefix) return p2shScript(payload.subarray(1));
  throw new AddressError('hrp', `base58 version byte 0x${payload[0]!.toString(16)} is not a ${params.network} address`);
}

/** The address an output script pays, or undefined for scripts with no address (OP_RETURN, bare, nonstandard). */
export function outputScriptToAddress(script: Uint8Array, network: AddressNetwork | string): string | undefined {
  const params = addressParams(network);
  const c = classifyOutputScript(script);
  switch (c.type) {
    case 'p2pkh':
      return base58check.encode(Uint8Array.of(params.pubKeyHashPrefix, ...c.payload));
    case 'p2sh':
      return base58check.encode(Uint8Array.of(params.scriptHashPrefix, ...c.payload));
    case 'p2wpkh':
    case 'p2wsh':
    case 'p2tr':
    case 'witness_unknown':
      return encodeSegwitAddress(params.bech32Hrp, c.witnessVersion!, c.payload);
    default:
      return undefined;
  }
}
