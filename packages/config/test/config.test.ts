import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, commonServiceShape, describeConfig, jsonOrFile, loadConfig, port, positiveInt, sats, secret, url, z } from '../src/index.js';

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

describe('shared fields', () => {
  // A parser like parseCheckpoint: checks the shape and says what is wrong.
  const parsePoint = (json: unknown) => {
    const p = z.object({ height: z.number().int(), hash: z.string() }).strict().safeParse(json);
    if (!p.success) throw new Error('not a point');
    return p.data;
  };
  const schema = z.object({ POINT: jsonOrFile(parsePoint, 'point'), FEE: sats(10_000n) });

  it('jsonOrFile reads the JSON inline or from @file, and unset is undefined', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-config-'));
    try {
      const file = path.join(dir, 'point.json');
      fs.writeFileSync(file, '{"height":7,"hash":"ab"}');
      expect(loadConfig(schema, { POINT: '{"height":7,"hash":"ab"}' }).POINT).toEqual({ height: 7, hash: 'ab' });
      expect(loadConfig(schema, { POINT: `@${file}` }).POINT).toEqual({ height: 7, hash: 'ab' });
      expect(loadConfig(schema, {}).POINT).toBeUndefined();
      expect(() => loadConfig(schema, { POINT: '{"height":7}' })).toThrow(/POINT: must be point JSON or @file: not a point/);
      expect(() => loadConfig(schema, { POINT: '{oops' })).toThrow(/POINT: must be point JSON or @file: .*JSON/);
      expect(() => loadConfig(schema, { POINT: `@${path.join(dir, 'missing.json')}` })).toThrow(/POINT: must be point JSON or @file: ENOENT/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('sats is a whole number of satoshis as a bigint, up to 16 digits', () => {
    expect(loadConfig(schema, {}).FEE).toBe(10_000n);
    expect(loadConfig(schema, { FEE: '2100000000000000' }).FEE).toBe(2_100_000_000_000_000n);
    for (const bad of ['-1', '1.5', '01', '1e3', '12345678901234567']) expect(() => loadConfig(schema, { FEE: bad }), bad).toThrow(/FEE: must be a whole number of satoshis/);
  });
});
