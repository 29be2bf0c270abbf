// The L2's own check of a deposit before it is minted (pure; the evm-gateway supplies the header chain and custody).
// The event's merkle proof must commit to the deposit's txid under a header that the header chain holds on its best
// chain, at the stated height, deep enough. Whoever can publish on deposit.confirmed (a bug, a leaked credential, a
// NATS permission mistake) can then not mint by lying. Then the event's raw transaction must be that txid and pay what
// the event says, locked to OUR custody: the deposit leaf names our group key, or the OP_RETURN-form output pays our
// custody script (checkDepositPayment).
import {
  bytesToHex, decodeTransaction, depositTaprootOutput, encodeHeader, equalBytes, findOpReturnDeposit, hashToHex, hexToBytes,
  merkleRootHex, parseDepositScript, verifyMerkleBlockProof, type DecodedTransaction,
} from '@tapbridge/bitcoin';
import { z } from 'zod';

/** What a deposit.confirmed event claims: the fields these checks read (packages/messaging's payload carries them). */
export interface DepositClaim {
  txid: string;
  vout: number;
  amountSats: string;
  recipient: string;
  maxFeeSats: string;
  blockHash: string;
  blockHeight: number;
  /** Core's merkle-block (`gettxoutproof`) format, hex. */
  merkleProof: string;
  kind: 'taproot' | 'op_return';
  /** The deposit transaction, hex; without it what the txid pays cannot be checked. */
  rawTx?: string | undefined;
  depositScript?: string | undefined;
  reclaimScript?: string | undefined;
}

/** A block as the header chain holds it (the header-watcher's HeaderDto; only the fields checked here). */
export const WatcherHeader = z.object({
  height: z.number().int().nonnegative(),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  merkleRoot: z.string().regex(/^[0-9a-f]{64}$/),
  header: z.string().regex(/^[0-9a-f]{160}$/),
  inBest: z.boolean(),
  confirmations: z.number().int().nonnegative(),
});
export type WatcherHeader = z.infer<typeof WatcherHeader>;

export type ProofVerdict =
  | { verdict: 'valid'; header: WatcherHeader }
  /** The event is false: never mint it (dead-lettered with this reason). `foreignCustody`: locked to a key not ours. */
  | { verdict: 'forged'; reason: string; foreignCustody?: true }
  /** The header chain has not caught up (or cannot be asked): try again later. */
  | { verdict: 'not-yet'; reason: string };

/** What the proof itself says: the raw header it is anchored in, and that it commits to the txid. */
export type ParsedProof = { ok: true; headerHex: string; blockHash: string; merkleRoot: string } | { ok: false; reason: string };

/**
 * Parses the merkle block (Core `gettxoutproof` format, as packages/deposits builds it), checks that its partial tree
 * rebuilds the header's merkle root, that it is the block the event names, and that the deposit's txid is among
 * its matches. Pure.
 */
export function parseDepositProof(deposit: Pick<DepositClaim, 'txid' | 'blockHash' | 'merkleProof'>): ParsedProof {
  let proof: ReturnType<typeof verifyMerkleBlockProof>;
  try {
    proof = verifyMerkleBlockProof(deposit.merkleProof);
  } catch (err) {
    return { ok: false, reason: `merkle proof is invalid: ${(err as Error).message}` };
  }
  const blockHash = hashToHex(proof.blockHash);
  if (blockHash !== deposit.blockHash.toLowerCase()) return { ok: false, reason: `merkle proof is for block ${blockHash}, the event names ${deposit.blockHash}` };
  const txid = deposit.txid.toLowerCase();
  if (!proof.matches.some((m) => hashToHex(m.txid) === txid)) return { ok: false, reason: `merkle proof does not commit to txid ${txid}` };
  return { ok: true, headerHex: bytesToHex(encodeHeader(proof.header)), blockHash, merkleRoot: merkleRootHex(proof.header) };
}

/**
 * Judges a parsed proof against what the header chain holds for the event's block (`header`, undefined when the
 * watcher does not know the hash) and the watcher's tip height. Pure.
 */
export function judgeProof(
  deposit: Pick<DepositClaim, 'blockHash' | 'blockHeight'>,
  proof: Extract<ParsedProof, { ok: true }>,
  header: WatcherHeader | undefined,
  tipHeight: number,
  minConfirmations: number,
): ProofVerdict {
  if (header === undefined) {
    // The indexer follows the watcher's header events, so a watcher behind the event's height is only lagging.
    if (tipHeight < deposit.blockHeight) return { verdict: 'not-yet', reason: `the header chain is at ${tipHeight}, below block height ${deposit.blockHeight}` };
    return { verdict: 'forged', reason: `block ${deposit.blockHash} is unknown to the header chain (tip ${tipHeight})` };
  }
  if (header.hash !== proof.blockHash) return { verdict: 'forged', reason: `the header chain answered for block ${header.hash}, not ${proof.blockHash}` };
  if (!header.inBest) return { verdict: 'forged', reason: `block ${header.hash} is not on the best chain` };
  if (header.height !== deposit.blockHeight) return { verdict: 'forged', reason: `block ${header.hash} is at height ${header.height}, the event says ${deposit.blockHeight}` };
  if (header.merkleRoot !== proof.merkleRoot) return { verdict: 'forged', reason: `merkle root ${proof.merkleRoot} of the proof differs from the header chain's ${header.merkleRoot}` };
  if (header.header !== proof.headerHex) return { verdict: 'forged', reason: 'the proof\u2019s header differs from the header chain\u2019s' };
  if (header.confirmations < minConfirmations) {
    return { verdict: 'not-yet', reason: `block ${header.hash} has ${header.confirmations} confirmations on the header chain, ${minConfirmations} required` };
  }
  return { verdict: 'valid', header };
}

/** Where headers come from: the header-watcher over NATS in the evm-gateway, a fake in unit tests. */
export interface HeaderChain {
  /** The header with this hash (display hex), or undefined when the watcher has none. */
  byHash(hash: string): Promise<WatcherHeader | undefined>;
  tipHeight(): Promise<number>;
}

/** Our custody as the signing-coordinator reports it (its Custody; only the fields checked here). */
export const CustodyView = z.object({
  /** The FROST group's x-only key: every taproot deposit leaf must name it. */
  groupKey: z.string().regex(/^[0-9a-f]{64}$/),
  /** The custody output script (P2TR): OP_RETURN-form deposits pay it. */
  scriptPubKey: z.string().regex(/^5120[0-9a-f]{64}$/),
});
export type CustodyView = z.infer<typeof CustodyView>;

/** A failed payment check; `foreignCustody` when the deposit is locked to a key or script that is not ours. */
export type PaymentCheck = { ok: true } | { ok: false; reason: string; foreignCustody?: true };

export interface PaymentCheckOptions {
  /** Let an event without `rawTx` through on the proof alone (EVM_ACCEPT_UNPROVEN_DEPOSITS; off by default). */
  acceptUnproven: boolean;
  /** Our custody: what a deposit must be locked to. */
  custody: CustodyView;
}

/**
 * What the proven txid pays, from the event's raw transaction. Pure. The proof alone would let a forged event name
 * any real confirmed txid (someone's ordinary payment) with an invented output, amount and recipient. So: the raw
 * transaction hashes to the txid; its output `vout` exists and pays exactly `amountSats`; and
 * - taproot: that output is the P2TR (NUMS internal key) of the event's two leaf scripts, and the deposit leaf names
 *   our custody group key, this recipient and max fee;
 * - op_return: output `vout` pays our custody script, and the transaction carries exactly one OP_RETURN <recipient>
 *   marker, for this recipient, and no other output pays custody (the indexer's rule).
 * A deposit locked to someone else's key could never be swept by our signers: minting it would mint unbacked BTC.
 */
export function checkDepositPayment(deposit: DepositClaim, o: PaymentCheckOptions): PaymentCheck {
  const fail = (reason: string): PaymentCheck => ({ ok: false, reason });
  if (deposit.rawTx === undefined) {
    return o.acceptUnproven ? { ok: true } : fail('the event carries no raw transaction, so what the txid pays cannot be checked (EVM_ACCEPT_UNPROVEN_DEPOSITS is off)');
  }
  let tx: DecodedTransaction;
  try {
    tx = decodeTransaction(deposit.rawTx);
  } catch (err) {
    return fail(`raw transaction does not parse: ${(err as Error).message}`);
  }
  const txid = hashToHex(tx.txid);
  if (txid !== deposit.txid.toLowerCase()) return fail(`raw transaction is ${txid}, the event names ${deposit.txid}`);
  const out = tx.outputs[deposit.vout];
  if (out === undefined) return fail(`transaction ${txid} has no output ${deposit.vout}`);
  if (out.value !== BigInt(deposit.amountSats)) return fail(`output ${deposit.vout} pays ${out.value} sat, the event says ${deposit.amountSats}`);
  const recipient = deposit.recipient.toLowerCase();
  if (deposit.kind === 'taproot') {
    if (deposit.depositScript === undefined || deposit.reclaimScript === undefined) return fail('a taproot deposit without its leaf scripts');
    let expected: Uint8Array;
    let leaf: ReturnType<typeof parseDepositScript>;
    try {
      expected = depositTaprootOutput(hexToBytes(deposit.depositScript), hexToBytes(deposit.reclaimScript)).scriptPubKey;
      leaf = parseDepositScript(hexToBytes(deposit.depositScript));
    } catch (err) {
      return fail(`leaf scripts are invalid: ${(err as Error).message}`);
    }
    if (!equalBytes(out.scriptPubKey, expected)) return fail(`output ${deposit.vout} is not the P2TR of the event's leaf scripts`);
    const leafKey = bytesToHex(leaf.groupKey);
    if (leafKey !== o.custody.groupKey) {
      return { ok: false, foreignCustody: true, reason: `the deposit leaf is locked to group key ${leafKey}, not our custody key ${o.custody.groupKey}` };
    }
    if (leaf.recipient.toLowerCase() !== recipient) return fail(`the deposit leaf names recipient ${leaf.recipient}, the event ${deposit.recipient}`);
    if (leaf.maxFee !== BigInt(deposit.maxFeeSats)) return fail(`the deposit leaf caps the fee at ${leaf.maxFee} sat, the event says ${deposit.maxFeeSats}`);
    return { ok: true };
  }
  const paid = bytesToHex(out.scriptPubKey);
  if (paid !== o.custody.scriptPubKey) {
    return { ok: false, foreignCustody: true, reason: `output ${deposit.vout} pays script ${paid}, not our custody script ${o.custody.scriptPubKey}` };
  }
  const simple = findOpReturnDeposit(tx.outputs, out.scriptPubKey);
  if (simple === undefined || simple.vout !== deposit.vout) return fail(`transaction ${txid} is not an OP_RETURN deposit paying output ${deposit.vout}`);
  if (simple.recipient.toLowerCase() !== recipient) return fail(`the OP_RETURN names recipient ${simple.recipient}, the event ${deposit.recipient}`);
  return { ok: true };
}
