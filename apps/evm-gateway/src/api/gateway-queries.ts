// Read side of the REST API and rpc.evm.*: mints from the engine's store, withdrawals and the supply from the
// gateway's tables (Prisma) and the chain.
import { Inject, Injectable } from '@nestjs/common';
import {
  BRIDGE_ADDRESS, CHANNEL_BURNED_TOPIC, CHANNEL_CREDITED_TOPIC, CHANNEL_LEDGER_ADDRESS, channelLedgerSlot, decodeWithdrawalRequests, EvmEngine, finalAtHead,
  finalizedBlockNumber, fromHex, PostgresChainStore, WEI_PER_SAT, WITHDRAWAL_REQUESTED_TOPIC, toHex, toQuantity, type WithdrawalRequest,
} from '@tapbridge/evm';
import { withdrawalRequested } from '@tapbridge/messaging';
import { InjectConfig } from '@tapbridge/runtime/nest';
import { CHAIN_CHOICE } from '../chain/chain.module.js';
import type { ChainChoice } from '../chain/chain.js';
import type { EvmGatewayConfig } from '../config.js';
import { depositIdOf } from '../mint/deposit-minter.js';
import { PrismaService } from '../prisma.service.js';
import { withdrawalRequestedPayload } from '../withdrawals/withdrawal-finalizer.js';
import type { BridgeSupply, ChainView, MintView, SystemCallStatus, WithdrawalView } from './dto.js';

/** The amounts (data's second word, sats) of the channel ledger's logs with this topic. */
const TOPIC_SUM = (logs: { topic0: Uint8Array | null; data: Uint8Array }[], topic: string): bigint =>
  logs.filter((l) => l.topic0 !== null && toHex(l.topic0) === topic).reduce((sum, l) => sum + BigInt(toHex(l.data.subarray(32, 64))), 0n);

@Injectable()
export class GatewayQueries {
  private readonly finalityDepth: bigint;

  constructor(
    @Inject(EvmEngine) private readonly engine: EvmEngine,
    @Inject(PostgresChainStore) private readonly store: PostgresChainStore,
    @Inject(PrismaService) private readonly prisma: PrismaService,
    @Inject(CHAIN_CHOICE) private readonly chainChoice: ChainChoice,
    @InjectConfig() config: EvmGatewayConfig,
  ) {
    this.finalityDepth = BigInt(config.EVM_FINALITY_DEPTH);
  }

  chain(): ChainView {
    const { engine, finalityDepth } = this;
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
      genesis: this.chainChoice.kind,
    };
  }

  /** The mint of deposit `<txid>:<vout>`, with its place in the block's EIP-4895 withdrawal list. */
  async mint(txid: string, vout: number): Promise<MintView | undefined> {
    const depositId = depositIdOf({ txid, vout });
    const record = await this.engine.getMint(depositId);
    if (record === undefined) return undefined;
    const block = await this.engine.getBlockByNumber(record.blockNumber);
    const position = block?.withdrawals?.findIndex((w) => w.index === record.withdrawalIndex) ?? -1;
    // Unbacked now only while its reorg is not followed by a re-confirmation (the store clears the mark then).
    const reorg = (await this.store.listMintReorgs(depositId))[0];
    const history = await this.engine.getMintBackingHistory(depositId);
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
  async withdrawal(id: bigint): Promise<WithdrawalView | undefined> {
    const { engine, finalityDepth } = this;
    const row = await this.prisma.finalWithdrawal.findUnique({ where: { withdrawalId: id.toString() } });
    const head = engine.headNumber;
    if (row !== null) {
      const event = await this.prisma.outbox.findUnique({ where: { eventId: row.eventId }, select: { publishedAt: true } });
      const publishedAt = event?.publishedAt ?? null;
      return {
        withdrawalId: row.withdrawalId.toFixed(0),
        status: publishedAt === null ? 'final' : 'published',
        sender: toHex(row.sender),
        btcScriptPubKey: Buffer.from(row.btcScriptPubKey).toString('hex'),
        amountSats: row.amountSats.toString(),
        maxFeeSats: row.maxFeeSats.toString(),
        evmBlockNumber: Number(row.evmBlockNumber),
        evmBlockHash: toHex(row.evmBlockHash),
        evmTxHash: toHex(row.evmTxHash),
        logIndex: row.logIndex,
        confirmations: Number(head - row.evmBlockNumber + 1n),
        finalAtBlock: Number(finalAtHead(row.evmBlockNumber, finalityDepth)),
        eventId: row.eventId,
        finalizedAt: row.finalizedAt.toISOString(),
        publishedAt: publishedAt?.toISOString() ?? null,
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

  /**
   * The L2 supply of bridged BTC: every credited deposit minus every final burn, plus channel payments credited minus
   * channel returns burned (the channel ledger's logs, committed with their blocks).
   */
  async supply(): Promise<BridgeSupply> {
    // One snapshot (repeatable read), as the single statement this replaced: minted, burned and the channel ledger together.
    const [mints, burns, ledger] = await this.prisma.$transaction(
      [
        this.prisma.evmMint.aggregate({ _sum: { amountSats: true }, _count: true }),
        this.prisma.finalWithdrawal.aggregate({ _sum: { amountSats: true }, _count: true }),
        this.prisma.evmLog.findMany({
          where: { address: Buffer.from(fromHex(CHANNEL_LEDGER_ADDRESS, 20)), topic0: { in: [Buffer.from(fromHex(CHANNEL_CREDITED_TOPIC, 32)), Buffer.from(fromHex(CHANNEL_BURNED_TOPIC, 32))] } },
          select: { topic0: true, data: true },
        }),
      ],
      { isolationLevel: 'RepeatableRead' },
    );
    const minted = mints._sum.amountSats ?? 0n;
    const burned = burns._sum.amountSats ?? 0n;
    const credited = TOPIC_SUM(ledger, CHANNEL_CREDITED_TOPIC);
    const returned = TOPIC_SUM(ledger, CHANNEL_BURNED_TOPIC);
    return {
      mintedSats: minted.toString(), finalBurnedSats: burned.toString(), channelCreditedSats: credited.toString(), channelBurnedSats: returned.toString(),
      supplySats: (minted - burned + credited - returned).toString(), mints: mints._count, finalBurns: burns._count,
    };
  }

  /** Whether a channel ledger call settled: its guard slot in the ledger account's storage at the head (1 applied, 2 refused). */
  async systemCallStatus(id: string): Promise<SystemCallStatus> {
    const guard = BigInt(toHex(await this.engine.getStorageAt(CHANNEL_LEDGER_ADDRESS, channelLedgerSlot(id))));
    return { id, status: guard === 1n ? 'applied' : guard === 2n ? 'refused' : 'pending' };
  }

  /** A burn still waiting for finality: found by its indexed id topic in the bridge's logs. */
  private async requested(id: bigint, head: bigint): Promise<WithdrawalRequest | undefined> {
    const logs = await this.engine.getLogs({
      fromBlock: 0n,
      toBlock: head,
      addresses: [BRIDGE_ADDRESS.toLowerCase()],
      topics: [[WITHDRAWAL_REQUESTED_TOPIC], [`0x${id.toString(16).padStart(64, '0')}`]],
      limit: 1,
    });
    return decodeWithdrawalRequests(logs)[0];
  }
}
