// Read side of the API: straight from the header table through Prisma (the store is the truth, memory is a cache
// of it).
import { Inject, Injectable } from '@nestjs/common';
import { decodeHeader, hashToHex } from '@tapbridge/bitcoin';
import type { Prisma, PrismaClient } from './generated/prisma/client.js';
import type { ForkTip, HeaderView } from './header-dto.js';
import { PrismaService } from './prisma.service.js';

const COLUMNS = { hash: true, height: true, raw: true, chainwork: true, inBest: true } as const;
type HeaderRow = Prisma.HeaderGetPayload<{ select: typeof COLUMNS }>;

@Injectable()
export class HeaderQueries {
  constructor(@Inject(PrismaService) private readonly prisma: PrismaClient) {}

  private async tipHeight(): Promise<number> {
    const tip = await this.prisma.header.findFirst({ where: { inBest: true }, orderBy: { height: 'desc' }, select: { height: true } });
    return tip?.height ?? -1;
  }

  private toView(row: HeaderRow, tipHeight: number): HeaderView {
    const raw = new Uint8Array(row.raw);
    const h = decodeHeader(raw);
    return {
      height: row.height,
      hash: row.hash,
      prevHash: hashToHex(h.prevHash),
      merkleRoot: hashToHex(h.merkleRoot),
      version: h.version,
      time: h.time,
      bits: (h.bits >>> 0).toString(16).padStart(8, '0'),
      nonce: h.nonce,
      chainwork: row.chainwork,
      header: Buffer.from(raw).toString('hex'),
      inBest: row.inBest,
      confirmations: row.inBest ? tipHeight - row.height + 1 : 0,
    };
  }

  async tip(): Promise<HeaderView | undefined> {
    const row = await this.prisma.header.findFirst({ where: { inBest: true }, orderBy: { height: 'desc' }, select: COLUMNS });
    return row ? this.toView(row, row.height) : undefined;
  }

  async byHeight(height: number): Promise<HeaderView | undefined> {
    // Unique by the partial index header_best_height (not expressible in schema.prisma), hence findFirst.
    const row = await this.prisma.header.findFirst({ where: { inBest: true, height }, select: COLUMNS });
    return row ? this.toView(row, await this.tipHeight()) : undefined;
  }

  async byHash(hash: string): Promise<HeaderView | undefined> {
    const row = await this.prisma.header.findUnique({ where: { hash: hash.toLowerCase() }, select: COLUMNS });
    return row ? this.toView(row, await this.tipHeight()) : undefined;
  }

  async range(from: number, to: number): Promise<HeaderView[]> {
    const [rows, tip] = await Promise.all([
      this.prisma.header.findMany({ where: { inBest: true, height: { gte: from, lte: to } }, orderBy: { height: 'asc' }, select: COLUMNS }),
      this.tipHeight(),
    ]);
    return rows.map((row) => this.toView(row, tip));
  }

  /** Tips of stored branches off the best chain (the most recent `limit`), with where each leaves the best chain. */
  async forkTips(limit = 50): Promise<ForkTip[]> {
    // Raw SQL: a recursive walk from each tip down to the best chain, which Prisma's query API cannot express.
    const rows = await this.prisma.$queryRaw<Array<{ hash: string; height: number; chainwork: string; fork_height: number | null }>>`
      WITH RECURSIVE tips AS (
        SELECT h.hash, h.height, h.chainwork FROM header_watcher.header h
        WHERE NOT h.in_best AND NOT EXISTS (SELECT 1 FROM header_watcher.header c WHERE NOT c.in_best AND c.prev_hash = h.hash)
        ORDER BY h.height DESC LIMIT ${limit}
      ), walk AS (
        SELECT t.hash AS tip, h.prev_hash, h.height, h.in_best FROM tips t JOIN header_watcher.header h ON h.hash = t.hash
        UNION ALL
        SELECT w.tip, p.prev_hash, p.height, p.in_best FROM walk w JOIN header_watcher.header p ON p.hash = w.prev_hash WHERE NOT w.in_best
      )
      SELECT t.hash, t.height, t.chainwork, (SELECT max(w.height) FROM walk w WHERE w.tip = t.hash AND w.in_best) AS fork_height
      FROM tips t ORDER BY t.height DESC, t.hash`;
    return rows.map((row) => {
      const forkHeight = row.fork_height ?? row.height - 1;
      return { height: row.height, hash: row.hash, chainwork: row.chainwork, forkHeight, branchLength: row.height - forkHeight };
    });
  }
}
