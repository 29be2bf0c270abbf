// The gateway's own check of a deposit.confirmed before it mints: the event's merkle proof must commit to the deposit's
// txid under a header that the header-watcher holds on its best chain, at the stated height, deep enough. Whoever can
// publish on deposit.confirmed (a bug, a leaked credential, a NATS permission mistake) can then not mint by lying.
import { bytesToHex, encodeHeader, hashToHex, merkleRootHex, verifyMerkleBlockProof } from '@tapbridge/bitcoin';
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

/** The header-watcher's subjects (apps/header-watcher/src/nats-api.ts), under the `rpc.` request prefix. */
export const HEADER_SUBJECTS = { get: 'btc.headers.get', tip: 'btc.headers.tip' } as const;

export type ProofVerdict =
  | { verdict: 'valid'; header: WatcherHeader }
  /** The event is false: never mint it (dead-lettered with this reason). */
  | { verdict: 'forged'; reason: string }
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

/** Checks a deposit.confirmed end to end: the proof, then the header chain. An unreachable watcher is "not yet". */
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
