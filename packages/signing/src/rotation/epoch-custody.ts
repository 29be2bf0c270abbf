// Issue 11 (rotation): custody per epoch. Every started epoch (stake.epoch.started) either keeps the custody of the
// epoch before it (same host keys in the same rank order, same threshold) or needs a new ChillDKG among its set.
// planEpochCustody is the one decision the coordinator makes per event; it is a function of what is recorded, so a
// redelivered or replayed event, or a restart, decides nothing new.
//
// Custody of a new epoch always carries the recovery leaf (backup keys after a relative lock): the defaults below
// are what a network uses when the operator names backup keys but no lock; key-path-only custody is refused for an
// epoch unless explicitly allowed (regtest tests only).
import { bytesToHex } from '@noble/hashes/utils.js';
import { custodyFor, type Custody, type CustodySettings } from '../custody.js';
import { epochSetProblem, type EpochSetFacts } from './registry-participants.js';

/** What the coordinator recorded for an epoch: its set and, once its DKG completed (or it carried), its group key. */
export interface EpochCustodyRecord {
  epoch: number;
  t: number;
  /** Compressed host keys, rank order (signer index i + 1 = hostPubkeys[i]). */
  hostPubkeys: readonly string[];
  /** x-only group key (hex); null while the epoch's DKG runs. */
  groupKey: string | null;
  /** The epoch whose custody this one kept (no DKG), or null when it ran its own DKG. */
  carriedFrom: number | null;
}

export type EpochCustodyPlan =
  /** Nothing to do: the epoch is already recorded (redelivery), older than the newest recorded, or unusable. */
  | { action: 'ignore'; reason: string }
  /** The set and threshold are unchanged: the epoch keeps the custody of `from` (no DKG, no migration). */
  | { action: 'carry'; epoch: number; from: number; groupKey: string | null; t: number; hostPubkeys: string[] }
  /** A changed set or threshold: run ChillDKG among `hostPubkeys` (rank order) with threshold `t`. */
  | { action: 'dkg'; epoch: number; t: number; hostPubkeys: string[]; previous: number | null };

export function planEpochCustody(recorded: readonly EpochCustodyRecord[], started: EpochSetFacts): EpochCustodyPlan {
  const newest = recorded.reduce<EpochCustodyRecord | undefined>((a, r) => (a === undefined || r.epoch > a.epoch ? r : a), undefined);
  if (recorded.some((r) => r.epoch === started.epoch)) return { action: 'ignore', reason: `epoch ${started.epoch} is already recorded` };
  if (newest && started.epoch < newest.epoch) return { action: 'ignore', reason: `epoch ${started.epoch} is older than the newest recorded, ${newest.epoch}` };
  const problem = epochSetProblem(started);
  if (problem) return { action: 'ignore', reason: `${problem}: custody stays with epoch ${newest?.epoch ?? 'none'}` };
  const hostPubkeys = started.members.map((m) => m.hostPubkey.toLowerCase());
  if (newest && sameSet(newest, started.threshold, hostPubkeys))
    return { action: 'carry', epoch: started.epoch, from: newest.carriedFrom ?? newest.epoch, groupKey: newest.groupKey, t: started.threshold, hostPubkeys };
  return { action: 'dkg', epoch: started.epoch, t: started.threshold, hostPubkeys, previous: newest?.epoch ?? null };
}

function sameSet(r: EpochCustodyRecord, t: number, hostPubkeys: readonly string[]): boolean {
  return r.t === t && r.hostPubkeys.length === hostPubkeys.length && r.hostPubkeys.every((k, i) => k.toLowerCase() === hostPubkeys[i]);
}

/**
 * Default relative lock (blocks) of the custody recovery leaf per network: mainnet ~1 year (52,560 blocks), the
 * public test networks ~30 days, regtest (the devnet) 10 blocks so tests can reach it.
 */
export const RECOVERY_LOCK_DEFAULTS: Readonly<Record<string, number>> = Object.freeze({ mainnet: 52_560, bitcoin: 52_560, testnet: 4_320, testnet4: 4_320, signet: 4_320, regtest: 10 });

export class EpochCustodyError extends Error {
  override readonly name = 'EpochCustodyError';
}

/**
 * The custody settings of a new epoch: the operator's backup keys and threshold, with the network's default lock
 * when none is given. No backup keys: refused, unless `allowKeyPathOnly` (regtest tests of other parts only).
 */
export function epochCustodySettings(o: { network: string; recoveryKeys: readonly string[]; recoveryThreshold: number; recoveryLock?: number; allowKeyPathOnly?: boolean }): CustodySettings {
  if (o.recoveryKeys.length === 0) {
    if (o.allowKeyPathOnly && o.network === 'regtest') return { network: o.network, recoveryKeys: [], recoveryThreshold: 1, recoveryLock: 1 };
    throw new EpochCustodyError('a new epoch custody needs its recovery leaf: set CUSTODY_RECOVERY_KEYS (backup x-only keys) and CUSTODY_RECOVERY_THRESHOLD');
  }
  if (!Number.isInteger(o.recoveryThreshold) || o.recoveryThreshold < 1 || o.recoveryThreshold > o.recoveryKeys.length)
    throw new EpochCustodyError(`CUSTODY_RECOVERY_THRESHOLD ${o.recoveryThreshold} is not in 1..${o.recoveryKeys.length}`);
  const lock = o.recoveryLock ?? RECOVERY_LOCK_DEFAULTS[o.network];
  if (lock === undefined) throw new EpochCustodyError(`no default recovery lock for network ${o.network}: set CUSTODY_RECOVERY_LOCK`);
  // BIP68 relative block locks are 16 bits.
  if (!Number.isInteger(lock) || lock < 1 || lock > 0xffff) throw new EpochCustodyError(`recovery lock ${lock} is not 1..65535 blocks`);
  return { network: o.network, recoveryKeys: [...o.recoveryKeys], recoveryThreshold: o.recoveryThreshold, recoveryLock: lock };
}

/** The custody output of an epoch's group key (x-only), with its recovery leaf. */
export function epochCustody(groupKeyXonly: Uint8Array, settings: CustodySettings): Custody {
  return custodyFor(groupKeyXonly, settings);
}

export const xonlyHex = (key: Uint8Array): string => bytesToHex(key.length === 33 ? key.subarray(1) : key);
