/**
 * The stake contracts' genesis: the stake token (ERC-20) and the staking contract live at fixed addresses from
 * block 0, like the bridge. The token's whole supply is allocated at genesis (`StakeGenesis.holders`; the devnet gives
 * it to the dev accounts); the staking contract's unbonding delay is written into its storage there.
 */
import type { GenesisAccount } from './chain-config.js';
import { ChainConfigError } from './errors.js';
import { STAKE_TOKEN_DEPLOYED_BYTECODE, STAKING_DEPLOYED_BYTECODE } from './generated/stake-artifacts.js';
import { fromHex, toHex } from './hex.js';
import { keccak256 } from './keccak.js';

/** EIP-55 form. "57a4e" reads as "stake". */
export const STAKE_TOKEN_ADDRESS = '0x0000000000000000000000000000000000057a4e';
/** EIP-55 form. "5B04d" reads as "bond". */
export const STAKING_ADDRESS = '0x000000000000000000000000000000000005B04d';
/** The caller of the staking contract's system operations (EIP-4788's SYSTEM_ADDRESS; nobody holds its key). */
export const STAKE_SYSTEM_ADDRESS = '0xffffFFFfFFffffffffffffffFfFFFfffFFFfFFfE';

/** Default unbonding delay: 7 days. */
export const DEFAULT_UNBONDING_DELAY_SECONDS = 7n * 24n * 3600n;

export interface StakeGenesis {
  /** Lower-case 0x address → stake token balance (base units, 18 decimals). The sum is the total supply. */
  holders: Map<string, bigint>;
  unbondingDelaySeconds: bigint;
}

const UINT256_LIMIT = 2n ** 256n;

function word(value: bigint): Uint8Array {
  return fromHex(`0x${value.toString(16).padStart(64, '0')}`, 32);
}

/** Storage key of `mapping(address => …)` at `slot` for `key` (Solidity layout: keccak256(key ‖ slot)). */
export function mappingSlot(key: string, slot: bigint): string {
  const buf = new Uint8Array(64);
  buf.set(fromHex(key.toLowerCase(), 20), 12);
  buf.set(word(slot), 32);
  return toHex(keccak256(buf));
}

const slotKey = (slot: bigint): string => toHex(word(slot));

function minimal(value: bigint): Uint8Array {
  const w = word(value);
  const first = w.findIndex((b) => b !== 0);
  return first < 0 ? new Uint8Array(0) : w.subarray(first);
}

export function checkStakeGenesis(stake: StakeGenesis): StakeGenesis {
  let supply = 0n;
  for (const [address, amount] of stake.holders) {
    if (!/^0x[0-9a-f]{40}$/.test(address)) throw new ChainConfigError(`stake holder must be a lower-case address: ${address}`);
    if (amount <= 0n) throw new ChainConfigError(`stake holder ${address} needs a positive balance, got ${amount}`);
    supply += amount;
  }
  if (supply >= UINT256_LIMIT) throw new ChainConfigError('stake token supply does not fit in uint256');
  if (stake.unbondingDelaySeconds < 0n || stake.unbondingDelaySeconds >= 2n ** 63n) throw new ChainConfigError(`unbondingDelaySeconds out of range: ${stake.unbondingDelaySeconds}`);
  return stake;
}

/** The two predeploys (lower-case address → account), from the chain's stake genesis (or none: no holders). */
export function stakeGenesisAlloc(stake: StakeGenesis | undefined): Map<string, GenesisAccount> {
  const s = checkStakeGenesis(stake ?? { holders: new Map(), unbondingDelaySeconds: DEFAULT_UNBONDING_DELAY_SECONDS });
  // StakeToken layout: slot 0 totalSupply, slot 1 balanceOf.
  const tokenStorage = new Map<string, Uint8Array>();
  let supply = 0n;
  for (const [address, amount] of s.holders) {
    tokenStorage.set(mappingSlot(address, 1n), minimal(amount));
    supply += amount;
  }
  if (supply > 0n) tokenStorage.set(slotKey(0n), minimal(supply));
  // Staking layout: slot 0 unbondingDelay.
  const stakingStorage = new Map<string, Uint8Array>();
  if (s.unbondingDelaySeconds > 0n) stakingStorage.set(slotKey(0n), minimal(s.unbondingDelaySeconds));
  return new Map<string, GenesisAccount>([
    [STAKE_TOKEN_ADDRESS.toLowerCase(), { balance: 0n, nonce: 1n, code: fromHex(STAKE_TOKEN_DEPLOYED_BYTECODE), storage: tokenStorage }],
    [STAKING_ADDRESS.toLowerCase(), { balance: 0n, nonce: 1n, code: fromHex(STAKING_DEPLOYED_BYTECODE), storage: stakingStorage }],
  ]);
}
