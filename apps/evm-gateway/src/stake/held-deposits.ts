// The held_capacity line in the gateway's database (packages/evm CapacityGate's HeldDepositStore), and what the
// bridge owes as the gate counts it.
import type { HeldDeposit, HeldDepositStore, StakeCapacityView } from '@tapbridge/evm';
import type { EventPayload, stakeCapacity } from '@tapbridge/messaging';
import type { PrismaClient } from '../generated/prisma/client.js';

type Db = Pick<PrismaClient, 'heldDeposit' | 'evmMint' | 'finalWithdrawal' | '$transaction'>;

export class PrismaHeldDepositStore implements HeldDepositStore {
  constructor(private readonly prisma: Db) {}

  async list(): Promise<HeldDeposit[]> {
    const rows = await this.prisma.heldDeposit.findMany({ orderBy: [{ blockHeight: 'asc' }, { position: 'asc' }, { vout: 'asc' }, { depositId: 'asc' }] });
    return rows.map((r) => ({
      depositId: r.depositId, recipient: r.recipient, amountSats: r.amountSats, blockHash: r.blockHash, blockHeight: r.blockHeight, position: r.position, vout: r.vout, heldAt: r.heldAt,
    }));
  }

  async hold(deposits: readonly HeldDeposit[]): Promise<void> {
    await this.prisma.heldDeposit.createMany({
      data: deposits.map((d) => ({ depositId: d.depositId, recipient: d.recipient, amountSats: d.amountSats, blockHash: d.blockHash, blockHeight: d.blockHeight, position: d.position, vout: d.vout, heldAt: d.heldAt })),
      skipDuplicates: true,
    });
  }

  async release(depositIds: readonly string[]): Promise<void> {
    if (depositIds.length > 0) await this.prisma.heldDeposit.deleteMany({ where: { depositId: { in: [...depositIds] } } });
  }
}

/** What the bridge owes (sats): every credited deposit minus every final burn, read as one snapshot. */
export async function owedSats(prisma: Db): Promise<bigint> {
  const [mints, burns] = await prisma.$transaction(
    [prisma.evmMint.aggregate({ _sum: { amountSats: true } }), prisma.finalWithdrawal.aggregate({ _sum: { amountSats: true } })],
    { isolationLevel: 'RepeatableRead' },
  );
  return (mints._sum.amountSats ?? 0n) - (burns._sum.amountSats ?? 0n);
}

/** The stake side of a stake.capacity payload (or of rpc.stake.capacity.get's answer, the same shape). */
export function capacityView(p: EventPayload<typeof stakeCapacity>): StakeCapacityView {
  return { seq: p.seq, status: p.status, stakeValueSats: p.stakeValueSats === null ? null : BigInt(p.stakeValueSats), collateralRatioBps: p.collateralRatioBps };
}
