import { MintError, type EvmEngine, type MintRecord } from '@tapbridge/evm';
import {
  claimEvent, depositConfirmed, depositReorged, NonRetryableError, qualified,
  type DecodedEvent, type EventPayload, type SqlExecutor,
} from '@tapbridge/messaging';
import type { Logger } from '@tapbridge/observability';
import type { Pool } from 'pg';
import { verifyDeposit, type HeaderChain } from './deposit-proof.js';
import { mintProofRejectionsTotal, mintReconfirmationsTotal, mintRefusalsTotal, mintReorgsTotal, unbackedMints } from './metrics.js';

/** Durable consumer name on `deposit.>`; also the inbox key of what it applied. */
export const MINT_CONSUMER = 'evm-gateway-mint';

type DepositConfirmed = EventPayload<typeof depositConfirmed>;
type DepositReorged = EventPayload<typeof depositReorged>;

/** The deposit's id on L2: `<txid>:<vout>`, the same whichever Bitcoin block confirmed it. */
export function depositIdOf(p: { txid: string; vout: number }): string {
  return `${p.txid}:${p.vout}`;
}

export interface DepositMinterOptions {
  engine: EvmEngine;
  schema: string;
  /** For reads outside any transaction. */
  pool: Pick<Pool, 'query'>;
  /** A Postgres transaction in the service's schema (the runtime's). */
  transaction: <T>(fn: (tx: SqlExecutor) => Promise<T>) => Promise<T>;
  logger: Logger;
  /** The header chain every deposit.confirmed is checked against (the header-watcher over NATS). */
  headers: HeaderChain;
  /** Confirmations the deposit's block must have on the header chain (DEPOSIT_CONFIRMATIONS of the indexer). */
  minConfirmations: number;
  /** Mint an event without a raw transaction on its proof alone (EVM_ACCEPT_UNPROVEN_DEPOSITS); default false. */
  acceptUnprovenDeposits?: boolean;
}

/** A deposit event that is not true (proof, block or chain do not agree): dead-lettered with this reason, nothing minted. */
export class ForgedDepositError extends NonRetryableError {}

export type MintResult =
  | { outcome: 'minted' | 'already-minted' | 'reconfirmed'; record: MintRecord }
  | { outcome: 'duplicate-delivery' }
  | { outcome: 'refused'; reason: string };
export type ReorgResult = 'recorded' | 'cancelled-pending' | 'unknown' | 'duplicate-delivery' | 'stale';

/**
 * Applies deposit events to the L2: deposit.confirmed credits the recipient in the next block, deposit.reorged of a
 * minted deposit is recorded and raised as an alert.
 *
 * Exactly once per deposit id, argued from what is durable:
 * - The credit and its mint record (`evm_mint`, primary key = deposit id) are written in the block's own commit
 *   transaction by the engine's store: a block that credits a deposit cannot exist without its record and vice versa,
 *   and a second record for the same id fails the whole block commit.
 * - Before queueing, the engine looks the id up in that table (and in its pending queue), and the sequencer looks
 *   again when it assembles the block. So any number of deliveries, under any event id (a re-confirmation in another
 *   Bitcoin block has a new event id but the same deposit id), yields at most one credit.
 * - The message is acked only after the block holding the credit is committed (or was already). A crash before that
 *   loses only the in-memory queue entry; JetStream redelivers and it is queued again. So none is lost.
 * - The inbox row (consumer, event id) is then written as the record of the delivery; a redelivery that finds it is
 *   acked at once. It is a shortcut, not the guarantee: a crash between the block commit and the inbox write is
 *   covered by the mint record above.
 *
 * Nothing is believed on the event's word: before anything is minted (or a reorged mint is marked backed again) its
 * merkle proof must commit to the txid under a header the header-watcher holds on its best chain, at the stated
 * height, with `minConfirmations` (deposit-proof.ts). A false event is dead-lettered with the reason and counted
 * (tapbridge_evm_mint_proof_rejections_total); a watcher that is behind or unreachable means retry later.
 * The proof proves that the transaction is in the block, not what it pays: so the event's raw transaction must hash to
 * the txid and its output must pay the amount to the recipient's deposit script (or carry its OP_RETURN); an event
 * without a raw transaction is refused unless EVM_ACCEPT_UNPROVEN_DEPOSITS (deposit-proof.ts, checkDepositPayment).
 *
 * A minted deposit whose block is reorged away is marked unbacked (tapbridge_evm_unbacked_mints, the alert); its
 * deposit.confirmed in another block (or in the same block again, see packages/deposits' confirmation counter)
 * marks it backed again, with the history kept (evm_mint_backing).
 */
export class DepositMinter {
  constructor(private readonly o: DepositMinterOptions) {}

  /** The durable consumer's handler: other deposit.* events (reclaimed, swept) are not the gateway's business. */
  async handle(event: DecodedEvent): Promise<void> {
    if (event.subject === depositConfirmed.subject) await this.mint(event.id, event.payload as DepositConfirmed);
    else if (event.subject === depositReorged.subject) await this.reorg(event.id, event.payload as DepositReorged);
  }

  async mint(eventId: string, deposit: DepositConfirmed): Promise<MintResult> {
    const { engine, logger } = this.o;
    if (await this.seen(eventId)) return { outcome: 'duplicate-delivery' };
    const depositId = depositIdOf(deposit);
    const check = await verifyDeposit(deposit, this.o.headers, this.o.minConfirmations, { acceptUnproven: this.o.acceptUnprovenDeposits ?? false });
    if (check.verdict === 'not-yet') throw new Error(`deposit ${depositId}: cannot check its proof yet: ${check.reason}`);
    if (check.verdict === 'forged') {
      mintProofRejectionsTotal.inc();
      logger.error({ alert: 'deposit_proof_rejected', depositId, eventId, blockHash: deposit.blockHash, blockHeight: deposit.blockHeight, reason: check.reason }, 'ALERT: deposit.confirmed failed its proof check; nothing minted');
      throw new ForgedDepositError(`deposit.confirmed ${eventId} refused, nothing minted: ${check.reason}`);
    }
    let record: MintRecord;
    let outcome: 'minted' | 'already-minted' | 'reconfirmed';
    try {
      const queued = await engine.queueMint({ depositId, recipient: deposit.recipient, amountSats: BigInt(deposit.amountSats) });
      if (queued.status === 'already-minted') {
        record = queued.record;
        // Confirmed again (another block, or the same one after a reorg and back): backed again if it was reorged.
        const detail = `confirmed in Bitcoin block ${deposit.blockHash} (height ${deposit.blockHeight}, event ${eventId})`;
        outcome = (await engine.recordMintReconfirmation(depositId, deposit.blockHash, detail)) === 'reconfirmed' ? 'reconfirmed' : 'already-minted';
      } else {
        record = await queued.committed;
        outcome = 'minted';
      }
    } catch (err) {
      if (!(err instanceof MintError)) throw err;
      // The same deposit id with another amount or recipient, or an amount no L2 can hold: an upstream bug that no
      // retry fixes. Raised as an alert and acknowledged, so the strictly ordered consumer is not held up. (Not
      // dead-lettered: nats-server 2.9 ignores a TERM that carries a reason, so the message would come back.)
      mintRefusalsTotal.inc();
      logger.error({ alert: 'deposit_not_mintable', depositId, eventId, deposit, reason: err.message }, 'ALERT: deposit.confirmed refused; nothing minted');
      await this.o.transaction((tx) => claimEvent(tx, this.o.schema, MINT_CONSUMER, eventId));
      return { outcome: 'refused', reason: err.message };
    }
    await this.o.transaction((tx) => claimEvent(tx, this.o.schema, MINT_CONSUMER, eventId));
    if (outcome === 'reconfirmed') {
      mintReconfirmationsTotal.inc();
      await this.refreshUnbacked();
      logger.warn({ depositId, btcBlockHash: deposit.blockHash, btcBlockHeight: deposit.blockHeight }, 'reorged deposit confirmed again: its L2 BTC is backed again');
    } else if (outcome === 'minted') {
      logger.info({ depositId, recipient: record.recipient, amountSats: record.amountSats.toString(), block: record.blockNumber.toString(), withdrawalIndex: record.withdrawalIndex.toString() }, 'deposit minted');
    } else {
      logger.info({ depositId, eventId, block: record.blockNumber.toString() }, 'deposit already minted; delivery acknowledged');
    }
    return { outcome, record };
  }

  /**
   * A deposit's Bitcoin block left the best chain. Minted BTC cannot be taken back on L2, so a minted deposit is
   * recorded (evm_mint_reorg), counted and logged at error level for operators. The inbox claim and the count share
   * one transaction; the engine's record is idempotent, so a crash in between repeats nothing that matters.
   */
  async reorg(eventId: string, deposit: DepositReorged): Promise<ReorgResult> {
    const { engine, logger, schema } = this.o;
    const depositId = depositIdOf(deposit);
    // A reorg claim is checked too: only a block the header chain holds off its best chain was reorged out.
    let header;
    try {
      header = await this.o.headers.byHash(deposit.blockHash);
    } catch (err) {
      throw new Error(`deposit ${depositId}: cannot check the reorg with the header-watcher: ${(err as Error).message}`, { cause: err });
    }
    // The indexer follows the watcher's headers, so a block it reorged out is one the watcher holds off its best chain.
    if (header === undefined || header.inBest) {
      mintProofRejectionsTotal.inc();
      const why = header === undefined ? 'is unknown to the header chain' : `is on the best chain at height ${header.height}`;
      logger.error({ alert: 'deposit_proof_rejected', depositId, eventId, blockHash: deposit.blockHash, reason: `block ${why}` }, 'ALERT: deposit.reorged contradicts the header chain; ignored');
      throw new ForgedDepositError(`deposit.reorged ${eventId} refused: block ${deposit.blockHash} ${why}`);
    }
    // A reorg of a block that no longer backs the mint (it re-confirmed elsewhere since) changes nothing.
    const last = (await engine.getMintBackingHistory(depositId)).at(-1);
    if (last?.status === 'reconfirmed' && last.btcBlockHash !== deposit.blockHash) {
      await this.o.transaction((tx) => claimEvent(tx, schema, MINT_CONSUMER, eventId));
      logger.info({ depositId, btcBlockHash: deposit.blockHash, backedBy: last.btcBlockHash }, 'deposit.reorged of a block that no longer backs the mint; nothing to do');
      return 'stale';
    }
    const result = await this.o.transaction(async (tx) => {
      if (!(await claimEvent(tx, schema, MINT_CONSUMER, eventId))) return 'duplicate-delivery' as const;
      const result = await engine.recordMintReorg(depositId, `Bitcoin block ${deposit.blockHash} (height ${deposit.blockHeight}) left the best chain`, deposit.blockHash);
      if (result === 'recorded') {
        mintReorgsTotal.inc();
        const mint = await engine.getMint(depositId);
        logger.error(
          {
            alert: 'minted_deposit_reorged', depositId, btcBlockHash: deposit.blockHash, btcBlockHeight: deposit.blockHeight,
            amountSats: deposit.amountSats, recipient: deposit.recipient, evmBlock: mint?.blockNumber.toString(),
          },
          'ALERT: a minted deposit was reorged out of Bitcoin; its L2 BTC is no longer backed',
        );
      } else {
        logger.warn({ depositId, result }, 'deposit reorged out before it was minted');
      }
      return result;
    });
    if (result === 'recorded') await this.refreshUnbacked();
    return result;
  }

  /** Sets the gauge the "no longer backed" alert reads: minted deposits that are reorged and not confirmed again. */
  async refreshUnbacked(): Promise<number> {
    const n = (await this.o.engine.getMintReorgs()).length;
    unbackedMints.set(n);
    return n;
  }

  private async seen(eventId: string): Promise<boolean> {
    // A plain read: the claim itself happens after the credit (see the class comment).
    const { rows } = await this.o.pool.query(`SELECT 1 FROM ${qualified(this.o.schema, 'inbox')} WHERE consumer = $1 AND event_id = $2`, [MINT_CONSUMER, eventId]);
    return rows.length > 0;
  }
}
