import { EncodingError, bytesToHex, hexToHash } from '../bytes.js';
import { classifyOutputScript, type OutputScriptType } from '../scripts/output-script.js';
import { verifyTaprootCommitment } from '../taproot/control-block.js';
import { SweepError } from './errors.js';

/** The output kinds a withdrawal may be paid to: the standard, addressable ones with known exact weights. */
export const PAYOUT_SCRIPT_TYPES: ReadonlySet<OutputScriptType> = new Set(['p2pkh', 'p2sh', 'p2wpkh', 'p2wsh', 'p2tr']);

export const isP2tr = (script: Uint8Array): boolean => script instanceof Uint8Array && script.length === 34 && script[0] === 0x51 && script[1] === 0x20;

export function isPayoutScript(script: Uint8Array): boolean {
  return script instanceof Uint8Array && PAYOUT_SCRIPT_TYPES.has(classifyOutputScript(script).type);
}

/** A display-hex txid to internal byte order, as a SweepError when malformed. */
export function parseTxid(txid: string, what: string): Uint8Array {
  try {
    return hexToHash(txid);
  } catch (e) {
    if (e instanceof EncodingError) throw new SweepError('txid', `${what}: txid ${JSON.stringify(txid)} is not 32 bytes of hex`);
    throw e;
  }
}

export function checkVout(vout: number, what: string): void {
  if (!Number.isInteger(vout) || vout < 0 || vout > 0xffffffff) throw new SweepError('vout', `${what}: vout ${vout} is not a u32`);
}

export function checkSats(value: bigint, what: string, min = 0n): void {
  if (typeof value !== 'bigint' || value < min) throw new SweepError('amount', `${what} must be a bigint ≥ ${min}, got ${String(value)}`);
}

// A deposit's leaf commitment is checked by the planner, the builder and every signer (twice per request), and
// each check is an EC multiplication. The answer depends only on the three byte strings, so it is memoized.
const COMMITMENT_CACHE_SIZE = 4096;
const commitmentCache = new Map<string, boolean>();

/**
 * BIP341 VerifyTaprootCommitment of a deposit-leaf spend against the P2TR output it spends; false for a
 * non-P2TR output. Throws TaprootError for a malformed control block, like verifyTaprootCommitment.
 */
export function leafCommitsToOutput(scriptPubKey: Uint8Array, leafScript: Uint8Array, controlBlock: Uint8Array): boolean {
  if (!isP2tr(scriptPubKey)) return false;
  const key = `${bytesToHex(scriptPubKey)}:${bytesToHex(leafScript)}:${bytesToHex(controlBlock)}`;
  const cached = commitmentCache.get(key);
  if (cached !== undefined) return cached;
  const ok = verifyTaprootCommitment(scriptPubKey.subarray(2), leafScript, controlBlock);
  if (commitmentCache.size >= COMMITMENT_CACHE_SIZE) commitmentCache.delete(commitmentCache.keys().next().value!);
  commitmentCache.set(key, ok);
  return ok;
}

/** Empties the commitment memo (benchmarks measure the cold path with it). */
export function clearLeafCommitmentCache(): void {
  commitmentCache.clear();
}
