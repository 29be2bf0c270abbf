// The signers' 24 h outflow limit at its default (SWEEP_OUTFLOW_LIMIT_BPS=1000: 10% of the reserve), on the 5 signers
// and on the sweep-coordinator (one setting, one rule: packages/signing sweep-outflow.ts). The pipeline pays the
// withdrawals that fit and holds the rest back, saying why, instead of asking the signers for a sweep they refuse
// (before, it retried such a sweep forever). The window rolling on after 24 h is unit-tested (packages/sweeps).
import { waitFor } from '@tapbridge/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildStack, deposit, l2Sats, mineUntil, newUser, startStack, withdraw, type Stack, type WithdrawalBody } from './support/stack.js';

let stack: Stack;

beforeAll(async () => {
  buildStack();
  stack = await startStack({ outflowLimitBps: 1_000 });
}, 1_500_000);
afterAll(async () => {
  if (stack) {
    if (process.env.SWEEP_E2E_LOGS) console.log(stack.sweeper.logs());
    await stack.close();
  }
}, 120_000);

interface StatusBody {
  status: string;
  inFlight: unknown[];
  tip: { height: number } | null;
  outflow: { limitBps: number; windowHours: number; heldBack: string[]; lastPlan: { reserveSats: string; limitSats: string; paidOutInWindowSats: string; headroomSats: string } | null };
}

describe('sweep pipeline within the signers\u2019 outflow limit (10% of the reserve per 24 h)', () => {
  it('pays the withdrawals that fit, holds the next back with the reason (API, status, metric), and asks the signers for nothing they refuse', async () => {
    const user = newUser(stack);
    await deposit(stack, user, 1_000_000n, 50_000n);
    await mineUntil(stack, 'the deposit minted', async () => (await l2Sats(stack, user.wallet.address)) >= 1_000_000n);
    // Swept into custody first (no payout), so the reserve is the custody output.
    await mineUntil(stack, 'the first sweep confirmed', async () => {
      const s = (await stack.sweeper.get<StatusBody>('/status')).body;
      const r = (await stack.sweeper.get<{ custody: { utxos: Array<{ kind: string }> } }>('/reserves')).body;
      return s.inFlight.length === 0 && r.custody.utxos.some((u) => u.kind === 'custody');
    });

    // 40,000 + 50,000 sat fit in 10% of ~1,000,000; 30,000 more do not.
    const ids = [await withdraw(user, 40_000n), await withdraw(user, 50_000n), await withdraw(user, 30_000n)];
    const [first, second, third] = ids as [string, string, string];
    await mineUntil(stack, 'the first two paid', async () => {
      const a = (await stack.sweeper.get<WithdrawalBody>(`/withdrawals/${first}`)).body;
      const b = (await stack.sweeper.get<WithdrawalBody>(`/withdrawals/${second}`)).body;
      return a.status === 'paid' && b.status === 'paid' ? true : undefined;
    });
    const held = await waitFor('the third held back by the outflow limit', async () => {
      const w = (await stack.sweeper.get<WithdrawalBody>(`/withdrawals/${third}`)).body;
      return w.waitingReason?.startsWith('outflow limit:') ? w : undefined;
    }, 60_000, 500);
    expect(held.status).toBe('final');
    expect(held.waitingReason).toMatch(/^outflow limit: 30000 sat does not fit in the \d+ sat left; the signers pay out at most 10% of the reserve per 24 h/);

    // Blocks go by: it stays held, nothing is in flight, and no sweep was ever refused by the signers.
    const status = async () => (await stack.sweeper.get<StatusBody>('/status')).body;
    const from = (await status()).tip!.height;
    await mineUntil(stack, 'four more blocks through the pipeline', async () => ((await status()).tip!.height >= from + 4 ? true : undefined));
    const after = await status();
    expect(after.inFlight).toEqual([]);
    expect(after.outflow).toMatchObject({ limitBps: 1_000, windowHours: 24, heldBack: [third] });
    const plan = after.outflow.lastPlan!;
    expect(BigInt(plan.limitSats)).toBe(((BigInt(plan.reserveSats) + BigInt(plan.paidOutInWindowSats)) * 1_000n) / 10_000n);
    expect(BigInt(plan.headroomSats)).toBeLessThan(30_000n);
    expect((await stack.sweeper.get<WithdrawalBody>(`/withdrawals/${third}`)).body.status).toBe('final');
    const metrics = String((await stack.sweeper.get<string>('/metrics')).body);
    expect(metrics).toMatch(/^tapbridge_withdrawals_outflow_limited 1$/m);
    expect(metrics).not.toMatch(/^tapbridge_sweep_signature_failures_total [1-9]/m);
    // No signer refused any sweep it asked for (a refusal is logged with the signers' reasons).
    expect(stack.sweeper.logs()).not.toMatch(/outflow limit: \d+ sat paid out in 24 h with this sweep exceeds/);
  }, 900_000);
});
