// Which chain the gateway runs: a genesis file, or the devnet genesis with funded dev accounts.
import { devChainConfig, loadGenesisFile, type ChainConfig } from '@tapbridge/evm';
import type { EvmGatewayConfig } from './config.js';

export interface DevAccount {
  address: string;
  /** Public knowledge: these are the keys every Ethereum dev tool ships (hardhat/anvil mnemonic, m/44'/60'/0'/0/i). */
  privateKey: string;
}

/**
 * The first five accounts of the "test test … junk" mnemonic that hardhat, anvil and foundry use, so wallets and
 * scripts already know them. test/chain.test.ts re-derives each one from the mnemonic.
 */
export const DEV_ACCOUNTS: readonly DevAccount[] = [
  { address: '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266', privateKey: '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80' },
  { address: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8', privateKey: '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d' },
  { address: '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC', privateKey: '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a' },
  { address: '0x90F79bf6EB2c4f870365E785982E1f101E93b906', privateKey: '0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6' },
  { address: '0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65', privateKey: '0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a' },
];

/** Each dev account starts with 10 BTC (in wei). Devnet only: this BTC is not backed by any deposit. */
export const DEV_ACCOUNT_BALANCE_WEI = 10n * 10n ** 18n;

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
    }),
  };
}
