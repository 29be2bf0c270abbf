// The watchtower (issue 12): for each open channel, look at whatever spent the funding outpoint and answer it.
// - a revoked commitment of the counterparty: broadcast the penalty at once (and again every pass until it
//   confirms: it must confirm inside the challenge period, before the publisher's own CSV path opens);
// - the counterparty's latest (unrevoked) commitment: a unilateral exit with the newest state; our side is already
//   paid by its to_remote, nothing to contest (with BOLT 3 commitments "responding with the latest state" is
//   exactly the penalty of any older one);
// - our own commitment: our to_local is ours after the challenge period (the caller sweeps it);
// - a cooperative close: done.
// The same loop guards either side: custody's watchtower with custody's keys, `tapbridge channel watch` with the
// user's. `judgeFundingSpend` is pure; `Watchtower` only adds the chain calls around it.
import { bytesToHex, decodeTransaction, encodeTransactionHex, hashToHex, computeTxid, type Transaction } from '@tapbridge/bitcoin';
import { pointOf, revocationSecretKey } from './keys.js';
import { otherSide, type ChannelParams, type Side } from './params.js';
import { perCommitmentSecret } from './shachain.js';
import { counterpartyRevocationSecret, type PartyState } from './state-machine.js';
import { buildPenalty, commitmentStateNumber, toLocalOutput, type Commitment } from './transactions.js';

export interface WatchedChannel {
  channelId: string;
  params: ChannelParams;
  /** Whose watchtower this is. */
  side: Side;
  /** Our latest persisted party state: it holds the counterparty's revealed secrets. */
  state: PartyState;
  /** Our per-commitment seed (recognises our own commitments). */
  perCommitmentSeed: Uint8Array;
  /** Our revocation basepoint secret (custody: the watchtower's plain key; user: the user's). */
  revocationBasepointSecret: Uint8Array;
  /** Where penalties pay. */
  penaltyScript: Uint8Array;
}

export type SpendVerdict =
  | { kind: 'cooperative-close'; txid: string }
  | { kind: 'revoked'; holder: Side; stateNumber: number; txid: string; penalty?: Transaction; reason?: string }
  | { kind: 'counterparty-latest'; holder: Side; stateNumber: number; txid: string }
  | { kind: 'own-commitment'; stateNumber: number; txid: string; toLocal?: { vout: number; value: bigint } }
  | { kind: 'unknown'; txid: string; reason: string };

/** The output of `tx` paying `script`, if any. */
function outputPaying(tx: Transaction, script: Uint8Array): { vout: number; value: bigint } | undefined {
  const hex = bytesToHex(script);
  const vout = tx.outputs.findIndex((o) => bytesToHex(o.scriptPubKey) === hex);
  return vout < 0 ? undefined : { vout, value: tx.outputs[vout]!.value };
}

/** What a transaction spending the funding outpoint is, from the watcher's side, and the penalty if one is due. */
export function judgeFundingSpend(w: WatchedChannel, tx: Transaction, penaltyFee: bigint): SpendVerdict {
  const txid = hashToHex(computeTxid(tx));
  const input = tx.inputs[0];
  if (tx.inputs.length !== 1 || !input || hashToHex(input.prevout.txid) !== w.params.funding.txid.toLowerCase() || input.prevout.vout !== w.params.funding.vout)
    return { kind: 'unknown', txid, reason: 'the transaction does not spend (only) the funding outpoint' };
  let stateNumber: number;
  try {
    stateNumber = commitmentStateNumber(w.params, tx);
  } catch {
    // Not a commitment's locktime/sequence: the only other spend both sign is a cooperative close.
    return { kind: 'cooperative-close', txid };
  }
  const own = outputPaying(tx, toLocalOutput(w.params, w.side, pointOf(perCommitmentSecret(w.perCommitmentSeed, stateNumber))).scriptPubKey);
  if (own) return { kind: 'own-commitment', stateNumber, txid, toLocal: own };
  const holder = otherSide(w.side);
  const secret = counterpartyRevocationSecret(w.state, stateNumber);
  if (!secret) {
    // Not revoked: the counterparty's latest state (or the one in flight that we signed). Our to_remote is paid.
    return { kind: 'counterparty-latest', holder, stateNumber, txid };
  }
  const point = pointOf(secret);
  const local = outputPaying(tx, toLocalOutput(w.params, holder, point).scriptPubKey);
  if (!local) return { kind: 'revoked', holder, stateNumber, txid, reason: 'the revoked commitment has no to_local output (its holder had only dust): nothing to take' };
  const commitment: Commitment = { holder, sheet: { stateNumber, user: 0n, custody: 0n }, tx, txid, toLocal: local, sighash: new Uint8Array(32) };
  const penalty = buildPenalty(w.params, {
    commitment,
    destinationScript: w.penaltyScript,
    fee: penaltyFee,
    holderPerCommitmentPoint: point,
    revocationSecretKey: revocationSecretKey(w.revocationBasepointSecret, secret),
    // Deterministic (BIP340 allows a zero aux): every pass rebuilds the same witness, so a re-broadcast is
    // "already known" rather than a conflicting wtxid.
    auxRand: new Uint8Array(32),
  });
  return { kind: 'revoked', holder, stateNumber, txid, penalty };
}

/** The chain calls the watchtower needs: a subset of @tapbridge/chain-source's ChainSource (Esplora indexes spends). */
export interface WatchChain {
  outspend(txid: string, vout: number): Promise<{ spent: false } | { spent: true; txid?: string; confirmed?: boolean; blockHeight?: number }>;
  getRawTransaction(txid: string): Promise<Uint8Array>;
  broadcastTransaction(rawTx: string): Promise<{ txid: string }>;
  txStatus(txid: string): Promise<{ confirmed: boolean; blockHeight?: number }>;
  getTip(): Promise<{ height: number }>;
}

export interface WatchReport {
  channelId: string;
  verdict: SpendVerdict;
  /** The commitment's confirmation height, when confirmed. */
  spendHeight?: number;
  /** The penalty's txid, once broadcast (every pass until it confirms). */
  penaltyTxid?: string;
  penaltyConfirmed?: boolean;
  /** Blocks left before the publisher's CSV path opens (the penalty must confirm before). */
  blocksLeft?: number;
  broadcastError?: string;
}

export class Watchtower {
  constructor(private readonly o: { chain: WatchChain; penaltyFee: bigint }) {
    if (o.penaltyFee <= 0n) throw new RangeError('penaltyFee must be positive');
  }

  /** One pass over `channels`: reports only the channels whose funding outpoint is spent. */
  async pass(channels: readonly WatchedChannel[]): Promise<WatchReport[]> {
    const reports: WatchReport[] = [];
    for (const w of channels) {
      const out = await this.o.chain.outspend(w.params.funding.txid, w.params.funding.vout);
      if (!out.spent) continue;
      if (!out.txid) throw new Error('the chain source does not index spends (use Esplora): the watchtower cannot see which state was published');
      const tx = decodeTransaction(await this.o.chain.getRawTransaction(out.txid));
      const verdict = judgeFundingSpend(w, tx, this.o.penaltyFee);
      const report: WatchReport = { channelId: w.channelId, verdict, ...(out.blockHeight !== undefined ? { spendHeight: out.blockHeight } : {}) };
      if (verdict.kind === 'revoked' && verdict.penalty) {
        const penaltyTxid = hashToHex(computeTxid(verdict.penalty));
        report.penaltyTxid = penaltyTxid;
        const status = await this.o.chain.txStatus(penaltyTxid).catch(() => ({ confirmed: false }));
        report.penaltyConfirmed = status.confirmed;
        if (!status.confirmed) {
          // Idempotent: the same txid again is "already known". Re-broadcasting each pass survives a dropped mempool.
          try {
            await this.o.chain.broadcastTransaction(encodeTransactionHex(verdict.penalty));
          } catch (err) {
            report.broadcastError = (err as Error).message;
          }
        }
        if (out.blockHeight !== undefined) {
          const tip = await this.o.chain.getTip();
          report.blocksLeft = out.blockHeight + w.params.challengePeriod - 1 - tip.height;
        }
      }
      reports.push(report);
    }
    return reports;
  }
}
