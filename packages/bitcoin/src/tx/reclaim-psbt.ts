import { Psbt } from 'bitcoinjs-lib';
import { bytesToHex, equalBytes, hashToHex } from '../bytes.js';
import { decodeTransaction } from './codec.js';
import { TransactionError } from './errors.js';
import { computeTxid } from './hashes.js';
import { completeReclaimTx, planReclaimTx, type ReclaimTx, type UnsignedReclaim, type UnsignedReclaimParams } from './reclaim.js';

/**
 * The reclaim as a PSBT (BIP174 with BIP371 taproot fields), so a depositor signs the escape hatch with their own
 * wallet or hardware device instead of handing a secret key to our CLI. bitcoinjs-lib does the format; the
 * transaction, its sighash and the signature check stay in our consensus code (reclaim.ts).
 */

/** Where the reclaim key comes from in the depositor's wallet (BIP32), so a hardware device recognises it. */
export interface ReclaimKeyOrigin {
  /** 4-byte master key fingerprint. */
  masterFingerprint: Uint8Array;
  /** BIP32 path, e.g. m/86'/0'/0'/0/5. */
  path: string;
}

export interface ReclaimPsbtParams extends UnsignedReclaimParams {
  keyOrigin?: ReclaimKeyOrigin;
}

/** The unsigned reclaim PSBT (base64): witnessUtxo, the reclaim leaf with its control block, internal key and root. */
export function reclaimPsbt(params: ReclaimPsbtParams): { psbt: string; unsigned: UnsignedReclaim } {
  const unsigned = planReclaimTx(params);
  const input = unsigned.tx.inputs[0]!;
  const psbt = new Psbt();
  psbt.setVersion(unsigned.tx.version);
  psbt.setLocktime(unsigned.tx.locktime);
  psbt.addInput({
    hash: input.prevout.txid,
    index: input.prevout.vout,
    sequence: input.sequence,
    witnessUtxo: { script: unsigned.prevout.scriptPubKey, value: unsigned.prevout.value },
    tapInternalKey: unsigned.internalKey,
    tapMerkleRoot: unsigned.merkleRoot,
    tapLeafScript: [{ leafVersion: 0xc0, script: unsigned.reclaimScript, controlBlock: unsigned.controlBlock }],
    ...(params.keyOrigin
      ? {
          tapBip32Derivation: [
            { pubkey: unsigned.depositorKey, masterFingerprint: params.keyOrigin.masterFingerprint, path: params.keyOrigin.path, leafHashes: [unsigned.leafHash] },
          ],
        }
      : {}),
  });
  for (const out of unsigned.tx.outputs) psbt.addOutput({ script: out.scriptPubKey, value: out.value });
  return { psbt: psbt.toBase64(), unsigned };
}

/**
 * Takes the PSBT back from the wallet, signed (a BIP371 tapScriptSig for the reclaim leaf, or a finalized witness),
 * checks that it is still exactly the reclaim we built and that the signature is the reclaim key's, and returns the
 * network transaction.
 */
export function finalizeReclaimPsbt(signedBase64: string, params: UnsignedReclaimParams): ReclaimTx {
  let psbt: Psbt;
  try {
    psbt = Psbt.fromBase64(signedBase64.trim());
  } catch (e) {
    throw new TransactionError(`not a PSBT: ${(e as Error).message}`);
  }
  const unsigned = planReclaimTx(params);
  // Equal txids mean equal version, inputs, sequences, outputs and locktime: the wallet signed what we built.
  const theirs = psbtTxid(psbt);
  const ours = hashToHex(computeTxid(unsigned.tx));
  if (theirs !== ours) throw new TransactionError(`the PSBT is not this reclaim: it spends or pays differently (txid ${theirs}, expected ${ours})`);
  const input = psbt.data.inputs[0];
  if (psbt.data.inputs.length !== 1 || !input) throw new TransactionError('a reclaim PSBT has exactly one input');
  const fromSigs = input.tapScriptSig?.find((s) => equalBytes(s.pubkey, unsigned.depositorKey) && equalBytes(s.leafHash, unsigned.leafHash))?.signature;
  const fromWitness = input.finalScriptWitness ? witnessFirstItem(input.finalScriptWitness) : undefined;
  const signature = fromSigs ?? fromWitness;
  if (!signature) throw new TransactionError(`the PSBT carries no signature by the reclaim key ${bytesToHex(unsigned.depositorKey)} for the reclaim leaf`);
  return completeReclaimTx(unsigned, signature);
}

/** The txid of the PSBT's global unsigned transaction, through our own codec. */
function psbtTxid(psbt: Psbt): string {
  const raw = (psbt.data.globalMap.unsignedTx as unknown as { toBuffer(): Uint8Array }).toBuffer();
  try {
    return hashToHex(computeTxid(decodeTransaction(raw)));
  } catch (e) {
    // bitcoinjs-lib reads what our codec refuses (an output above MAX_MONEY, found by fuzz-psbt.test.ts): still a
    // bad PSBT, so the caller gets the one error type this parser promises.
    throw new TransactionError(`the PSBT's unsigned transaction is invalid: ${(e as Error).message}`);
  }
}

function witnessFirstItem(serialized: Uint8Array): Uint8Array | undefined {
  // varint count, then varint-length items; the reclaim witness's first item is the 64-byte signature.
  if (serialized.length < 2 || serialized[0] !== 3 || serialized[1] !== 64) return undefined;
  return serialized.subarray(2, 66);
}
