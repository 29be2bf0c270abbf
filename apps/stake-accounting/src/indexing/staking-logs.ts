/** The staking contract's logs decoded into packages/stake's StakingEvent (the ABI is the checked-in artifact). */
import { STAKING_ABI } from '@tapbridge/evm';
import { Interface, type InterfaceAbi } from 'ethers';
import type { StakingEvent } from '@tapbridge/stake';

const staking = new Interface(STAKING_ABI as unknown as InterfaceAbi);

/** The event of a staking log, or null for a log the book does not read (none today; future events). */
export function decodeStakingLog(log: { topics: readonly string[]; data: string }): StakingEvent | null {
  const p = staking.parseLog({ topics: [...log.topics], data: log.data });
  if (p === null) return null;
  const a = p.args;
  const lower = (x: unknown) => String(x).toLowerCase();
  const big = (x: unknown) => BigInt(x as bigint);
  switch (p.name) {
    case 'Bonded':
      return { type: 'Bonded', signer: lower(a[0]), amount: big(a[1]), hostPubkey: lower(a[2]).replace(/^0x/, '') };
    case 'Delegated':
      return { type: 'Delegated', delegator: lower(a[0]), signer: lower(a[1]), amount: big(a[2]) };
    case 'UnbondingStarted':
      return { type: 'UnbondingStarted', id: big(a[0]), owner: lower(a[1]), signer: lower(a[2]), amount: big(a[3]), maturesAt: big(a[4]) };
    case 'UnbondingReleased':
      return { type: 'UnbondingReleased', releasedBelow: big(a[0]) };
    case 'Withdrawn':
      return { type: 'Withdrawn', id: big(a[0]), owner: lower(a[1]), amount: big(a[2]) };
    case 'StakeSlashed':
      return { type: 'StakeSlashed', evidenceIdHash: lower(a[0]), signer: lower(a[1]), owner: lower(a[2]), kind: Number(a[3]) as 0 | 1 | 2, unbondingId: big(a[4]), amount: big(a[5]) };
    case 'Slashed':
      return { type: 'Slashed', evidenceIdHash: lower(a[0]), signer: lower(a[1]), total: big(a[2]) };
    default:
      return null;
  }
}

/** JSON form of an event (bigints as decimal strings) for the staking_log table, and back. */
export function eventToJson(e: StakingEvent): Record<string, string | number> {
  return Object.fromEntries(Object.entries(e).map(([k, v]) => [k, typeof v === 'bigint' ? v.toString() : (v as string | number)]));
}

const BIGINT_FIELDS = new Set(['amount', 'id', 'maturesAt', 'releasedBelow', 'unbondingId', 'total']);
export function eventFromJson(json: Record<string, unknown>): StakingEvent {
  return Object.fromEntries(Object.entries(json).map(([k, v]) => [k, BIGINT_FIELDS.has(k) ? BigInt(v as string) : v])) as unknown as StakingEvent;
}
