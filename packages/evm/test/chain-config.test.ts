import { describe, expect, it } from 'vitest';
import { BRIDGE_ADDRESS, ChainConfigError, chainConfigFromGenesis, DEFAULT_BASE_FEE_RULES, devChainConfig, genesisAlloc, nextBaseFeePerGas } from '../src/index.js';

describe('chain config', () => {
  it('parses a genesis document and adds the bridge predeploy', () => {
    const config = chainConfigFromGenesis({
      chainId: '0x7462',
      gasLimit: 15_000_000,
      alloc: { '0x00000000000000000000000000000000000000AA': { balance: '1000', storage: { '0x1': '0x05' } } },
    });
    expect(config.chainId).toBe(0x7462n);
    expect(config.blockGasLimit).toBe(15_000_000n);
    const alloc = genesisAlloc(config);
    expect(alloc.get('0x00000000000000000000000000000000000000aa')?.balance).toBe(1000n);
    expect(alloc.get('0x00000000000000000000000000000000000000aa')?.storage?.get(`0x${'0'.repeat(63)}1`)).toEqual(Uint8Array.of(5));
    expect(alloc.get(BRIDGE_ADDRESS.toLowerCase())?.code?.length).toBeGreaterThan(0);
  });

  it('rejects malformed genesis documents with the offending field', () => {
    expect(() => chainConfigFromGenesis({ chainId: 1, alloc: { nope: { balance: '1' } } })).toThrow(ChainConfigError);
    expect(() => chainConfigFromGenesis({ chainId: 1, alloc: {}, unknownField: true })).toThrow(/unknownField|Unrecognized/);
    expect(() => chainConfigFromGenesis({ chainId: 0, alloc: {} })).toThrow(/chainId/);
    expect(() => chainConfigFromGenesis({ chainId: 1, alloc: { [BRIDGE_ADDRESS]: { balance: '0' } } })).toThrow(/bridge/);
  });

  it('moves the base fee by at most 1/8 per block around the target, never below the floor', () => {
    const rules = { ...DEFAULT_BASE_FEE_RULES, minBaseFeePerGas: 7n };
    const parent = { baseFeePerGas: 1_000_000_000n, gasLimit: 30_000_000n };
    expect(nextBaseFeePerGas({ ...parent, gasUsed: 15_000_000n }, rules)).toBe(1_000_000_000n);
    expect(nextBaseFeePerGas({ ...parent, gasUsed: 30_000_000n }, rules)).toBe(1_125_000_000n);
    expect(nextBaseFeePerGas({ ...parent, gasUsed: 0n }, rules)).toBe(875_000_000n);
    expect(nextBaseFeePerGas({ baseFeePerGas: 8n, gasLimit: 30_000_000n, gasUsed: 0n }, rules)).toBe(7n);
    expect(nextBaseFeePerGas({ baseFeePerGas: 7n, gasLimit: 30_000_000n, gasUsed: 0n }, rules)).toBe(7n);
    // A nearly-full block still raises the fee by at least 1 wei.
    expect(nextBaseFeePerGas({ baseFeePerGas: 7n, gasLimit: 30_000_000n, gasUsed: 15_000_001n }, rules)).toBe(8n);
  });

  it('validates the numbers that matter', () => {
    expect(() => devChainConfig({ blockGasLimit: 20_000n })).toThrow(ChainConfigError);
    expect(() => devChainConfig({ chainId: 2n ** 53n })).toThrow(ChainConfigError);
    expect(() => devChainConfig({ baseFee: { ...DEFAULT_BASE_FEE_RULES, minBaseFeePerGas: 2n * DEFAULT_BASE_FEE_RULES.initialBaseFeePerGas } })).toThrow(ChainConfigError);
  });
});
