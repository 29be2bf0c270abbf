// Read side of the REST API: mints from the engine's store, withdrawals from the gateway's tables and the chain.
import {
  BRIDGE_ADDRESS, decodeWithdrawalRequests, finalAtHead, finalizedBlockNumber, WEI_PER_SAT, WITHDRAWAL_REQUESTED_TOPIC, toHex, toQuantity,
  type EvmEngine, type PostgresChainStore, type WithdrawalRequest,
} from '@tapbridge/evm';
import { qualified, withdrawalRequested } from '@tapbridge/messaging';
import type { Pool } from 'pg';
import type { ChainDto, MintDto, WithdrawalDto } from './dto.js';
import { withdrawalRequestedPayload } from './withdrawal-finalizer.js';

export interface GatewayQueriesOptions {
  engine: EvmEngine;
  store: PostgresChainStore;
  pool: Pick<Pool, 'query'>;
  schema: string;
  finalityDepth: bigint;
  genesis: 'devnet' | 'genesis-file';
}

interface FinalRow {
  withdrawal_id: string;
  sender: Buffer;
  btc_script_pubkey: Buffer;
  amount_sats: string;
  max_fee_sats: string;
  evm_block_number: string;
  evm_block_hash: Buffer;
  evm_tx_hash: Buffer;
  log_index: number;
  event_id: string;
  finalized_at: Date;
  published_at: Date | null;
}

export class GatewayQueries {
  constructor(private readonly o: GatewayQueriesOptions) {}

  chain(): ChainDto {
    const { engine, finalityDepth } = this.o;
    const height = engine.headNumber;
    return {
      chainId: Number(engine.chainId),
      chainIdHex: toQuantity(engine.chainId),
      height: Number(height),
      headHash: toHex(engine.head.hash()),
      finalizedHeight: Number(finalizedBlockNumber(height, finalityDepth)),
      finalityDepth: Number(finalityDepth),
      bridgeAddress: BRIDGE_ADDRESS,
      blockTimeMs: engine.config.blockTimeMs,
      mempoolSize: engine.mempoolSize,
      genesis: this.o.genesis,
    };
  }

  /** The mint of deposit `<txid>:<vout>`, with its place in the block's EIP-4895 withdrawal list. */
  async mint(txid: string, vout: number): Promise<MintDto | undefined> {
    const depositId = `${txid}:${vout}`;
    const record = await this.o.engine.getMint(depositId);
    if (record === undefined) return undefined;
    const block = await this.o.engine.getBlockByNumber(record.blockNumber);
    const position = block?.withdrawals?.findIndex((w) => w.index === record.withdrawalIndex) ?? -1;
    // Unbacked now only while its reorg is not followed by a re-confirmation (the store clears the mark then).
    const reorg = (await this.o.store.listMintReorgs(depositId))[0];
    const history = await this.o.engine.getMintBackingHistory(depositId);
    return {
      depositId,
      txid,
      vout,
      recipient: record.recipient,
      amountSats: record.amountSats.toString(),
      amountWei: (record.amountSats * WEI_PER_SAT).toString(),
      blockNumber: Number(record.blockNumber),
      blockHash: record.blockHash,
      withdrawalIndex: record.withdrawalIndex.toString(),
      withdrawalPosition: position,
      reorged: reorg === undefined ? null : { reason: reorg.reason, recordedAt: reorg.recordedAt.toISOString() },
      backing: reorg === undefined ? 'backed' : 'reorged',
      backingHistory: history.map((h) => ({ status: h.status, btcBlockHash: h.btcBlockHash ?? null, detail: h.detail, recordedAt: h.recordedAt.toISOString() })),
    };
  }

  /**
   * A burn by its bridge id: `published` once the relay handed withdrawal.requested to JetStream, `final` once it
   * is EVM_FINALITY_DEPTH blocks deep and in the outbox, `requested` while it is in a block but not yet final.
   */
  async withdrawal(id: bigint): Promise<WithdrawalDto | undefined> {
    const { pool, schema, engine, finalityDepth } = this.o;
    const { rows } = await pool.query<FinalRow>(
      `SELECT w.*, o.published_at FROM ${qualified(schema, 'final_withdrawal')} w
         LEFT JOIN ${qualified(schema, 'outbox')} o ON o.event_id = w.event_id
        WHERE w.withdrawal_id = $1`,
      [id.toString()],
    );
    const head = engine.headNumber;
    const row = rows[0];
    if (row !== undefined) {
      const blockNumber = BigInt(row.evm_block_number);
      return {
        withdrawalId: row.withdrawal_id,
        status: row.published_at === null ? 'final' : 'published',
        sender: toHex(row.sender),
        btcScriptPubKey: row.btc_script_pubkey.toString('hex'),
        amountSats: row.amount_sats,
        maxFeeSats: row.max_fee_sats,
        evmBlockNumber: Number(blockNumber),
        evmBlockHash: toHex(row.evm_block_hash),
        evmTxHash: toHex(row.evm_tx_hash),
        logIndex: row.log_index,
        confirmations: Number(head - blockNumber + 1n),
        finalAtBlock: Number(finalAtHead(blockNumber, finalityDepth)),
        eventId: row.event_id,
        finalizedAt: row.finalized_at.toISOString(),
        publishedAt: row.published_at?.toISOString() ?? null,
      };
    }
    const request = await this.requested(id, head);
    if (request === undefined) return undefined;
    return {
      withdrawalId: request.id.toString(),
      status: 'requested',
      sender: request.sender,
      btcScriptPubKey: request.btcScriptPubKey,
      amountSats: request.amountSats.toString(),
      maxFeeSats: request.maxFeeSats.toString(),
      evmBlockNumber: Number(request.blockNumber),
      evmBlockHash: request.blockHash,
      evmTxHash: request.transactionHash,
      logIndex: request.logIndex,
      confirmations: Number(head - request.blockNumber + 1n),
      finalAtBlock: Number(finalAtHead(request.blockNumber, finalityDepth)),
      eventId: withdrawalRequested.id(withdrawalRequestedPayload(request)),
      finalizedAt: null,
      publishedAt: null,
    };
  }

  /** A burn still waiting for finality: found by its indexed id topic in the bridge's logs. */
  private async requested(id: bigint, head: bigint): Promise<WithdrawalRequest | undefined> {
    const logs = await this.o.engine.getLogs({
      fromBlock: 0n,
      toBlock: head,
      addresses: [BRIDGE_ADDRESS.toLowerCase()],
      topics: [[WITHDRAWAL_REQUESTED_TOPIC], [`0x${id.toString(16).padStart(64, '0')}`]],
      limit: 1,
    });
    return decodeWithdrawalRequests(logs)[0];
  }
}
