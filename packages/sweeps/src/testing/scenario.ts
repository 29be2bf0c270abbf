// One scenario through every rule that writes (intake, planning, signing, broadcast, confirmation, payout, reorg,
// RBF with a withdrawal dropped, a conflicting spend), and a snapshot of everything a store holds: run on two
// stores, equal snapshots prove the stores agree.
import { WITHDRAWAL_STATUSES, disconnectBlock, connectBlock, planNextSweep, planReplacement, type SweepStore } from '../index.js';
import { activity, addDeposit, addWithdrawal, hash, mine, rules, signAndBroadcast } from './fixtures.js';

export async function runScenario(store: SweepStore): Promise<void> {
  await mine(store, 1, 1);
  await addDeposit(store, 1, 200_000n);
  await addDeposit(store, 2, 150_000n);
  await addWithdrawal(store, 1, 50_000n);
  await addWithdrawal(store, 2, 30_000n, 5_000n, '0x' + '0b'.repeat(20));
  await addWithdrawal(store, 3, 20_000n, 1n);
  const first = await store.transaction((tx) => planNextSweep(tx, rules()));
  if (first.kind !== 'planned') throw new Error(first.reason);
  await signAndBroadcast(store, first.version, 1);
  await mine(store, 2, 3, { 2: activity([first.version.txid]) });
  // Reorg of both blocks, then the same sweep in another block.
  await store.transaction((tx) => disconnectBlock(tx, { hash: hash(3), height: 3 }));
  await store.transaction((tx) => disconnectBlock(tx, { hash: hash(2), height: 2 }));
  await store.transaction((tx) => connectBlock(tx, { hash: 'ee'.repeat(32), height: 2, prevHash: hash(1) }, activity([first.version.txid]), 2));
  await store.transaction((tx) => connectBlock(tx, { hash: hash(3), height: 3, prevHash: 'ee'.repeat(32) }, activity(), 2));
  await mine(store, 4, 4);
  await addWithdrawal(store, 4, 40_000n, 5_000n);
  await addWithdrawal(store, 5, 20_000n, 700n);
  const second = await store.transaction((tx) => planNextSweep(tx, rules()));
  if (second.kind !== 'planned') throw new Error(second.reason);
  await signAndBroadcast(store, second.version, 4);
  await mine(store, 5, 6);
  const bump = await store.transaction((tx) => planReplacement(tx, second.version.familyId, rules({ feeRateSatPerVb: 8 })));
  if (bump.kind !== 'planned') throw new Error(bump.reason);
  await signAndBroadcast(store, bump.version, 6);
  await mine(store, 7, 8, { 7: activity([bump.version.txid]) });
  // Someone else spends custody: halt.
  await mine(store, 9, 9, { 9: activity(['dd'.repeat(32)], [[`${bump.version.txid}:0`, 'dd'.repeat(32)]]) });
}

/** Everything the store holds, in a stable order. */
export async function snapshot(store: SweepStore): Promise<unknown> {
  return store.transaction(async (tx) => {
    const withdrawals = await tx.withdrawalsByStatus(WITHDRAWAL_STATUSES);
    const families = [...(await tx.familiesByStatus('active')), ...(await tx.familiesByStatus('confirmed')), ...(await tx.familiesByStatus('abandoned'))].sort((a, b) => a.id - b.id);
    const versions = [];
    for (const f of families) versions.push(...(await tx.versionsOf(f.id)));
    const history = [];
    for (const w of withdrawals) history.push(...(await tx.historyOf(w.id)));
    return {
      tip: await tx.tip(),
      withdrawals,
      history,
      deposits: await tx.depositsByState(['available', 'in-sweep', 'swept', 'reorged', 'reclaimed']),
      families,
      versions,
      halt: await tx.halt(),
      feesPaid: await tx.feesPaidSats(),
    };
  });
}
