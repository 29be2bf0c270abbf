// Shared fixtures: deterministic funded keys and an engine over a fresh in-memory store.
import { Wallet } from 'ethers';
import { devChainConfig, EvmEngine, MemoryChainStore, type ChainConfig, type ChainStore, type EngineOptions } from '../../src/index.js';

/** Deterministic private keys (not the anvil ones): keccak-free, just 0x…01, 0x…02, … padded. */
export function testWallets(count: number): Wallet[] {
  return Array.from({ length: count }, (_, i) => new Wallet(`0x${(0xa11ce000n + BigInt(i)).toString(16).padStart(64, '0')}`));
}

export const ONE_BTC_WEI = 10n ** 18n;

export function fundedConfig(wallets: Wallet[], balanceWei = 100n * ONE_BTC_WEI, overrides: Partial<ChainConfig> = {}): ChainConfig {
  return devChainConfig({
    alloc: new Map(wallets.map((w) => [w.address.toLowerCase(), { balance: balanceWei, nonce: 0n }])),
    ...overrides,
  });
}

export async function openTestEngine(
  config: ChainConfig,
  options: Partial<EngineOptions> & { store?: ChainStore } = {},
): Promise<EvmEngine> {
  return EvmEngine.open({ store: options.store ?? new MemoryChainStore(), config, autoMine: false, ...options });
}
