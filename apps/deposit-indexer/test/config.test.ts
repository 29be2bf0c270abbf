// The indexer's configuration: defaults, every bad variable named (never its secret value), and the custody
// address checked against the network.
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '@tapbridge/config';
import { custodyScriptPubKey, depositIndexerConfig } from '../src/config.js';

const G = '79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798';
const base = { CUSTODY_GROUP_KEY: G, CUSTODY_ADDRESS: 'bcrt1p8h5fh3dp0t0yqrv7z7p9jehjargja35al299vtut97v2ct527zmsh9e7y2' };

describe('deposit-indexer config', () => {
  it('defaults: port 4002, 6 confirmations, the local Esplora, regtest', () => {
    const c = loadConfig(depositIndexerConfig, base);
    expect(c).toMatchObject({ HTTP_PORT: 4002, DEPOSIT_CONFIRMATIONS: 6, BITCOIN_NETWORK: 'regtest', OP_RETURN_MAX_FEE_SATS: 10_000n });
    expect(c.BTC_SOURCES).toEqual([{ kind: 'esplora', name: 'esplora@127.0.0.1:3030', url: 'http://127.0.0.1:3030' }]);
    expect([...c.CUSTODY_GROUP_KEY]).toEqual([...Buffer.from(G, 'hex')]);
    expect(custodyScriptPubKey(c)).toHaveLength(34);
  });

  it('parses Core and Esplora sources and names a bad one without its password', () => {
    const c = loadConfig(depositIndexerConfig, { ...base, BTC_SOURCES: 'core+http://u:p%40ss@127.0.0.1:18443,core+http://127.0.0.1:18443#cookie=/x/.cookie,esplora+https://e.example/api/' });
    expect(c.BTC_SOURCES.map((s) => s.name)).toEqual(['core@127.0.0.1:18443', 'core@127.0.0.1:18443#2', 'esplora@e.example/api']);
    expect(c.BTC_SOURCES[0]).toMatchObject({ auth: { user: 'u', password: 'p@ss' } });
    try {
      loadConfig(depositIndexerConfig, { ...base, BTC_SOURCES: 'esplora+http://127.0.0.1:3030,core+http://user:hunter2@127.0.0.1:18443/wallet' });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as Error).message).toMatch(/BTC_SOURCES: source 2 .*a Core RPC URL has no path/);
      expect((e as Error).message).not.toContain('hunter2');
    }
  });

  it('requires the custody key and address, and refuses a key off the curve or a non-number', () => {
    expect(() => loadConfig(depositIndexerConfig, {})).toThrow(/CUSTODY_GROUP_KEY: is required[\s\S]*CUSTODY_ADDRESS: is required/);
    expect(() => loadConfig(depositIndexerConfig, { ...base, CUSTODY_GROUP_KEY: 'ff'.repeat(32) })).toThrow(/CUSTODY_GROUP_KEY: config: CUSTODY_GROUP_KEY/);
    expect(() => loadConfig(depositIndexerConfig, { ...base, DEPOSIT_CONFIRMATIONS: '0' })).toThrow(/DEPOSIT_CONFIRMATIONS: must be positive/);
  });

  it('takes the custody address only as P2TR on the configured network', () => {
    expect(() => custodyScriptPubKey({ BITCOIN_NETWORK: 'mainnet', CUSTODY_ADDRESS: base.CUSTODY_ADDRESS })).toThrow(/^CUSTODY_ADDRESS: /);
    expect(() => custodyScriptPubKey({ BITCOIN_NETWORK: 'regtest', CUSTODY_ADDRESS: 'bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080' })).toThrow(/must be a taproot \(P2TR\) address/);
  });
});
