// The gateway's own check of a deposit.confirmed before it mints: the event's merkle proof must commit to the deposit's
// txid under a header that the header-watcher holds on its best chain, at the stated height, deep enough. Whoever can
// publish on deposit.confirmed (a bug, a leaked credential, a NATS permission mistake) can then not mint by lying.
// Then the event's raw transaction must be that txid and pay what the event says, locked to OUR custody: the deposit
// leaf names our group key, or the OP_RETURN-form output pays our custody script (checkDepositPayment). Our custody is
// what the signing-coordinator says it holds (rpc.signing.custody.get, CoordinatorCustody).
import {
  bytesToHex, decodeTransaction, depositTaprootOutput, encodeHeader, equalBytes, findOpReturnDeposit, hashToHex, hexToBytes,
  merkleRootHex, parseDepositScript, verifyMerkleBlockProof, type DecodedTransaction,
} from '@tapbridge/bitcoin';
import { NoRespondersError, RemoteError, RequestTimeoutError, request, type EventPayload, type Messaging, type depositConfirmed } from '@tapbridge/messaging';
import { z } from 'zod';

type DepositConfirmed = EventPayload<typeof depositConfirmed>;

/** What the header-watcher answers on rpc.btc.headers.get / .tip (its HeaderDto; only the fields checked here). */
export const WatcherHeader = z.object({
  height: z.number().int().nonnegative(),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  merkleRoot: z.string().regex(/^[0-9a-f]{64}$/),
  header: z.string().regex(/^[0-9a-f]{160}$/),
  inBest: z.boolean(),
  confirmations: z.number().int().nonnegative(),
});
export type WatcherHeader = z.infer<typeof WatcherHeader>;

/** The header-watcher's subjects (apps/header-watcher/src/headers.rpc.ts), under the `rpc.` request prefix. */
export const HEADER_SUBJECTS = { get: 'btc.headers.get', tip: 'btc.headers.tip' } as const;

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
export function parseDepositProof(deposit: Pick<DepositConfirmed, 'txid' | 'blockHash' | 'merkleProof'>): ParsedProof {
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
  deposit: Pick<DepositConfirmed, 'blockHash' | 'blockHeight'>,
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

/** Where headers come from: the header-watcher over NATS request/reply in the service, a fake in unit tests. */
export interface HeaderChain {
  /** The header with this hash (display hex), or undefined when the watcher has none. */
  byHash(hash: string): Promise<WatcherHeader | undefined>;
  tipHeight(): Promise<number>;
}

/** The header-watcher's NATS API (rpc.btc.headers.*). Transport failures throw; "not found" is undefined. */
export class NatsHeaderChain implements HeaderChain {
  constructor(
    private readonly messaging: Messaging,
    private readonly timeoutMs = 5_000,
  ) {}

  async byHash(hash: string): Promise<WatcherHeader | undefined> {
    try {
      return await request(this.messaging, HEADER_SUBJECTS.get, { heightOrHash: hash }, { timeoutMs: this.timeoutMs, response: WatcherHeader });
    } catch (err) {
      if (err instanceof RemoteError && err.code === 'not_found') return undefined;
      throw err;
    }
  }

  async tipHeight(): Promise<number> {
    return (await request(this.messaging, HEADER_SUBJECTS.tip, {}, { timeoutMs: this.timeoutMs, response: WatcherHeader })).height;
  }
}

/** What the signing-coordinator answers on rpc.signing.custody.get (its Custody; only the fields checked here). */
export const CustodyView = z.object({
  /** The FROST group's x-only key: every taproot deposit leaf must name it. */
  groupKey: z.string().regex(/^[0-9a-f]{64}$/),
  /** The custody output script (P2TR): OP_RETURN-form deposits pay it. */
  scriptPubKey: z.string().regex(/^5120[0-9a-f]{64}$/),
});
export type CustodyView = z.infer<typeof CustodyView>;

/** The signing-coordinator's subject (apps/signing-coordinator/src/signing.rpc.ts), under the `rpc.` request prefix. */
export const CUSTODY_SUBJECT = 'signing.custody.get';

export type CustodyAnswer = { known: true; custody: CustodyView } | { known: false; reason: string };

/** Where our custody comes from: the signing-coordinator over NATS in the service, a fixed value in unit tests. */
export interface CustodySource {
  /** The custody, from cache once known. Unknown (coordinator down, DKG not done) is an answer, not an error. */
  get(): Promise<CustodyAnswer>;
  /** Asks again (a deposit named another key: perhaps our key changed); rate-limited, so a flood costs nothing. */
  refresh(): Promise<CustodyAnswer>;
}

/**
 * The signing-coordinator's custody view over NATS, cached once known: the group key changes only with a new DKG.
 * `refresh` re-asks at most once per `refreshIntervalMs`, so deposits to a foreign key cannot flood the coordinator.
 */
export class CoordinatorCustody implements CustodySource {
  private cached: CustodyView | undefined;
  private askedAt = -Infinity;
  private inFlight: Promise<CustodyAnswer> | undefined;

  constructor(
    private readonly messaging: Messaging,
    private readonly timeoutMs = 5_000,
    private readonly refreshIntervalMs = 30_000,
    private readonly onLearned: (custody: CustodyView, previous: CustodyView | undefined) => void = () => undefined,
    private readonly now: () => number = Date.now,
  ) {}

  get(): Promise<CustodyAnswer> {
    if (this.cached !== undefined) return Promise.resolve({ known: true, custody: this.cached });
    return this.ask();
  }

  refresh(): Promise<CustodyAnswer> {
    if (this.cached !== undefined && this.now() - this.askedAt < this.refreshIntervalMs) return Promise.resolve({ known: true, custody: this.cached });
    return this.ask();
  }

  private ask(): Promise<CustodyAnswer> {
    // One request at a time: a batch of deposits waiting for the custody asks once.
    this.inFlight ??= (async (): Promise<CustodyAnswer> => {
      this.askedAt = this.now();
      try {
        // The subject written out, so the permissions drift test sees this request (CUSTODY_SUBJECT).
        const custody = await request(this.messaging, 'signing.custody.get', {}, { timeoutMs: this.timeoutMs, response: CustodyView });
        const previous = this.cached;
        this.cached = custody;
        if (previous?.groupKey !== custody.groupKey || previous.scriptPubKey !== custody.scriptPubKey) this.onLearned(custody, previous);
        return { known: true, custody };
      } catch (err) {
        if (err instanceof NoRespondersError || err instanceof RequestTimeoutError || err instanceof RemoteError) {
          // Keep what we knew: a coordinator that is restarting does not make our custody unknown.
          if (this.cached !== undefined) return { known: true, custody: this.cached };
          return { known: false, reason: `the signing-coordinator did not say what our custody is: ${err.message}` };
        }
        throw err;
      } finally {
        this.inFlight = undefined;
      }
    })();
    return this.inFlight;
  }
}

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
export function checkDepositPayment(deposit: DepositConfirmed, o: PaymentCheckOptions): PaymentCheck {
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

/**
 * Checks a deposit.confirmed end to end: the proof, then the header chain, then what the transaction pays. An
 * unreachable watcher is "not yet".
 */
export async function verifyDeposit(deposit: DepositConfirmed, chain: HeaderChain, minConfirmations: number, o: PaymentCheckOptions): Promise<ProofVerdict> {
  const verdict = await verifyDepositProof(deposit, chain, minConfirmations);
  if (verdict.verdict !== 'valid') return verdict;
  const payment = checkDepositPayment(deposit, o);
  return payment.ok ? verdict : { verdict: 'forged', reason: payment.reason, ...(payment.foreignCustody ? { foreignCustody: true as const } : {}) };
}

/** The proof and the header chain only. */
export async function verifyDepositProof(deposit: DepositConfirmed, chain: HeaderChain, minConfirmations: number): Promise<ProofVerdict> {
  const proof = parseDepositProof(deposit);
  if (!proof.ok) return { verdict: 'forged', reason: proof.reason };
  try {
    const header = await chain.byHash(proof.blockHash);
    const tip = header === undefined ? await chain.tipHeight() : header.height + header.confirmations - 1;
    return judgeProof(deposit, proof, header, tip, minConfirmations);
  } catch (err) {
    if (err instanceof NoRespondersError || err instanceof RequestTimeoutError) return { verdict: 'not-yet', reason: `the header-watcher did not answer: ${err.message}` };
    if (err instanceof RemoteError) return { verdict: 'not-yet', reason: `the header-watcher failed: ${err.code} ${err.message}` };
    throw err;
  }
}
