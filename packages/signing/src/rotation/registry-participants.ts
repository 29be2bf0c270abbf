// Issue 11 (rotation): the participant set a DKG must have, read from stake-accounting's registry, i.e. the epoch's
// active signer set. A signer fed by this provider refuses any dkg.start (or DKG recovery data) whose host keys are
// not exactly the epoch's members in rank order with the epoch's threshold: the coordinator cannot put keys it
// controls in the other slots. The registry is read through the signer's own view (StakeRegistryView): the
// stake registry RPC it trusts (RpcStakeRegistryView), like its channel view; an unreachable or empty registry
// refuses (it never falls back to "nothing pinned", which regtest would read as trust on first use).
import { hexToBytes } from '@noble/hashes/utils.js';
import { request, type Messaging } from '@tapbridge/messaging';
import { z } from 'zod';
import type { ExpectedDkgParams, ExpectedParticipants } from '../trust.js';

/** One epoch's active signer set as the registry states it (ranked: members[i] is signer index i + 1). */
export interface EpochSetFacts {
  epoch: number;
  threshold: number;
  members: ReadonlyArray<{ address: string; hostPubkey: string }>;
}

/** The signer's view of the stake registry: the newest started epoch, or null before the first. */
export interface StakeRegistryView {
  currentEpoch(): Promise<EpochSetFacts | null>;
}

export class StakeRegistryError extends Error {
  override readonly name = 'StakeRegistryError';
}

const hostPubkey = z.string().regex(/^0[23][0-9a-f]{64}$/, 'must be a compressed secp256k1 key (hex)');
export const epochSetSchema = z
  .object({
    epoch: z.number().int().nonnegative(),
    threshold: z.number().int().nonnegative(),
    members: z.array(z.object({ address: z.string(), hostPubkey }).passthrough()).max(65_535),
  })
  .passthrough();

/** Why an epoch set cannot be a DKG's participant set, or null. */
export function epochSetProblem(set: EpochSetFacts): string | null {
  const n = set.members.length;
  if (n === 0) return `epoch ${set.epoch} has no active signers`;
  if (set.threshold < 1 || set.threshold > n) return `epoch ${set.epoch}'s threshold ${set.threshold} is not in 1..${n}`;
  const keys = new Set(set.members.map((m) => m.hostPubkey.toLowerCase()));
  if (keys.size !== n) return `epoch ${set.epoch} names a host key twice`;
  return null;
}

/** The registry over NATS request/reply (rpc.stake.epochs.current, served by stake-accounting). */
export class RpcStakeRegistryView implements StakeRegistryView {
  constructor(private readonly o: { messaging: Messaging; timeoutMs?: number }) {}

  async currentEpoch(): Promise<EpochSetFacts | null> {
    return request(this.o.messaging, 'stake.epochs.current', {}, { response: epochSetSchema.nullable(), timeoutMs: this.o.timeoutMs ?? 5_000 });
  }
}

/**
 * ExpectedParticipants from the registry: the current epoch's host keys (rank order) and threshold. Throws (the
 * signer then refuses the DKG) when the registry cannot be read, has no epoch yet, or states an impossible set.
 */
export class RegistryExpectedParticipants implements ExpectedParticipants {
  constructor(private readonly registry: StakeRegistryView) {}

  async expectedParticipants(): Promise<ExpectedDkgParams> {
    let set: EpochSetFacts | null;
    try {
      set = await this.registry.currentEpoch();
    } catch (err) {
      throw new StakeRegistryError(`the stake registry could not be read, so no DKG is joined: ${(err as Error).message}`);
    }
    if (!set) throw new StakeRegistryError('the stake registry has no started epoch yet: no DKG is joined before the first epoch set');
    const problem = epochSetProblem(set);
    if (problem) throw new StakeRegistryError(problem);
    return { hostPubkeys: set.members.map((m) => hexToBytes(m.hostPubkey.toLowerCase())), t: set.threshold };
  }
}
