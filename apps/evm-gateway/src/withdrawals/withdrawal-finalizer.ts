import { finalizedBlockNumber, type EvmEngine, type WithdrawalRequest } from '@tapbridge/evm';
import { enqueueEvent, qualified, withdrawalRequested, type EventPayload } from '@tapbridge/messaging';
import type { Logger } from '@tapbridge/observability';
import type { PoolClient } from 'pg';
import { burnsTotal } from '../metrics.js';

export interface WithdrawalFinalizerOptions {
  engine: EvmEngine;
  schema: string;
  /** A Postgres transaction in the service's schema that wakes the outbox relay on commit (the runtime's). */
  transaction: <T>(fn: (tx: PoolClient) => Promise<T>) => Promise<T>;
  logger: Logger;
  /** Blocks a burn must be buried under: block n is final once the head is n + depth. */
  finalityDepth: bigint;
  /** Widest block range read in one transaction, so catching up after downtime stays in small steps. */
  maxBlocksPerPass?: bigint;
}

/** The withdrawal.requested payload of a burn (amounts as decimal strings, the catalog's wire form). */
export function withdrawalRequestedPayload(r: WithdrawalRequest): EventPayload<typeof withdrawalRequested> {
  return {
    withdrawalId: r.id.toString(),
    sender: r.sender.toLowerCase(),
    btcScriptPubKey: r.btcScriptPubKey,
    amountSats: r.amountSats.toString(),
    maxFeeSats: r.maxFeeSats.toString(),
    evmBlockNumber: Number(r.blockNumber),
    evmBlockHash: r.blockHash,
    evmTxHash: r.transactionHash,
  };
}

/**
 * Turns final burns into withdrawal.requested events. A cursor row (`withdrawal_scan.next_block`) says which EVM
 * block to read next; each pass locks it, reads the bridge's WithdrawalRequested logs from there up to the final
 * block, writes one `final_withdrawal` row and one outbox event per burn, and moves the cursor, all in one
 * transaction. So a burn becomes exactly one event whatever crashes happen: before the commit nothing happened,
 * after it the cursor is past the block; the event id (`withdrawal.requested:<id>`) and both unique keys make even
 * a replayed range harmless. The relay then publishes with Nats-Msg-Id = that id.
 */
export class WithdrawalFinalizer {
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = true;
  private readonly onBlock = () => this.trigger();

  constructor(private readonly o: WithdrawalFinalizerOptions) {
    if (typeof o.finalityDepth !== 'bigint' || o.finalityDepth < 0n) throw new RangeError(`finalityDepth must be a non-negative bigint, got ${String(o.finalityDepth)}`);
    if (o.maxBlocksPerPass !== undefined && o.maxBlocksPerPass < 1n) throw new RangeError('maxBlocksPerPass must be at least 1');
  }

  /** Runs a pass now and after every committed block. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.o.engine.on('block', this.onBlock);
    this.trigger();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.o.engine.off('block', this.onBlock);
    await this.running;
  }

  /** Single flight: blocks that arrive during a pass are picked up by one more pass right after it. */
  private trigger(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      do {
        this.again = false;
        try {
          await this.finalizeAll();
        } catch (err) {
          // The next block retries; nothing was half-written (one transaction per step).
          this.o.logger.warn({ err }, 'withdrawal finalization pass failed; retrying on the next block');
        }
      } while (this.again && !this.stopped);
    })().finally(() => (this.running = undefined));
  }

  /** Publishes every burn that is final now; returns how many. */
  async finalizeAll(): Promise<number> {
    let total = 0;
    for (;;) {
      const step = await this.finalizeStep();
      total += step.published;
      if (!step.more) return total;
    }
  }

  /** One transaction: the burns of final blocks from the cursor on (at most maxBlocksPerPass blocks). */
  async finalizeStep(): Promise<{ published: number; more: boolean }> {
    const { engine, schema, finalityDepth, logger } = this.o;
    // The one finality rule (packages/evm finality.ts), as JSON-RPC's "finalized" and engine.finalizedWithdrawals.
    const finalBlock = finalizedBlockNumber(engine.headNumber, finalityDepth);
    // Raw SQL on purpose: the cursor row is locked FOR UPDATE for the whole step, and the burns go in with
    // ON CONFLICT DO NOTHING next to their outbox events, in one transaction that also wakes the relay.
    const step = await this.o.transaction(async (tx) => {
      const cursor = await tx.query<{ next_block: string }>(`SELECT next_block FROM ${qualified(schema, 'withdrawal_scan')} WHERE id = 1 FOR UPDATE`);
      const row = cursor.rows[0];
      if (row === undefined) throw new Error(`${schema}.withdrawal_scan has no cursor row; was the migration applied?`);
      const from = BigInt(row.next_block);
      if (from > finalBlock) return { requests: [] as WithdrawalRequest[], to: from - 1n, more: false };
      const widest = this.o.maxBlocksPerPass ?? 1_000n;
      const to = finalBlock - from + 1n > widest ? from + widest - 1n : finalBlock;
      const requests = await engine.withdrawalRequests(from, to);
      for (const r of requests) {
        const payload = withdrawalRequestedPayload(r);
        await tx.query(
          `INSERT INTO ${qualified(schema, 'final_withdrawal')}
             (withdrawal_id, sender, btc_script_pubkey, amount_sats, max_fee_sats, evm_block_number, evm_block_hash, evm_tx_hash, log_index, event_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (withdrawal_id) DO NOTHING`,
          [
            payload.withdrawalId, hexBuffer(r.sender), Buffer.from(r.btcScriptPubKey, 'hex'), payload.amountSats, payload.maxFeeSats,
            r.blockNumber.toString(), hexBuffer(r.blockHash), hexBuffer(r.transactionHash), r.logIndex, withdrawalRequested.id(payload),
          ],
        );
        await enqueueEvent(tx, schema, withdrawalRequested, payload);
      }
      await tx.query(`UPDATE ${qualified(schema, 'withdrawal_scan')} SET next_block = $1, updated_at = now() WHERE id = 1`, [(to + 1n).toString()]);
      return { requests, to, more: to < finalBlock };
    });
    for (const r of step.requests) {
      logger.info(
        { withdrawalId: r.id.toString(), amountSats: r.amountSats.toString(), evmBlock: r.blockNumber.toString(), evmTx: r.transactionHash },
        'withdrawal final; withdrawal.requested queued',
      );
    }
    if (step.requests.length > 0) burnsTotal.inc(step.requests.length);
    return { published: step.requests.length, more: step.more };
  }
}

function hexBuffer(hex: string): Buffer {
  return Buffer.from(hex.startsWith('0x') ? hex.slice(2) : hex, 'hex');
}
