// A deposit held for capacity (not minted on the L2) is not swept: it must stay reclaimable by its owner. The planner
// takes only the deposits the L2 says are minted when the coordinator passes them (sweepableDeposits).
import { describe, expect, it } from 'vitest';
import { InMemorySweepStore, outpointKey, planNextSweep } from '../src/index.js';
import { addDeposit, addWithdrawal, mine, rules } from '../src/testing/index.js';

describe('deposits held for capacity', () => {
  it('sweeps only the deposits the L2 has minted, none when none is, all without the rule', async () => {
    const store = new InMemorySweepStore();
    await mine(store, 1, 1);
    await addDeposit(store, 1, 200_000n);
    await addDeposit(store, 2, 150_000n);
    await addWithdrawal(store, 1, 50_000n);
    const [minted, held] = (await store.transaction((tx) => tx.depositsByState(['available']))).map(outpointKey) as [string, string];
    const out = await store.transaction((tx) => planNextSweep(tx, { ...rules(), sweepableDeposits: new Set([minted]) }));
    if (out.kind !== 'planned') throw new Error(out.reason);
    expect(out.version.inputs.filter((i) => i.kind === 'deposit-leaf').map((i) => `${i.txid}:${i.vout}`)).toEqual([minted]);
    expect((await store.transaction((tx) => tx.depositsByState(['available']))).map(outpointKey)).toEqual([held]);
    // Nothing minted at all: no deposit is swept (and nothing else is there to do here).
    const none = new InMemorySweepStore();
    await mine(none, 1, 1);
    await addDeposit(none, 1, 200_000n);
    expect(await none.transaction((tx) => planNextSweep(tx, { ...rules(), sweepableDeposits: new Set<string>() }))).toMatchObject({ kind: 'nothing' });
    expect((await none.transaction((tx) => planNextSweep(tx, rules()))).kind).toBe('planned'); // without the rule it would be
  });
});
