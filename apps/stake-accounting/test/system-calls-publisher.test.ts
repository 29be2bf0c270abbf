// The decisions stake-accounting sends to the L2 (pledge/system-calls.publisher.ts): a stored slash decision becomes
// exactly the system call packages/stake plans for it, a reward run becomes its credit, and both pass the wire
// form the gateway checks (id = the decision's own).
import { parseSystemCall, systemCallJson } from '@tapbridge/evm';
import { evidenceIdHash, slashCallArgs } from '@tapbridge/stake';
import { describe, expect, it } from 'vitest';
import { releaseCall, rewardCall, slashCall } from '../src/pledge/system-calls.publisher.js';

const signer = `0x${'11'.repeat(20)}`;
const bob = `0x${'22'.repeat(20)}`;
const carol = `0x${'33'.repeat(20)}`;

describe('stake system calls from stored decisions', () => {
  it('turns a slash row into the call slashCallArgs gives for the same debits', () => {
    const debits = [
      { kind: 'self' as const, owner: signer, before: 100n, amount: 10n },
      { kind: 'delegation' as const, owner: bob, before: 50n, amount: 5n },
      { kind: 'unbonding' as const, owner: carol, unbondingId: 7n, before: 20n, amount: 2n },
    ];
    const row = { evidenceId: 'liveness:02ab:3', signer, debits: debits.map((d) => ({ ...d, before: d.before.toString(), amount: d.amount.toString(), ...(d.unbondingId !== undefined ? { unbondingId: d.unbondingId.toString() } : {}) })) };
    const call = slashCall(row);
    expect(call).toEqual({ kind: 'slash', ...slashCallArgs({ status: 'slash', evidenceId: row.evidenceId, signer, debits } as Parameters<typeof slashCallArgs>[0]) });
    const json = systemCallJson(call);
    expect(json.id).toBe(`slash:${evidenceIdHash(row.evidenceId)}`);
    expect(parseSystemCall(JSON.parse(JSON.stringify(json)))).toEqual(call);
    expect(() => slashCall({ ...row, debits: [{ kind: 'other', owner: signer, amount: '1' }] })).toThrow();
  });

  it('turns a reward run into one credit per epoch, funded with exactly what it credits, zero payouts left out', () => {
    const call = rewardCall({ epoch: 4, payouts: { [bob]: '700', [carol]: '0', [signer]: '300' } });
    expect(call).toEqual({ kind: 'credit_rewards', epoch: 4n, recipients: [bob, signer], amounts: [700n, 300n], valueWei: 1_000n });
    expect(systemCallJson(call).id).toBe('rewards:4');
    expect(rewardCall({ epoch: 5, payouts: {} })).toEqual({ kind: 'credit_rewards', epoch: 5n, recipients: [], amounts: [], valueWei: 0n });
  });

  it('turns a release row into releaseUnbonding(below), id release:<below>', () => {
    const call = releaseCall({ below: { toFixed: () => '12' } });
    expect(call).toEqual({ kind: 'release_unbonding', below: 12n });
    expect(systemCallJson(call).id).toBe('release:12');
    expect(parseSystemCall(JSON.parse(JSON.stringify(systemCallJson(call))))).toEqual(call);
  });
});
