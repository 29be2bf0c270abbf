// From a persisted unsigned sweep to its signing requests, and from the signatures back to a signed transaction.
// Every signature is verified here against the key it must verify under before the transaction is kept.
import { schnorr } from '@noble/curves/secp256k1.js';
import { bytesToHex, decodeTransaction, encodeTransaction, hashToHex, hexToBytes, computeTxid, SIGHASH_DEFAULT, taprootSighash, type TxOutput } from '@tapbridge/bitcoin';
import type { SweepInput, SweepVersion } from './types.js';

/** The sighash part of a signing request (packages/signing taprootSighashPayloadSchema, without `kind`). */
export interface SighashRequest {
  transaction: string;
  inputIndex: number;
  prevouts: Array<{ value: string; scriptPubKey: string }>;
  hashType: number;
  leafHash?: string;
}

/** What the signers are told beyond the transaction (packages/signing sweepContextSchema). */
export interface SweepRequestContext {
  withdrawalIds: string[];
  deposits: Array<{ txid: string; vout: number; kind: 'deposit-leaf' | 'custody-key-path'; depositScript?: string; reclaimScript?: string }>;
}

export function sighashRequest(v: Pick<SweepVersion, 'unsignedHex' | 'inputs'>, inputIndex: number): SighashRequest {
  const input = v.inputs[inputIndex];
  if (!input) throw new RangeError(`input ${inputIndex} does not exist`);
  return {
    transaction: v.unsignedHex,
    inputIndex,
    prevouts: v.inputs.map((i) => ({ value: i.value.toString(), scriptPubKey: i.scriptPubKey })),
    hashType: SIGHASH_DEFAULT,
    ...(input.kind === 'deposit-leaf' ? { leafHash: input.leafHash! } : {}),
  };
}

/** The sweep context: paid ids in payout order, and every input but the custody one, in input order. */
export function sweepRequestContext(v: Pick<SweepVersion, 'inputs' | 'payouts'>, custodyInputIndex: number | undefined): SweepRequestContext {
  return {
    withdrawalIds: v.payouts.map((p) => p.withdrawalId.toString()),
    deposits: v.inputs
      .filter((_, i) => i !== custodyInputIndex)
      .map((i) =>
        i.kind === 'deposit-leaf'
          ? { txid: i.txid, vout: i.vout, kind: 'deposit-leaf' as const, depositScript: i.leafScript!, reclaimScript: i.reclaimScript! }
          : { txid: i.txid, vout: i.vout, kind: 'custody-key-path' as const },
      ),
  };
}

/** Which key an input's signature verifies under: the custody output key (key path) or the untweaked group key. */
export interface SigningKeys {
  custodyOutputKey: string;
  groupKey: string;
}
export const signingKeyFor = (input: Pick<SweepInput, 'kind'>, keys: SigningKeys): string => (input.kind === 'deposit-leaf' ? keys.groupKey : keys.custodyOutputKey);

export class SignatureCheckError extends Error {
  override readonly name = 'SignatureCheckError';
  constructor(readonly inputIndex: number, message: string) {
    super(message);
  }
}

/** BIP341 sighash of one input of the unsigned sweep. */
export function inputSighash(v: Pick<SweepVersion, 'unsignedHex' | 'inputs'>, inputIndex: number): Uint8Array {
  const tx = decodeTransaction(v.unsignedHex);
  const prevouts: TxOutput[] = v.inputs.map((i) => ({ value: i.value, scriptPubKey: hexToBytes(i.scriptPubKey) }));
  const input = v.inputs[inputIndex]!;
  return taprootSighash({ tx, inputIndex, prevouts, hashType: SIGHASH_DEFAULT, ...(input.kind === 'deposit-leaf' ? { leafHash: hexToBytes(input.leafHash!) } : {}) });
}

/** True when `signature` is a valid BIP340 signature of input `inputIndex`'s sighash under its key. */
export function verifyInputSignature(v: Pick<SweepVersion, 'unsignedHex' | 'inputs'>, inputIndex: number, signature: string, keys: SigningKeys): boolean {
  if (!/^[0-9a-f]{128}$/.test(signature)) return false;
  try {
    return schnorr.verify(hexToBytes(signature), inputSighash(v, inputIndex), hexToBytes(signingKeyFor(v.inputs[inputIndex]!, keys)));
  } catch {
    return false;
  }
}

/**
 * The signed transaction: witness [sig] on key-path inputs, [sig, leaf script, control block] on deposit-leaf
 * inputs. Every signature is checked first; the txid cannot change (witnesses are not part of it) and is checked.
 */
export function assembleSignedSweep(v: Pick<SweepVersion, 'txid' | 'unsignedHex' | 'inputs'>, keys: SigningKeys): string {
  const tx = decodeTransaction(v.unsignedHex);
  v.inputs.forEach((input, i) => {
    if (!input.signature) throw new SignatureCheckError(i, `input ${i} has no signature yet`);
    if (!verifyInputSignature(v, i, input.signature, keys)) throw new SignatureCheckError(i, `input ${i}: signature does not verify under ${signingKeyFor(input, keys)}`);
    const sig = hexToBytes(input.signature);
    tx.inputs[i]!.witness = input.kind === 'deposit-leaf' ? [sig, hexToBytes(input.leafScript!), hexToBytes(input.controlBlock!)] : [sig];
  });
  const txid = hashToHex(computeTxid(tx));
  if (txid !== v.txid) throw new Error(`signed transaction has txid ${txid}, not ${v.txid}`);
  return bytesToHex(encodeTransaction(tx));
}
