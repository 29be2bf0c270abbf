import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from '@tapbridge/config';
import { BRIDGE_ADDRESS, ChainConfigError } from '@tapbridge/evm';
import { HDNodeWallet } from 'ethers';
import { describe, expect, it } from 'vitest';
import { chooseChain, DEV_ACCOUNT_BALANCE_WEI, DEV_ACCOUNT_STAKE, DEV_ACCOUNTS, GatewayChainError } from '../src/chain/chain.js';
import { evmGatewayConfig } from '../src/config.js';

describe('evm-gateway configuration', () => {
  it('has the documented defaults', () => {
    const c = loadConfig(evmGatewayConfig, {});
    expect(c).toMatchObject({
      HTTP_PORT: 4005, RPC_PORT: 8545, RPC_HOST: '0.0.0.0', EVM_CHAIN_ID: 29794, EVM_BLOCK_TIME_MS: 2_000, EVM_FINALITY_DEPTH: 3,
      EVM_RPC_MAX_BODY_BYTES: 5 * 1024 * 1024, EVM_RPC_MAX_BATCH: 1_000, BITCOIN_NETWORK: 'regtest',
      EVM_RPC_GAS_CAP: 50_000_000, EVM_RPC_EVM_TIMEOUT: 5_000, EVM_WS_MAX_SUBSCRIPTIONS: 1_000, EVM_WS_MAX_BUFFERED_BYTES: 16 * 1024 * 1024,
    });
    expect(c.EVM_GENESIS_FILE).toBeUndefined();
  });

  it('reads the call time limit as geth writes durations', () => {
    expect(loadConfig(evmGatewayConfig, { EVM_RPC_EVM_TIMEOUT: '500ms' }).EVM_RPC_EVM_TIMEOUT).toBe(500);
    expect(loadConfig(evmGatewayConfig, { EVM_RPC_EVM_TIMEOUT: '2m' }).EVM_RPC_EVM_TIMEOUT).toBe(120_000);
    expect(loadConfig(evmGatewayConfig, { EVM_RPC_EVM_TIMEOUT: '7000' }).EVM_RPC_EVM_TIMEOUT).toBe(7_000);
    expect(() => loadConfig(evmGatewayConfig, { EVM_RPC_EVM_TIMEOUT: 'forever' })).toThrow(ConfigError);
    expect(() => loadConfig(evmGatewayConfig, { EVM_RPC_EVM_TIMEOUT: '0s' })).toThrow(ConfigError);
  });

  it('accepts a finality depth of 0 and names every bad variable at once', () => {
    expect(loadConfig(evmGatewayConfig, { EVM_FINALITY_DEPTH: '0' }).EVM_FINALITY_DEPTH).toBe(0);
    let error: unknown;
    try {
      loadConfig(evmGatewayConfig, { RPC_PORT: '70000', EVM_BLOCK_TIME_MS: '0', EVM_FINALITY_DEPTH: '-1', EVM_RPC_MAX_BATCH: 'many', EVM_CHAIN_ID: String(2 ** 53) });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect([...new Set((error as ConfigError).problems.map((p) => p.variable))].sort()).toEqual(['EVM_BLOCK_TIME_MS', 'EVM_CHAIN_ID', 'EVM_FINALITY_DEPTH', 'EVM_RPC_MAX_BATCH', 'RPC_PORT']);
  });
});

describe('chain choice', () => {
  const base = { EVM_CHAIN_ID: 4242, EVM_BLOCK_TIME_MS: 500, BITCOIN_NETWORK: 'regtest' as const, EVM_GENESIS_FILE: undefined };

  it('dev accounts are the hardhat/anvil mnemonic accounts', () => {
    expect(DEV_ACCOUNTS).toHaveLength(5);
    DEV_ACCOUNTS.forEach((account, i) => {
      const derived = HDNodeWallet.fromPhrase('test test test test test test test test test test test junk', undefined, `m/44'/60'/0'/0/${i}`);
      expect(account).toEqual({ index: i, address: derived.address, privateKey: derived.privateKey });
    });
  });

  it('runs the devnet genesis on regtest: chain id from the environment, every dev account funded', () => {
    const chain = chooseChain(base);
    expect(chain.kind).toBe('devnet');
    expect(chain.config.chainId).toBe(4242n);
    expect(chain.config.blockTimeMs).toBe(500);
    expect([...chain.config.alloc.keys()]).toEqual(DEV_ACCOUNTS.map((a) => a.address.toLowerCase()));
    for (const account of chain.config.alloc.values()) expect(account.balance).toBe(DEV_ACCOUNT_BALANCE_WEI);
    expect([...(chain.config.stake?.holders ?? new Map())]).toEqual(DEV_ACCOUNTS.map((a) => [a.address.toLowerCase(), DEV_ACCOUNT_STAKE]));
  });

  it('refuses the devnet genesis (public keys) on a real Bitcoin network', () => {
    expect(() => chooseChain({ ...base, BITCOIN_NETWORK: 'mainnet' })).toThrow(GatewayChainError);
    expect(() => chooseChain({ ...base, BITCOIN_NETWORK: 'testnet4' })).toThrow(/EVM_GENESIS_FILE is required on testnet4/);
  });

  it('reads a genesis file, keeping its chain id and alloc but the block time from the environment', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gw-genesis-'));
    try {
      const file = path.join(dir, 'genesis.json');
      fs.writeFileSync(file, JSON.stringify({ chainId: '0x1f90', blockTimeMs: 9_000, alloc: { '0x00000000000000000000000000000000000000aa': { balance: '1000' } } }));
      const chain = chooseChain({ ...base, EVM_GENESIS_FILE: file, BITCOIN_NETWORK: 'mainnet' });
      expect(chain.kind).toBe('genesis-file');
      expect(chain.config.chainId).toBe(0x1f90n);
      expect(chain.config.blockTimeMs).toBe(500);
      expect(chain.config.alloc.get('0x00000000000000000000000000000000000000aa')?.balance).toBe(1000n);
      fs.writeFileSync(file, JSON.stringify({ chainId: 1, alloc: { [BRIDGE_ADDRESS]: { balance: '1' } } }));
      expect(() => chooseChain({ ...base, EVM_GENESIS_FILE: file })).toThrow(ChainConfigError);
      expect(() => chooseChain({ ...base, EVM_GENESIS_FILE: path.join(dir, 'missing.json') })).toThrow(/cannot read genesis file/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
