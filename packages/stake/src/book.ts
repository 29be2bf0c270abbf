/**
 * The stake positions the rules read: what the staking contract holds, as stake-accounting derives it from the L2's
 * events. Plain data (no methods), so it can be rebuilt from the ledger, compared, and passed between processes.
 * Addresses are lower-case 0x strings; amounts are stake-token base units.
 */

export interface SignerRecord {
  /** The bonding address (an ordinary Ethereum account). */
  address: string;
  /** Compressed secp256k1 host key (33 bytes, hex) given to bond(): what signs the signer's protocol messages. */
  hostPubkey: string;
  /** The signer's own bonded stake (excluding unbonding). */
  selfBond: bigint;
  /** Jailed for epochs < jailedUntilEpoch; 0 = never jailed. */
  jailedUntilEpoch: number;
}

export interface DelegationRecord {
  delegator: string;
  signer: string;
  amount: bigint;
}

/** Stake leaving the staking contract: requested by unbond(), withdrawable once matured and released. */
export interface UnbondingRecord {
  /** Sequential id from the contract (request order). */
  id: bigint;
  owner: string;
  /** The signer the stake backed (the owner itself for a self-bond). */
  signer: string;
  amount: bigint;
  /** Unix seconds (L2 block time) at which the unbonding delay ends. */
  maturesAt: bigint;
  /** Released by stake-accounting once capacity allows it to leave the collateral. */
  released: boolean;
}

export interface StakeBook {
  signers: ReadonlyMap<string, SignerRecord>;
  /** Keyed by `${signer}:${delegator}`. */
  delegations: ReadonlyMap<string, DelegationRecord>;
  /** In id order. */
  unbonding: readonly UnbondingRecord[];
}

export function delegationKey(signer: string, delegator: string): string {
  return `${signer}:${delegator}`;
}

/** Bonded + delegated stake of each signer (unbonding excluded): what epoch selection ranks by. */
export function activeStakeBySigner(book: StakeBook): Map<string, { self: bigint; delegated: bigint }> {
  const out = new Map<string, { self: bigint; delegated: bigint }>();
  for (const s of book.signers.values()) out.set(s.address, { self: s.selfBond, delegated: 0n });
  for (const d of book.delegations.values()) {
    const entry = out.get(d.signer);
    if (entry !== undefined) entry.delegated += d.amount;
  }
  return out;
}

/**
 * Stake that still backs custody: bonded, delegated, and unbonding not yet released. Capacity counts it, so a
 * request to unbond does not by itself reduce collateral; the release does.
 */
export function collateralStake(book: StakeBook): bigint {
  let total = 0n;
  for (const s of book.signers.values()) total += s.selfBond;
  for (const d of book.delegations.values()) total += d.amount;
  for (const u of book.unbonding) if (!u.released) total += u.amount;
  return total;
}

/** An unbonding entry can be slashed until it may be withdrawn: its delay has ended and capacity released it. */
export function isSlashable(u: UnbondingRecord, nowSeconds: bigint): boolean {
  return nowSeconds < u.maturesAt || !u.released;
}

/** Withdrawable by its owner at `nowSeconds`: matured and released. */
export function isWithdrawable(u: UnbondingRecord, nowSeconds: bigint): boolean {
  return !isSlashable(u, nowSeconds);
}
