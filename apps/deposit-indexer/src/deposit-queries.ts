// Read side of the REST and RPC APIs, through Prisma over the service's own schema.
import { Inject, Injectable, Optional } from '@nestjs/common';
import type { DepositStatus } from '@tapbridge/deposits';
import { pageOf } from '@tapbridge/runtime/nest';
import type { DepositCursor, DepositPage, DepositView, DepositWithHistory, CustodyUtxos } from './deposit-dto.js';
import { Prisma, type Deposit, type PrismaClient } from './generated/prisma/client.js';
import { PrismaService } from './prisma.service.js';
import { CapacityStatus } from './capacity-status.js';

type OutputSighting = { blockHash: string; blockHeight: number; merkleProof: string | null };

/** A page row: the deposit, its best-chain output sighting (if any) and its created_at to the microsecond. */
interface PageRow {
  txid: string;
  vout: number;
  kind: string;
  status: string;
  amount_sats: bigint;
  recipient: string;
  max_fee_sats: bigint;
  script_pub_key: string;
  deposit_script: string | null;
  reclaim_script: string | null;
  lock_blocks: number | null;
  created_at: Date;
  updated_at: Date;
  block_hash: string | null;
  block_height: number | null;
  merkle_proof: string | null;
  cursor_at: string;
}

function view(d: Deposit, sighting: OutputSighting | undefined, tipHeight: number | undefined): DepositView {
  return {
    txid: d.txid,
    vout: d.vout,
    kind: d.kind as DepositView['kind'],
    status: d.status as DepositStatus,
    amountSats: d.amountSats.toString(),
    recipient: d.recipient,
    maxFeeSats: d.maxFeeSats.toString(),
    scriptPubKey: d.scriptPubKey,
    ...(d.depositScript !== null ? { depositScript: d.depositScript, reclaimScript: d.reclaimScript!, lockBlocks: d.lockBlocks! } : {}),
    ...(sighting ? { blockHash: sighting.blockHash, blockHeight: sighting.blockHeight, merkleProof: sighting.merkleProof! } : {}),
    confirmations: sighting && tipHeight !== undefined ? tipHeight - sighting.blockHeight + 1 : 0,
    registeredAt: d.createdAt.toISOString(),
    updatedAt: d.updatedAt.toISOString(),
  };
}

@Injectable()
export class DepositQueries {
  constructor(
    @Inject(PrismaService) private readonly prisma: PrismaClient,
    /** Marks deposits the L2 holds for capacity (held_capacity); absent, the indexer's own status is shown. */
    @Optional() @Inject(CapacityStatus) private readonly capacity: CapacityStatus | null = null,
  ) {}

  async one(txid: string, vout: number): Promise<DepositWithHistory | undefined> {
    const d = await this.prisma.deposit.findUnique({
      where: { txid_vout: { txid, vout } },
      include: {
        sightings: { where: { kind: 'output' }, select: { blockHash: true, blockHeight: true, merkleProof: true }, take: 1 },
        history: { orderBy: { seq: 'asc' } },
      },
    });
    if (!d) return undefined;
    // The tip after the rows: never below the block of a sighting just read.
    const tip = await this.tipHeight();
    const [shown] = this.capacity ? await this.capacity.mark([view(d, d.sightings[0], tip)]) : [view(d, d.sightings[0], tip)];
    return {
      ...shown!,
      history: d.history.map((e) => ({
        status: e.status as DepositStatus,
        ...(e.blockHash !== null ? { blockHash: e.blockHash, blockHeight: e.blockHeight! } : {}),
        detail: e.detail,
        at: e.at.toISOString(),
      })),
    };
  }

  /** A page of deposits, newest first; `cursor` is the last item's `registeredAt|txid|vout` from the previous page. */
  async list(filter: { recipient?: string; scriptPubKey?: string; status?: DepositStatus; limit: number; cursor?: DepositCursor }): Promise<DepositPage> {
    const where: Prisma.Sql[] = [];
    if (filter.recipient) where.push(Prisma.sql`d.recipient = ${filter.recipient.toLowerCase()}`);
    if (filter.scriptPubKey) where.push(Prisma.sql`d.script_pub_key = ${filter.scriptPubKey}`);
    if (filter.status) where.push(Prisma.sql`d.status = ${filter.status}`);
    if (filter.cursor) where.push(Prisma.sql`(d.created_at, d.txid, d.vout) < (${filter.cursor.at}::timestamptz, ${filter.cursor.txid}, ${filter.cursor.vout})`);
    // Raw SQL: the keyset cursor needs created_at to the microsecond, and Prisma reads timestamps as JS Dates (ms),
    // which would drop rows between pages.
    const rows = await this.prisma.$queryRaw<PageRow[]>`
      SELECT d.*, s.block_hash, s.block_height, s.merkle_proof,
             to_char(d.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_at
      FROM deposit_indexer.deposit d
      LEFT JOIN deposit_indexer.sighting s ON s.txid = d.txid AND s.vout = d.vout AND s.kind = 'output'
      ${where.length ? Prisma.sql`WHERE ${Prisma.join(where, ' AND ')}` : Prisma.empty}
      ORDER BY d.created_at DESC, d.txid DESC, d.vout DESC LIMIT ${filter.limit + 1}`;
    const tip = rows.length > 0 ? await this.tipHeight() : undefined;
    const page = pageOf(
      rows,
      filter.limit,
      (r) =>
        view(
          {
            txid: r.txid, vout: r.vout, kind: r.kind, status: r.status, amountSats: r.amount_sats, recipient: r.recipient, maxFeeSats: r.max_fee_sats,
            scriptPubKey: r.script_pub_key, depositScript: r.deposit_script, reclaimScript: r.reclaim_script, lockBlocks: r.lock_blocks,
            createdAt: r.created_at, updatedAt: r.updated_at,
          },
          r.block_hash !== null ? { blockHash: r.block_hash, blockHeight: r.block_height!, merkleProof: r.merkle_proof } : undefined,
          tip,
        ),
      (last) => `${last.cursor_at}|${last.txid}|${last.vout}`,
    );
    return this.capacity ? { ...page, items: await this.capacity.mark(page.items) } : page;
  }

  async custodyUtxos(): Promise<CustodyUtxos> {
    const utxos = await this.prisma.custodyUtxo.findMany({ where: { spentBlockHash: null }, orderBy: [{ blockHeight: 'asc' }, { txid: 'asc' }, { vout: 'asc' }] });
    const tip = await this.tipHeight();
    return {
      ...(tip !== undefined ? { tipHeight: tip } : {}),
      totalSats: utxos.reduce((sum, u) => sum + u.amountSats, 0n).toString(),
      utxos: utxos.map((u) => ({
        txid: u.txid, vout: u.vout, amountSats: u.amountSats.toString(), blockHash: u.blockHash, blockHeight: u.blockHeight,
        confirmations: tip! - u.blockHeight + 1,
      })),
    };
  }

  async tipHeight(): Promise<number | undefined> {
    const r = await this.prisma.chainBlock.aggregate({ _max: { height: true } });
    return r._max.height ?? undefined;
  }

  async tipHash(): Promise<string | undefined> {
    const tip = await this.prisma.chainBlock.findFirst({ orderBy: { height: 'desc' }, select: { hash: true } });
    return tip?.hash;
  }

  async exists(txid: string, vout: number): Promise<boolean> {
    return (await this.prisma.deposit.count({ where: { txid, vout } })) > 0;
  }
}
