import fs from 'node:fs';
import { createCustomCommon, Hardfork, Mainnet, type Common } from '@ethereumjs/common';
import { z } from 'zod';
import { ChainConfigError } from './errors.js';
import { withMemoizedParamUpdates } from './common-params.js';
import { ecrecover } from './ecrecover.js';
import { keccak256 } from './keccak.js';
import { BRIDGE_DEPLOYED_BYTECODE } from './generated/bridge-artifact.js';
import { checkStakeGenesis, STAKE_TOKEN_ADDRESS, STAKING_ADDRESS, stakeGenesisAlloc, type StakeGenesis } from './stake-predeploy.js';

/**
 * Where the bridge contract lives from genesis on. Chosen to read as "B71D6E" (bridge) at the very end of the
 * address space, far from the precompiles (0x01..0x11) and from any address a CREATE could produce.
 */
export const BRIDGE_ADDRESS = '0x0000000000000000000000000000000000b71d6E';

/**
 * Cancun: includes Shanghai (EIP-4895 withdrawals, which carry our mints) and PUSH0/MCOPY/transient storage,
 * without Prague's system contracts (EIP-7002/7251/2935) and EIP-7702 delegations, which would let code move
 * an externally owned account's balance and break the sequencer's balance-based admission.
 */
export const EVM_HARDFORK = Hardfork.Cancun;

/** EIP-1559 parameters. `minBaseFeePerGas` is our one deviation: a floor, so idle periods do not decay fees to 7 wei. */
export interface BaseFeeRules {
  initialBaseFeePerGas: bigint;
  minBaseFeePerGas: bigint;
  /** EIP-1559 ELASTICITY_MULTIPLIER: gas target = gas limit / elasticity. */
  elasticityMultiplier: bigint;
  /** EIP-1559 BASE_FEE_MAX_CHANGE_DENOMINATOR: at most 1/8 change per block on Ethereum. */
  baseFeeMaxChangeDenominator: bigint;
}

export interface GenesisAccount {
  balance: bigint;
  nonce: bigint;
  code?: Uint8Array;
  storage?: Map<string, Uint8Array>;
}

export interface ChainConfig {
  chainId: bigint;
  blockGasLimit: bigint;
  /** Longest the sequencer waits before sealing a block when nothing arrives (empty blocks keep time moving). */
  blockTimeMs: number;
  baseFee: BaseFeeRules;
  /** Unix seconds of block 0. */
  genesisTimestamp: bigint;
  /** Receives priority fees; the sequencer's address. */
  coinbase: string;
  /** Lower-case 0x addresses → accounts; the bridge is added by `genesisAlloc`. */
  alloc: Map<string, GenesisAccount>;
  /** Stake token holders and the unbonding delay; the stake contracts are predeployed either way (no holders if absent). */
  stake?: StakeGenesis;
}

export const DEFAULT_BASE_FEE_RULES: BaseFeeRules = {
  // 0.01 gwei = 0.001 sat per gas: a plain transfer (21,000 gas) costs 21 sat at the floor.
  initialBaseFeePerGas: 10_000_000n,
  minBaseFeePerGas: 10_000_000n,
  elasticityMultiplier: 2n,
  baseFeeMaxChangeDenominator: 8n,
};

/** Defaults for a development chain; `chainId` 0x7462 spells "tb". */
export function devChainConfig(overrides: Partial<ChainConfig> = {}): ChainConfig {
  return validateChainConfig({
    chainId: 29794n,
    blockGasLimit: 30_000_000n,
    blockTimeMs: 2_000,
    baseFee: DEFAULT_BASE_FEE_RULES,
    genesisTimestamp: 1_767_225_600n, // 2026-01-01T00:00:00Z, fixed so genesis hashes are reproducible
    coinbase: '0x0000000000000000000000000000000000000000',
    alloc: new Map(),
    ...overrides,
  });
}

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

export function validateChainConfig(config: ChainConfig): ChainConfig {
  const fail = (msg: string): never => {
    throw new ChainConfigError(msg);
  };
  if (config.chainId <= 0n || config.chainId >= 2n ** 53n) fail(`chainId must be in 1..2^53-1 (wallets need a safe integer), got ${config.chainId}`);
  if (config.blockGasLimit < 21_000n || config.blockGasLimit >= 2n ** 63n) fail(`blockGasLimit out of range: ${config.blockGasLimit}`);
  if (!Number.isInteger(config.blockTimeMs) || config.blockTimeMs < 1) fail(`blockTimeMs must be a positive integer, got ${config.blockTimeMs}`);
  const b = config.baseFee;
  if (b.minBaseFeePerGas < 0n || b.initialBaseFeePerGas < b.minBaseFeePerGas) fail('base fee: need 0 <= minBaseFeePerGas <= initialBaseFeePerGas');
  if (b.elasticityMultiplier < 1n || b.baseFeeMaxChangeDenominator < 1n) fail('base fee: elasticity multiplier and change denominator must be >= 1');
  if (config.genesisTimestamp < 0n) fail('genesisTimestamp must not be negative');
  if (!ADDRESS.test(config.coinbase)) fail(`coinbase is not an address: ${config.coinbase}`);
  for (const address of config.alloc.keys()) {
    if (!ADDRESS.test(address) || address !== address.toLowerCase()) fail(`alloc key must be a lower-case address: ${address}`);
    if (address === BRIDGE_ADDRESS.toLowerCase()) fail('alloc must not contain the bridge address; it is predeployed');
    if (address === STAKE_TOKEN_ADDRESS.toLowerCase() || address === STAKING_ADDRESS.toLowerCase()) fail(`alloc must not contain ${address}: the stake contracts are predeployed`);
  }
  if (config.stake !== undefined) checkStakeGenesis(config.stake);
  return config;
}

/** The genesis allocation including the predeployed bridge (no balance: it only ever receives burns) and stake contracts. */
export function genesisAlloc(config: ChainConfig): Map<string, GenesisAccount> {
  const alloc = new Map(config.alloc);
  alloc.set(BRIDGE_ADDRESS.toLowerCase(), { balance: 0n, nonce: 1n, code: hexBytes(BRIDGE_DEPLOYED_BYTECODE) });
  for (const [address, account] of stakeGenesisAlloc(config.stake)) alloc.set(address, account);
  return alloc;
}

/** A Common for this chain: every fork through Cancun active from block 0, so no DAO or PoW rules ever apply. */
export function createChainCommon(config: ChainConfig): Common {
  const atGenesis = (name: string) => ({ name, block: 0 });
  const common = createCustomCommon(
    {
      name: `tapbridge-${config.chainId}`,
      chainId: Number(config.chainId),
      hardforks: [
        'chainstart', 'homestead', 'tangerineWhistle', 'spuriousDragon', 'byzantium', 'constantinople',
        'petersburg', 'istanbul', 'muirGlacier', 'berlin', 'london', 'arrowGlacier', 'grayGlacier', 'paris',
      ].map(atGenesis).concat([{ name: 'shanghai', block: null, timestamp: 0 } as never, { name: 'cancun', block: null, timestamp: 0 } as never]),
    },
    Mainnet,
    { hardfork: EVM_HARDFORK, customCrypto: { ecrecover, keccak256 } },
  );
  return withMemoizedParamUpdates(common);
}

/** EIP-1559 next base fee from the parent's gas use, with our configurable parameters and floor. */
export function nextBaseFeePerGas(parent: { baseFeePerGas: bigint; gasUsed: bigint; gasLimit: bigint }, rules: BaseFeeRules): bigint {
  const target = parent.gasLimit / rules.elasticityMultiplier;
  let next: bigint;
  if (parent.gasUsed === target) next = parent.baseFeePerGas;
  else if (parent.gasUsed > target) {
    const delta = (parent.baseFeePerGas * (parent.gasUsed - target)) / target / rules.baseFeeMaxChangeDenominator;
    next = parent.baseFeePerGas + (delta > 1n ? delta : 1n);
  } else {
    const delta = (parent.baseFeePerGas * (target - parent.gasUsed)) / target / rules.baseFeeMaxChangeDenominator;
    next = parent.baseFeePerGas - delta;
  }
  return next < rules.minBaseFeePerGas ? rules.minBaseFeePerGas : next;
}

// ---- genesis JSON file (geth-like shape) ----

const quantity = z.union([
  z.string().regex(/^(0x[0-9a-fA-F]+|[0-9]+)$/, 'expected a decimal or 0x-hex integer'),
  z.number().int().nonnegative(),
]).transform((v) => BigInt(v));
const hexData = z.string().regex(/^0x([0-9a-fA-F]{2})*$/, 'expected 0x-prefixed even-length hex');

export const GenesisFileSchema = z.object({
  chainId: quantity,
  gasLimit: quantity.optional(),
  blockTimeMs: z.number().int().positive().optional(),
  timestamp: quantity.optional(),
  coinbase: z.string().regex(ADDRESS).optional(),
  baseFee: z.object({
    initialBaseFeePerGas: quantity,
    minBaseFeePerGas: quantity,
    elasticityMultiplier: quantity,
    baseFeeMaxChangeDenominator: quantity,
  }).optional(),
  alloc: z.record(
    z.string().regex(ADDRESS, 'alloc keys must be 0x addresses'),
    z.object({
      balance: quantity,
      nonce: quantity.optional(),
      code: hexData.optional(),
      storage: z.record(z.string().regex(/^0x[0-9a-fA-F]{1,64}$/), hexData).optional(),
    }).strict(),
  ),
  /** Stake token holders (address → base units) and the unbonding delay (seconds). */
  stake: z.object({
    holders: z.record(z.string().regex(ADDRESS, 'stake holders must be 0x addresses'), quantity),
    unbondingDelaySeconds: quantity,
  }).strict().optional(),
}).strict();

/** Parses a genesis document (already JSON-decoded) into a validated ChainConfig. */
export function chainConfigFromGenesis(json: unknown): ChainConfig {
  const parsed = GenesisFileSchema.safeParse(json);
  if (!parsed.success) throw new ChainConfigError(`invalid genesis file: ${z.prettifyError(parsed.error)}`);
  const g = parsed.data;
  const alloc = new Map<string, GenesisAccount>();
  for (const [address, account] of Object.entries(g.alloc)) {
    const key = address.toLowerCase();
    if (alloc.has(key)) throw new ChainConfigError(`alloc lists ${key} twice`);
    alloc.set(key, {
      balance: account.balance,
      nonce: account.nonce ?? 0n,
      ...(account.code !== undefined ? { code: hexBytes(account.code) } : {}),
      ...(account.storage !== undefined
        ? { storage: new Map(Object.entries(account.storage).map(([k, v]) => [`0x${k.slice(2).padStart(64, '0').toLowerCase()}`, hexBytes(v)])) }
        : {}),
    });
  }
  return devChainConfig({
    chainId: g.chainId,
    ...(g.gasLimit !== undefined ? { blockGasLimit: g.gasLimit } : {}),
    ...(g.blockTimeMs !== undefined ? { blockTimeMs: g.blockTimeMs } : {}),
    ...(g.timestamp !== undefined ? { genesisTimestamp: g.timestamp } : {}),
    ...(g.coinbase !== undefined ? { coinbase: g.coinbase.toLowerCase() } : {}),
    ...(g.baseFee !== undefined ? { baseFee: g.baseFee } : {}),
    ...(g.stake !== undefined ? { stake: stakeGenesisFromFile(g.stake) } : {}),
    alloc,
  });
}

export function loadGenesisFile(file: string): ChainConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ChainConfigError(`cannot read genesis file ${file}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ChainConfigError(`genesis file ${file} is not JSON: ${(err as Error).message}`);
  }
  return chainConfigFromGenesis(json);
}

function stakeGenesisFromFile(stake: { holders: Record<string, bigint>; unbondingDelaySeconds: bigint }): StakeGenesis {
  const holders = new Map<string, bigint>();
  for (const [address, amount] of Object.entries(stake.holders)) {
    if (holders.has(address.toLowerCase())) throw new ChainConfigError(`stake.holders lists ${address.toLowerCase()} twice`);
    holders.set(address.toLowerCase(), amount);
  }
  return { holders, unbondingDelaySeconds: stake.unbondingDelaySeconds };
}

function hexBytes(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex.slice(2), 'hex'));
}
