// The held_capacity line in the gateway's database (packages/evm CapacityGate's HeldDepositStore), what the bridge
// owes as the gate counts it, and the newest stake.capacity the gate took (kept across restarts).
import { CapacityGate, type CapacityGateOptions, type HeldDeposit, type HeldDepositStore, type StakeCapacityView } from '@tapbridge/evm';
import type { EventPayload, stakeCapacity } from '@tapbridge/messaging';
import type { PrismaClient } from '../generated/prisma/client.js';

type Db = Pick<PrismaClient, 'heldDeposit' | 'evmMint' | 'finalWithdrawal' | '$transaction'>;
type MintDb = Pick<PrismaClient, 'heldDeposit' | 'evmMint'>;
type CapacityDb = Pick<PrismaClient, 'stakeCapacity'>;

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

/**
 * The newest stake.capacity the gateway took, in its database: without it a restarted gateway had no seq, so an older
 * event still in the stream (or a late copy) would be taken as current, and until a new one came it minted nothing.
 */
export class CapacityViewStore {
  constructor(private readonly prisma: CapacityDb) {}

  /** Stores the view if it is newer than the stored one; false when it is not (a redelivery or an older event). */
  async save(view: StakeCapacityView): Promise<boolean> {
    const data = { seq: BigInt(view.seq), status: view.status, stakeValueSats: view.stakeValueSats, collateralRatioBps: view.collateralRatioBps, updatedAt: new Date() };
    // Compare-and-set: only a newer seq replaces the row (one statement each, so two writers cannot both go back).
    const newer = () => this.prisma.stakeCapacity.updateMany({ where: { id: 1, seq: { lt: data.seq } }, data });
    if ((await newer()).count > 0) return true;
    if ((await this.prisma.stakeCapacity.createMany({ data: [{ id: 1, ...data }], skipDuplicates: true })).count > 0) return true;
    return (await newer()).count > 0; // another writer created the row in between
  }

  async load(): Promise<StakeCapacityView | null> {
    const row = await this.prisma.stakeCapacity.findUnique({ where: { id: 1 } });
    if (row === null) return null;
    return { seq: Number(row.seq), status: row.status === 'open' ? 'open' : 'frozen', stakeValueSats: row.stakeValueSats, collateralRatioBps: row.collateralRatioBps };
  }
}

/** A stake.capacity (or rpc answer) for the gate: stored first (newer only), then given to the gate, which keeps the newest. */
export async function takeCapacity(store: CapacityViewStore, gate: CapacityGate, view: StakeCapacityView): Promise<void> {
  await store.save(view);
  gate.onCapacity(view);
}

/**
 * The gate as the gateway opens it at start: from the newest capacity it took (so an older event still in the stream
 * is not taken as current, and held deposits are not frozen until the next publication); only a gateway that never
 * took one asks `fetchCapacity` (stake-accounting), and keeps the answer.
 */
export async function openCapacityGate(views: CapacityViewStore, o: CapacityGateOptions): Promise<CapacityGate> {
  const fetch = o.fetchCapacity;
  const gate = new CapacityGate({
    ...o,
    ...(fetch !== undefined
      ? {
          fetchCapacity: async () => {
            const view = await fetch();
            if (view !== null) await views.save(view);
            return view;
          },
        }
      : {}),
  });
  const stored = await views.load();
  if (stored !== null) gate.onCapacity(stored);
  return gate;
}

export type DepositMintState = 'minted' | 'held_capacity' | 'unknown';

/**
 * Where each deposit stands at the mint: minted, held for capacity, or unknown here (not received yet, or refused).
 * The sweep-coordinator sweeps only what this says is minted when capacity is enforced: a held deposit must stay
 * reclaimable by its owner on Bitcoin.
 */
export async function depositMintStates(prisma: MintDb, depositIds: readonly string[]): Promise<Record<string, DepositMintState>> {
  const ids = [...new Set(depositIds)];
  const [minted, held] = await Promise.all([
    prisma.evmMint.findMany({ where: { depositId: { in: ids } }, select: { depositId: true } }),
    prisma.heldDeposit.findMany({ where: { depositId: { in: ids } }, select: { depositId: true } }),
  ]);
  const out: Record<string, DepositMintState> = Object.fromEntries(ids.map((id) => [id, 'unknown' as const]));
  for (const h of held) out[h.depositId] = 'held_capacity';
  for (const m of minted) out[m.depositId] = 'minted';
  return out;
}
