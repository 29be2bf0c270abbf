import { secp256k1, schnorr } from '@noble/curves/secp256k1.js';
import { Transaction, crypto as bcrypto, script as bscript } from 'bitcoinjs-lib';
import { classifyOutputScript, equalBytes, p2pkhScript, verifyTaprootCommitment, parseControlBlock, tapLeafHash } from '@tapbridge/bitcoin';
import { rejectTx } from '../errors.js';
import { ScriptError, SCRIPT_ERR } from './script-error.js';
import { executeTapscript, witnessSerializedSize, type TapscriptChecker } from './tapscript.js';

/** The output an input spends: what its script must satisfy, and the amount the sighash commits to. */
export interface Prevout {
  script: Uint8Array;
  value: bigint;
}

const TAPSCRIPT_LEAF_VERSION = 0xc0;
const ANNEX_TAG = 0x50;
const HALF_ORDER = secp256k1.Point.Fn.ORDER >> 1n;
const LOCKTIME_THRESHOLD = 500_000_000n;
const SEQUENCE_FINAL = 0xffffffffn;
const SEQUENCE_DISABLE_FLAG = 1n << 31n;
const SEQUENCE_TYPE_FLAG = 1n << 22n;
const SEQUENCE_MASK = 0x0000ffffn;
const VALID_TAPROOT_HASH_TYPES = new Set([0x00, 0x01, 0x02, 0x03, 0x81, 0x82, 0x83]);

/**
 * Verifies one input's witness against the output it spends: P2WPKH (BIP143 ECDSA), P2TR key path
 * (BIP341 Schnorr) and P2TR script path (control block commitment, then the tapscript). Other output
 * types are outside what the devnet checks, so it refuses them rather than accepting them unverified.
 */
export function verifyInputScript(tx: Transaction, index: number, prevouts: readonly Prevout[]): void {
  const input = tx.ins[index];
  const prevout = prevouts[index];
  if (!input || !prevout) throw new RangeError(`input ${index} or its prevout is missing`);
  const spent = classifyOutputScript(prevout.script);
  switch (spent.type) {
    case 'p2wpkh':
      if (input.script.length !== 0) throw new ScriptError(SCRIPT_ERR.WITNESS_MALLEATED);
      return verifyP2wpkh(tx, index, spent.payload, prevout.value);
    case 'p2tr':
      if (input.script.length !== 0) throw new ScriptError(SCRIPT_ERR.WITNESS_MALLEATED);
      return verifyP2tr(tx, index, spent.payload, prevouts);
    case 'witness_unknown':
      throw new ScriptError(SCRIPT_ERR.DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM, true);
    default:
      throw rejectTx('bad-txns-nonstandard-inputs', `input ${index} spends a ${spent.type} output; devnet-chain verifies P2WPKH and P2TR spends only`);
  }
}

function verifyP2wpkh(tx: Transaction, index: number, program: Uint8Array, value: bigint): void {
  const witness = tx.ins[index]!.witness;
  if (witness.length === 0) throw new ScriptError(SCRIPT_ERR.WITNESS_PROGRAM_WITNESS_EMPTY);
  if (witness.length !== 2) throw new ScriptError(SCRIPT_ERR.WITNESS_PROGRAM_MISMATCH);
  const [signature, publicKey] = witness as [Uint8Array, Uint8Array];
  if (!equalBytes(bcrypto.hash160(publicKey), program)) throw new ScriptError(SCRIPT_ERR.WITNESS_PROGRAM_MISMATCH);
  if (publicKey.length !== 33 || (publicKey[0] !== 0x02 && publicKey[0] !== 0x03)) throw new ScriptError(SCRIPT_ERR.WITNESS_PUBKEYTYPE, true);
  // An empty signature makes CHECKSIG push false, which leaves a false stack.
  if (signature.length === 0) throw new ScriptError(SCRIPT_ERR.EVAL_FALSE);
  const hashType = signature[signature.length - 1]!;
  if ((hashType & 0x7f) < 1 || (hashType & 0x7f) > 3) throw new ScriptError(SCRIPT_ERR.SIG_HASHTYPE, true);
  let compact: Uint8Array;
  try {
    compact = bscript.signature.decode(signature).signature;
  } catch {
    throw new ScriptError(SCRIPT_ERR.SIG_DER);
  }
  const s = BigInt('0x' + Buffer.from(compact.subarray(32)).toString('hex'));
  if (s > HALF_ORDER) throw new ScriptError(SCRIPT_ERR.SIG_HIGH_S, true);
  const sighash = tx.hashForWitnessV0(index, p2pkhScript(program), value, hashType);
  let valid: boolean;
  try {
    valid = secp256k1.verify(compact, sighash, publicKey, { prehash: false, lowS: false, format: 'compact' });
  } catch {
    valid = false;
  }
  // NULLFAIL is consensus in segwit v0 for failing non-empty signatures (policy in Core, mandatory since taproot).
  if (!valid) throw new ScriptError(SCRIPT_ERR.SIG_NULLFAIL);
}

function taprootSighash(tx: Transaction, index: number, prevouts: readonly Prevout[], hashType: number, leafHash?: Uint8Array): Uint8Array {
  if (!VALID_TAPROOT_HASH_TYPES.has(hashType)) throw new ScriptError(SCRIPT_ERR.SCHNORR_SIG_HASHTYPE);
  if ((hashType & 0x03) === Transaction.SIGHASH_SINGLE && index >= tx.outs.length) throw new ScriptError(SCRIPT_ERR.SCHNORR_SIG_HASHTYPE);
  return tx.hashForWitnessV1(
    index,
    prevouts.map((p) => p.script),
    prevouts.map((p) => p.value),
    hashType,
    leafHash,
  );
}

/** BIP341 signature encoding: 64 bytes means SIGHASH_DEFAULT; 65 bytes carry an explicit, non-zero hash type. */
function verifySchnorr(tx: Transaction, index: number, prevouts: readonly Prevout[], signature: Uint8Array, publicKey: Uint8Array, leafHash?: Uint8Array): void {
  let hashType = Transaction.SIGHASH_DEFAULT;
  if (signature.length === 65) {
    hashType = signature[64]!;
    if (hashType === Transaction.SIGHASH_DEFAULT) throw new ScriptError(SCRIPT_ERR.SCHNORR_SIG_HASHTYPE);
  } else if (signature.length !== 64) throw new ScriptError(SCRIPT_ERR.SCHNORR_SIG_SIZE);
  const sighash = taprootSighash(tx, index, prevouts, hashType, leafHash);
  let valid: boolean;
  try {
    valid = schnorr.verify(signature.subarray(0, 64), sighash, publicKey);
  } catch {
    valid = false;
  }
  if (!valid) throw new ScriptError(SCRIPT_ERR.SCHNORR_SIG);
}

function verifyP2tr(tx: Transaction, index: number, outputKey: Uint8Array, prevouts: readonly Prevout[]): void {
  const input = tx.ins[index]!;
  let stack = input.witness.slice();
  if (stack.length === 0) throw new ScriptError(SCRIPT_ERR.WITNESS_PROGRAM_WITNESS_EMPTY);
  if (stack.length >= 2 && stack[stack.length - 1]![0] === ANNEX_TAG) {
    // Core's IsWitnessStandard: the annex has no meaning yet, so relay refuses it.
    throw rejectTx('bad-witness-nonstandard', 'taproot annex is not standard');
  }
  if (stack.length === 1) {
    verifySchnorr(tx, index, prevouts, stack[0]!, outputKey);
    return;
  }
  const controlBlock = stack[stack.length - 1]!;
  const leafScript = stack[stack.length - 2]!;
  stack = stack.slice(0, -2);
  if (controlBlock.length < 33 || (controlBlock.length - 33) % 32 !== 0 || controlBlock.length > 33 + 128 * 32)
    throw new ScriptError(SCRIPT_ERR.TAPROOT_WRONG_CONTROL_SIZE);
  if (!verifyTaprootCommitment(outputKey, leafScript, controlBlock)) throw new ScriptError(SCRIPT_ERR.WITNESS_PROGRAM_MISMATCH);
  const { leafVersion } = parseControlBlock(controlBlock);
  if (leafVersion !== TAPSCRIPT_LEAF_VERSION) throw new ScriptError(SCRIPT_ERR.DISCOURAGE_UPGRADABLE_TAPROOT_VERSION, true);
  const leafHash = tapLeafHash(leafScript, leafVersion);
  const checker: TapscriptChecker = {
    checkSchnorrSignature: (signature, publicKey) => verifySchnorr(tx, index, prevouts, signature, publicKey, leafHash),
    checkLockTime: (lockTime) => {
      const txLockTime = BigInt(tx.locktime);
      const sameKind = (txLockTime < LOCKTIME_THRESHOLD) === (lockTime < LOCKTIME_THRESHOLD);
      return sameKind && lockTime <= txLockTime && BigInt(input.sequence) !== SEQUENCE_FINAL;
    },
    checkSequence: (sequence) => {
      const txSequence = BigInt(input.sequence);
      if (tx.version < 2 || (txSequence & SEQUENCE_DISABLE_FLAG) !== 0n) return false;
      const mask = SEQUENCE_TYPE_FLAG | SEQUENCE_MASK;
      const txMasked = txSequence & mask;
      const lockMasked = sequence & mask;
      if ((txMasked < SEQUENCE_TYPE_FLAG) !== (lockMasked < SEQUENCE_TYPE_FLAG)) return false;
      return lockMasked <= txMasked;
    },
  };
  executeTapscript(leafScript, stack, checker, witnessSerializedSize(input.witness) + 50);
}
