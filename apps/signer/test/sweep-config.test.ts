import { ConfigError, loadConfig } from '@tapbridge/config';
import { describe, expect, it } from 'vitest';
import { signerConfig } from '../src/config.js';

const base = { SIGNER_INDEX: '1', SIGNER_KEY_PASSPHRASE: 'a long enough passphrase', SIGNER_DATA_DIR: '/tmp/x' };
const pins = {
  COORDINATOR_PUBKEY: `02${'11'.repeat(32)}`,
  SIGNER_DKG_PARAMS_HASH: '22'.repeat(32),
};
const view = { BTC_SOURCES: 'esplora+http://127.0.0.1:3030', EVM_RPC_URL: 'http://127.0.0.1:8545' };

function problems(env: Record<string, string>): string {
  try {
    loadConfig(signerConfig, env);
    return 'loaded';
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
}

describe('signer config: the sweep policy settings', () => {
  it('outside regtest, refuses to start without the sweep view (BTC_SOURCES and EVM_RPC_URL), naming them', () => {
    const message = problems({ ...base, ...pins, BITCOIN_NETWORK: 'signet' });
    expect(message).toMatch(/BTC_SOURCES/);
    expect(message).toMatch(/EVM_RPC_URL/);
    expect(problems({ ...base, ...pins, BITCOIN_NETWORK: 'signet', BTC_SOURCES: view.BTC_SOURCES })).toMatch(/EVM_RPC_URL/);
    expect(problems({ ...base, ...pins, BITCOIN_NETWORK: 'signet', ...view })).toBe('loaded');
  });

  it('on regtest, runs without a sweep policy, but not with half of its view', () => {
    expect(problems({ ...base, BITCOIN_NETWORK: 'regtest' })).toBe('loaded');
    expect(problems({ ...base, BITCOIN_NETWORK: 'regtest', EVM_RPC_URL: view.EVM_RPC_URL })).toMatch(/BTC_SOURCES/);
  });

  it('parses the bounds with their defaults and refuses inverted fee-rate bounds', () => {
    const c = loadConfig(signerConfig, { ...base, BITCOIN_NETWORK: 'regtest', ...view, CUSTODY_RECOVERY_KEYS: '33'.repeat(32) });
    expect(c.BTC_SOURCES?.[0]?.name).toBe('esplora@127.0.0.1:3030');
    expect([c.EVM_FINALITY_DEPTH, c.DEPOSIT_CONFIRMATIONS, c.SWEEP_MIN_FEE_RATE, c.SWEEP_MAX_FEE_RATE, c.SWEEP_OUTFLOW_LIMIT_BPS]).toEqual([3, 6, 1, 500, 1000]);
    expect(c.OP_RETURN_MAX_FEE_SATS).toBe(10_000n);
    expect(c.EVM_BRIDGE_ADDRESS).toBe('0x0000000000000000000000000000000000b71d6e');
    expect(problems({ ...base, BITCOIN_NETWORK: 'regtest', ...view, SWEEP_MIN_FEE_RATE: '20', SWEEP_MAX_FEE_RATE: '10' })).toMatch(/SWEEP_MAX_FEE_RATE/);
  });
});
