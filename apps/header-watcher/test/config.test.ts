import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '@tapbridge/config';
import { headerWatcherConfig } from '../src/config.js';
import { parseSourceSpecs } from '@tapbridge/chain-source';

describe('BTC_SOURCES', () => {
  it('parses Core with user/password, Core with a cookie file, and Esplora', () => {
    expect(parseSourceSpecs('core+http://alice:s%40cret@10.0.0.5:8332, core+http://127.0.0.1:18443#cookie=/data/.cookie,esplora+https://blockstream.info/api/')).toEqual([
      { kind: 'core', name: 'core@10.0.0.5:8332', url: 'http://10.0.0.5:8332', auth: { user: 'alice', password: 's@cret' } },
      { kind: 'core', name: 'core@127.0.0.1:18443', url: 'http://127.0.0.1:18443', auth: { cookieFile: '/data/.cookie' } },
      { kind: 'esplora', name: 'esplora@blockstream.info/api', url: 'https://blockstream.info/api' },
    ]);
  });

  it('names duplicates apart', () => {
    expect(parseSourceSpecs('esplora+http://h:3030,esplora+http://h:3030').map((s) => s.name)).toEqual(['esplora@h:3030', 'esplora@h:3030#2']);
  });

  it.each([
    ['bitcoind+http://h:1', /source 1 .*unknown kind "bitcoind"/],
    ['http://h:1', /missing the kind prefix/],
    ['core+http://h:18443', /needs user:password@ or #cookie=/],
    ['core+http://u:p@h:1#cookie=/x', /either user:password or #cookie=/],
    ['esplora+http://u:p@h:1', /Esplora takes no credentials/],
    ['core+ftp://u:p@h:1', /scheme ftp: is not http/],
    ['esplora+http://h:1, core+nonsense', /source 2 .*not a URL/],
    ['', /no sources given/],
  ])('rejects %s clearly', (value, message) => {
    expect(() => parseSourceSpecs(value)).toThrow(message);
  });

  it('never echoes a password in an error', () => {
    expect(() => parseSourceSpecs('core+http://alice:hunter2@h:1/wallet')).toThrow(/alice:\*\*\*@/);
    let error: unknown;
    try {
      loadConfig(headerWatcherConfig, { BTC_SOURCES: 'core+http://alice:hunter2@h:1/wallet' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/BTC_SOURCES: .*no path/);
    expect((error as Error).message).not.toContain('hunter2');
  });

  it('loads defaults, a checkpoint, and reports a bad one', () => {
    const config = loadConfig(headerWatcherConfig, {});
    expect(config.BTC_SOURCES[0]).toMatchObject({ kind: 'esplora' });
    expect(config.HEADER_CHECKPOINT).toBeUndefined();
    expect(config.SYNC_BATCH_SIZE).toBe(2000);
    expect(() => loadConfig(headerWatcherConfig, { HEADER_CHECKPOINT: '{"height": 5}' })).toThrow(/HEADER_CHECKPOINT: must be checkpoint JSON/);
    expect(() => loadConfig(headerWatcherConfig, { SYNC_BATCH_SIZE: '0' })).toThrow(/SYNC_BATCH_SIZE/);
  });
});
