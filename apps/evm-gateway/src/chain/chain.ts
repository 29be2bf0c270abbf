// Which chain the gateway runs: a genesis file, or the devnet genesis with funded dev accounts.
import { deriveDevAccounts, devChainConfig, loadGenesisFile, type ChainConfig, type DevAccount } from '@tapbridge/evm';
import type { EvmGatewayConfig } from '../config.js';

/** How many accounts of the dev mnemonic the devnet genesis funds. */
export const DEV_ACCOUNT_COUNT = 5;

/**
 * Accounts m/44'/60'/0'/0/0..4 of the "test test … junk" mnemonic that hardhat, anvil and foundry use, so wallets and
 * scripts already know them. Their keys are public knowledge: devnet only.
 */
export const DEV_ACCOUNTS: readonly DevAccount[] = deriveDevAccounts(DEV_ACCOUNT_COUNT);

/** Each dev account starts with 10 BTC (in wei). Devnet only: this BTC is not backed by any deposit. */
export const DEV_ACCOUNT_BALANCE_WEI = 10n * 10n ** 18n;

/** Each dev account also holds 1,000,000 stake tokens (18 decimals), so signers can bond and users delegate. */
export const DEV_ACCOUNT_STAKE = 1_000_000n * 10n ** 18n;

/** A short unbonding delay on the devnet (seconds), so a walkthrough can unbond and withdraw. */
export const DEVNET_UNBONDING_DELAY_SECONDS = 60n;

export class GatewayChainError extends Error {
  override readonly name = 'GatewayChainError';
}

export type ChainChoice = { kind: 'genesis-file'; file: string; config: ChainConfig } | { kind: 'devnet'; config: ChainConfig; devAccounts: readonly DevAccount[] };

/**
 * The chain configuration from the service config. Without EVM_GENESIS_FILE the gateway runs the devnet genesis,
 * which funds publicly known keys: refused unless Bitcoin is regtest, so a misconfigured production start fails
 * instead of minting free BTC to strangers.
 */
export function chooseChain(config: Pick<EvmGatewayConfig, 'EVM_GENESIS_FILE' | 'EVM_CHAIN_ID' | 'EVM_BLOCK_TIME_MS' | 'BITCOIN_NETWORK'>): ChainChoice {
  if (config.EVM_GENESIS_FILE !== undefined) {
    const fromFile = loadGenesisFile(config.EVM_GENESIS_FILE);
    // The block time is an operating choice, not part of consensus, so the environment overrides the file.
    return { kind: 'genesis-file', file: config.EVM_GENESIS_FILE, config: { ...fromFile, blockTimeMs: config.EVM_BLOCK_TIME_MS } };
  }
  if (config.BITCOIN_NETWORK !== 'regtest') {
    throw new GatewayChainError(`EVM_GENESIS_FILE is required on ${config.BITCOIN_NETWORK}: the devnet genesis funds public dev keys`);
  }
  return {
    kind: 'devnet',
    devAccounts: DEV_ACCOUNTS,
    config: devChainConfig({
      chainId: BigInt(config.EVM_CHAIN_ID),
      blockTimeMs: config.EVM_BLOCK_TIME_MS,
      alloc: new Map(DEV_ACCOUNTS.map((a) => [a.address.toLowerCase(), { balance: DEV_ACCOUNT_BALANCE_WEI, nonce: 0n }])),
      stake: { holders: new Map(DEV_ACCOUNTS.map((a) => [a.address.toLowerCase(), DEV_ACCOUNT_STAKE])), unbondingDelaySeconds: DEVNET_UNBONDING_DELAY_SECONDS },
    }),
  };
}
