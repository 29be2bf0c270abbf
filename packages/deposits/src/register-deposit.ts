import { bytesToHex, hashToHex, verifyMerkleBlockProof } from '@tapbridge/bitcoin';
import { announceConfirmed } from './confirmations.js';
import type { DepositRules } from './config.js';
import { DepositRegistrationError } from './errors.js';
import { sameRegistration, validateRegistration, type RegistrationRequest } from './registration.js';
import { refreshStatus } from './status.js';
import type { DepositStoreTx } from './store.js';
import type { DepositRecord } from './types.js';

/** What a chain source said about the registered transaction. */
export interface ObservedTransaction {
  rawTx: Uint8Array;
  /** Its merkle block (`gettxoutproof` format) when the source has it in a block. */
  merkleBlock?: Uint8Array;
}

export interface RegistrationResult {
  /** False for a repeat of an earlier, identical registration. */
  created: boolean;
  deposit: DepositRecord;
}

/** The block and position a source's merkle block proves, or undefined when it proves nothing about `txid`. */
function inclusionOf(merkleBlock: Uint8Array | undefined, txid: string): { blockHash: string; header: string; txIndex: number; proof: string } | undefined {
  if (!merkleBlock) return undefined;
  try {
    const proof = verifyMerkleBlockProof(merkleBlock);
    const match = proof.matches.find((m) => hashToHex(m.txid) === txid);
    if (!match) return undefined;
    return { blockHash: hashToHex(proof.blockHash), header: bytesToHex(merkleBlock.subarray(0, 80)), txIndex: match.index, proof: bytesToHex(merkleBlock) };
  } catch {
    // A proof that does not verify is the source's problem; the block scan still finds the deposit.
    return undefined;
  }
}

/**
 * Registers a taproot deposit (idempotent: the same outpoint and scripts again returns the stored deposit; other
 * scripts for a registered outpoint are a conflict). A deposit already mined in a block the indexer has applied
 * (registered after the fact) is recorded as seen there, proven by the source's merkle block against the stored
 * header, and confirmed at once if it is deep enough.
 */
export async function applyRegistration(
  tx: DepositStoreTx,
  rules: DepositRules,
  request: RegistrationRequest,
  observed: ObservedTransaction,
): Promise<RegistrationResult> {
  const candidate = validateRegistration(request, observed.rawTx, rules.groupKey);
  const existing = await tx.getDeposit(candidate);
  if (existing && !sameRegistration(existing, candidate))
    throw new DepositRegistrationError('conflict', `output ${candidate.txid}:${candidate.vout} is already registered with other scripts`);
  const deposit = existing ?? candidate;
  if (!existing) {
    await tx.insertDeposit(candidate);
    await tx.appendHistory({ txid: candidate.txid, vout: candidate.vout, status: 'registered', detail: 'registered' });
  }
  const inclusion = inclusionOf(observed.merkleBlock, deposit.txid);
  const sightings = await tx.sightingsOf(deposit);
  if (inclusion && !sightings.some((s) => s.kind === 'output')) {
    const block = await tx.getBlock(inclusion.blockHash);
    if (block && block.header === inclusion.header) {
      const at = { blockHash: block.hash, blockHeight: block.height };
      await tx.putSighting({ kind: 'output', txid: deposit.txid, vout: deposit.vout, ...at, txIndex: inclusion.txIndex, merkleProof: inclusion.proof, rawTx: bytesToHex(observed.rawTx), announced: false });
      await refreshStatus(tx, deposit, deposit.status, { ...at, detail: `already in block ${block.height} when registered` });
      const tip = await tx.tip();
      if (tip) await announceConfirmed(tx, tip, rules.confirmations);
    }
  }
  return { created: !existing, deposit: (await tx.getDeposit(deposit))! };
}
