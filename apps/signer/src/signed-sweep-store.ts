// The signer's record of approved sweeps in its own Postgres schema (signed_sweep). The sweep policy writes a sweep
// here before the signer returns a nonce for it, so a restart cannot forget what it may have helped sign.
import type { SignedSweep, SignedSweepStore } from '@tapbridge/signing';
import type { Prisma, PrismaClient, SignedSweep as SignedSweepRow } from './generated/prisma/client.js';

const fromRow = (r: SignedSweepRow): SignedSweep => ({
  txid: r.txid,
  spends: r.spends,
  inputs: r.inputs,
  withdrawalIds: r.withdrawalIds.map((id) => BigInt(id)),
  payoutSats: r.payoutSats,
  custodyValue: r.custodyValue,
  signedAt: r.signedAt,
});

// Withdrawal ids are uint256, beyond bigint columns: stored as decimal text.
const idTexts = (ids: readonly bigint[]) => ids.map(String);

export class PostgresSignedSweepStore implements SignedSweepStore {
  constructor(private readonly prisma: PrismaClient) {}

  async record(s: SignedSweep): Promise<void> {
    // The first record of a txid stands: a replayed approval changes nothing (ON CONFLICT DO NOTHING).
    await this.prisma.signedSweep.createMany({
      data: [{ txid: s.txid, spends: s.spends, inputs: [...s.inputs], withdrawalIds: idTexts(s.withdrawalIds), payoutSats: s.payoutSats, custodyValue: s.custodyValue, signedAt: s.signedAt }],
      skipDuplicates: true,
    });
  }

  async payingAny(ids: readonly bigint[]): Promise<SignedSweep[]> {
    if (ids.length === 0) return [];
    return this.#select({ withdrawalIds: { hasSome: idTexts(ids) } });
  }

  async spendingAny(outpoints: readonly string[]): Promise<SignedSweep[]> {
    if (outpoints.length === 0) return [];
    return this.#select({ inputs: { hasSome: [...outpoints] } });
  }

  async family(spends: string): Promise<SignedSweep[]> {
    return this.#select({ spends });
  }

  async signedSince(since: Date): Promise<SignedSweep[]> {
    return this.#select({ signedAt: { gte: since } });
  }

  async #select(where: Prisma.SignedSweepWhereInput): Promise<SignedSweep[]> {
    const rows = await this.prisma.signedSweep.findMany({ where, orderBy: [{ signedAt: 'asc' }, { txid: 'asc' }] });
    return rows.map(fromRow);
  }
}
