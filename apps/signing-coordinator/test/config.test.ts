import { bytesToHex } from '@noble/hashes/utils.js';
import { loadConfig } from '@tapbridge/config';
import { hostPublicKey } from '@tapbridge/signing';
import { describe, expect, it } from 'vitest';
import { coordinatorConfig } from '../src/config.js';

const problems = (env: Record<string, string>) => {
  try {
    loadConfig(coordinatorConfig, env);
  } catch (e) {
    return (e as Error).message;
  }
  return '';
};
const hostKeys = [1, 2, 3, 4, 5].map((i) => bytesToHex(hostPublicKey(new Uint8Array(32).fill(i)))).join(',');
const base = { BITCOIN_NETWORK: 'regtest', COORDINATOR_KEY_PASSPHRASE: 'coordinator passphrase' };

describe('coordinator config: trust pins and the host key at rest', () => {
  it('outside regtest SIGNER_HOST_PUBKEYS is mandatory and named; on regtest it may be pinned on first use', () => {
    expect(problems({ ...base, BITCOIN_NETWORK: 'mainnet' })).toMatch(/SIGNER_HOST_PUBKEYS: is required but not set/);
    expect(problems({ ...base, BITCOIN_NETWORK: 'mainnet', SIGNER_HOST_PUBKEYS: hostKeys })).toBe('');
    expect(problems(base)).toBe('');
    const { BITCOIN_NETWORK: _n, ...noNetwork } = base;
    expect(problems(noNetwork)).toMatch(/BITCOIN_NETWORK: is required but not set/);
  });

  it('the generated host key needs a passphrase of 12+ characters unless COORDINATOR_HOST_KEY is given', () => {
    expect(problems({ BITCOIN_NETWORK: 'regtest' })).toMatch(/COORDINATOR_KEY_PASSPHRASE: is required/);
    expect(problems({ BITCOIN_NETWORK: 'regtest', COORDINATOR_KEY_PASSPHRASE: 'elevenchars' })).toMatch(/COORDINATOR_KEY_PASSPHRASE: must be at least 12 characters/);
    expect(problems({ BITCOIN_NETWORK: 'regtest', COORDINATOR_HOST_KEY: '11'.repeat(32) })).toBe('');
    expect(problems({ BITCOIN_NETWORK: 'regtest', COORDINATOR_KEY_PASSPHRASE: 'elevenchars' })).not.toContain('elevenchars');
  });
});
