import { describe, expect, it } from 'vitest';
import { ConfigError, commonServiceShape, describeConfig, loadConfig, port, positiveInt, secret, url, z } from '../src/index.js';

const schema = z.object({
  ...commonServiceShape,
  HTTP_PORT: port(4001),
  DEPOSIT_CONFIRMATIONS: positiveInt(6),
  BTC_RPC_URL: url(['http', 'https']),
  SIGNER_KEY_PASSPHRASE: secret(z.string().min(12, 'must be at least 12 characters')),
});

const good = { BTC_RPC_URL: 'http://u:pw@127.0.0.1:18443', SIGNER_KEY_PASSPHRASE: 'correct horse battery' };

describe('loadConfig', () => {
  it('parses values and applies defaults', () => {
    const cfg = loadConfig(schema, { ...good, HTTP_PORT: '4100' });
    expect(cfg.HTTP_PORT).toBe(4100);
    expect(cfg.DEPOSIT_CONFIRMATIONS).toBe(6);
    expect(cfg.STREAM_PREFIX).toBe('tb');
  });

  it('names a missing variable', () => {
    const err = (() => {
      try {
        loadConfig(schema, { SIGNER_KEY_PASSPHRASE: good.SIGNER_KEY_PASSPHRASE });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems).toEqual([{ variable: 'BTC_RPC_URL', message: 'is required but not set' }]);
  });

  it('names every malformed variable without echoing secret values', () => {
    try {
      loadConfig(schema, { ...good, HTTP_PORT: '99999', DEPOSIT_CONFIRMATIONS: 'six', SIGNER_KEY_PASSPHRASE: 'tiny-pw' });
      expect.unreachable();
    } catch (e) {
      const message = (e as Error).message;
      expect(message).toMatch(/HTTP_PORT: must be a TCP port/);
      expect(message).toMatch(/DEPOSIT_CONFIRMATIONS: must be a number/);
      expect(message).toMatch(/SIGNER_KEY_PASSPHRASE: must be at least 12/);
      expect(message).not.toContain('tiny-pw');
    }
  });

  it('treats empty strings as unset', () => {
    expect(() => loadConfig(schema, { ...good, BTC_RPC_URL: '' })).toThrow(/BTC_RPC_URL: is required/);
  });

  it('redacts secrets and URL passwords when describing config', () => {
    const cfg = loadConfig(schema, good);
    const shown = JSON.stringify(describeConfig(schema, cfg));
    expect(shown).not.toContain('correct horse');
    expect(shown).not.toContain(':pw@');
    expect(shown).toContain('<redacted>');
  });
});
