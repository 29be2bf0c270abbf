// The pipeline's hard cases against the real bridge (devnet chain, 5 signers t = 3, watcher, indexer, gateway):
// a stuck sweep replaced by RBF that confirms once; a payout's block reorged out that confirms again with nothing
// paid twice; and the sweep-coordinator SIGKILLed at each named point of the pipeline, paying nothing twice and
// losing nothing.
import { withdrawalPaid } from '@tapbridge/messaging';
import { waitFor } from '@tapbridge/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CrashPoint } from '../src/config.js';
import { buildStack, deposit, l2Sats, mine, mineUntil, newUser, startStack, withdraw, type Stack, type SweepBody, type User, type WithdrawalBody } from './support/stack.js';

let stack: Stack;
let user: User;

beforeAll(async () => {
  buildStack();
  stack = await startStack();
  // One user with enough on the L2 for every case below.
  user = newUser(stack);
  await deposit(stack, user, 3_000_000n, 50_000n);
  await mineUntil(stack, 'the deposit minted', async () => (await l2Sats(stack, user.wallet.address)) >= 3_000_000n);
  // ... and swept into custody, so the cases start from a custody UTXO and nothing in flight.
  await mineUntil(stack, 'the first sweep confirmed', async () => {
    const s = (await stack.sweeper.get<{ status: string; inFlight: unknown[] }>('/status')).body;
    const r = (await stack.sweeper.get<{ custody: { utxos: Array<{ kind: string }> } }>('/reserves')).body;
    return s.inFlight.length === 0 && r.custody.utxos.some((u) => u.kind === 'custody');
  });
}, 1_800_000);
afterAll(async () => {
  if (stack) {
    if (process.env.SWEEP_E2E_LOGS) console.log(stack.sweeper.logs());
    await stack.close();
  }
}, 120_000);

const status = async (id: string) => (await stack.sweeper.get<WithdrawalBody>(`/withdrawals/${id}`)).body;
const sweep = async (txid: string) => (await stack.sweeper.get<SweepBody>(`/sweeps/${txid}`)).body;

/** Confirmed outputs of the devnet wallet paying this user's address (each withdrawal pays a distinct one). */
const coinsAt = (address: string) => stack.chain.node.listUnspent(1).filter((c) => c.key.address === address);

async function paidOnce(id: string, u: User, amountSats: bigint): Promise<WithdrawalBody> {
  const body = await mineUntil(stack, `withdrawal ${id} paid`, async () => {
    const b = await status(id);
    return b.status === 'paid' ? b : undefined;
  });
  const coins = coinsAt(u.btcAddress);
  expect(coins).toHaveLength(1);
  expect(coins[0]).toMatchObject({ txid: body.txid, vout: body.vout, value: amountSats - BigInt(body.feeSats!) });
  return body;
}

/** withdrawal.paid events on the stream for this id. */
async function paidEvents(id: string): Promise<Array<{ txid: string; blockHash: string }>> {
  const stream = stack.messaging.naming.stream('WITHDRAWAL');
  const subject = stack.messaging.naming.subject(withdrawalPaid.subject);
  const info = await stack.messaging.jsm.streams.info(stream);
  const out: Array<{ txid: string; blockHash: string; withdrawalId: string }> = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
    const m = await stack.messaging.jsm.streams.getMessage(stream, { seq }).catch(() => null);
    if (m && m.subject === subject) out.push(m.json());
  }
  return out.filter((e) => e.withdrawalId === id);
}

/** The withdrawal.paid events once the outbox relay has published at least one (it runs after the commit). */
const publishedPaidEvents = (id: string) => waitFor(`withdrawal.paid for ${id} on the stream`, async () => {
  const events = await paidEvents(id);
  return events.length > 0 ? events : undefined;
}, 30_000, 200);

/** A fresh destination for each case, funded from the one L2 user. */
function payee(): User {
  return { ...newUser(stack), wallet: user.wallet };
}

describe('sweep pipeline: RBF, reorgs, crashes', () => {
  it('replaces a stuck sweep by RBF (mining floor raised); the replacement confirms, once', async () => {
    const to = payee();
    const id = await withdraw(to, 120_000n);
    const first = await waitFor('the sweep broadcast', async () => {
      const b = await status(id);
      return b.status === 'broadcast' ? b : undefined;
    }, 120_000, 200);
    const original = await sweep(first.txid!);
    // Blocks now only take transactions paying far more than the original does.
    stack.chain.node.setMiningFloor(Math.ceil(Number(original.feeSats) / 100) + 25);
    const paid = await paidOnce(id, to, 120_000n);
    const replacement = await sweep(paid.txid!);
    expect(replacement.version).toBeGreaterThanOrEqual(1);
    expect(replacement.familyId).toBe(original.familyId);
    expect(replacement.custodyInput).toEqual(original.custodyInput);
    expect(BigInt(replacement.feeSats)).toBeGreaterThan(BigInt(original.feeSats));
    expect((await sweep(original.txid)).status).toBe('replaced');
    expect(stack.chain.node.lookupTransaction(original.txid)?.entry).toBeUndefined();
    expect(await publishedPaidEvents(id)).toHaveLength(1);
    stack.chain.node.setMiningFloor(0);
  }, 600_000);

  it('a payout whose block is reorged out goes back to broadcast and confirms again; nothing is paid twice', async () => {
    const to = payee();
    const id = await withdraw(to, 110_000n);
    const confirmed = await mineUntil(stack, 'the payout confirmed', async () => {
      const b = await status(id);
      return b.status === 'confirmed' || b.status === 'paid' ? b : undefined;
    });
    const s = await sweep(confirmed.txid!);
    const tipBefore = stack.chain.node.chain.tip.height;
    stack.chain.node.invalidateBlock(s.block!.hash);
    // A longer branch without that block: the watcher reorgs to it.
    mine(stack, tipBefore - s.block!.height + 2);
    // The disconnect is seen (the history says so; the status may pass through broadcast faster than a poll, when
    // the devnet put the transaction back in its mempool and the new branch mined it again).
    await waitFor('the payout\'s block to leave the pipeline\'s chain', async () => {
      const h = (await stack.sweeper.get<{ history: Array<{ status: string; detail: string }> }>(`/withdrawals/${id}`)).body.history;
      return h.some((e) => e.status === 'broadcast' && /left the best chain/.test(e.detail));
    }, 120_000, 200);
    const paid = await paidOnce(id, to, 110_000n);
    expect(paid.txid).toBe(s.txid);
    expect((await sweep(s.txid)).block!.hash).not.toBe(s.block!.hash);
    // At most one withdrawal.paid per block it was paid in, all for the same transaction.
    const block = (await sweep(s.txid)).block!.hash;
    const events = await waitFor('withdrawal.paid for the new block on the stream', async () => {
      const e = await paidEvents(id);
      return e.some((x) => x.blockHash === block) ? e : undefined;
    }, 30_000, 200);
    expect(new Set(events.map((e) => e.txid))).toEqual(new Set([s.txid]));
    expect(events.filter((e) => e.blockHash === block)).toHaveLength(1);
  }, 600_000);

  const points: CrashPoint[] = ['after-plan', 'mid-signing', 'after-sign', 'after-broadcast'];
  it.each(points)('killed at %s: restarted, it pays the withdrawal exactly once', async (point) => {
    await stack.sweeper.stop();
    await stack.sweeper.start({ SWEEP_CRASH_AT: point });
    const to = payee();
    const id = await withdraw(to, 100_000n);
    await stack.sweeper.exited(180_000);
    expect(stack.sweeper.logs()).toContain(`SWEEP_CRASH_AT=${point} reached`);
    await stack.sweeper.start({ SWEEP_CRASH_AT: undefined });
    await paidOnce(id, to, 100_000n);
    expect(await publishedPaidEvents(id)).toHaveLength(1);
    const reserves = await waitFor('reserves to balance', async () => {
      const r = (await stack.sweeper.get<{ invariantHolds: boolean | null }>('/reserves')).body;
      return r.invariantHolds ? r : undefined;
    }, 60_000, 1_000);
    expect(reserves.invariantHolds).toBe(true);
  }, 600_000);
});
