import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bytesToHex } from '@noble/hashes/utils.js';
import { ConfigError, loadConfig } from '@tapbridge/config';
import { hostPublicKey, KeyFileError } from '@tapbridge/signing';
import { afterEach, describe, expect, it } from 'vitest';
import { signerConfig } from '../src/config.js';
import { SignerKeyStore } from '../src/key-store.js';

const dirs: string[] = [];
const tmp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-signer-keys-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('signer key store', () => {
  it('creates the host key once, encrypted, and loads the same key on the next start', async () => {
    const dir = tmp();
    const first = await new SignerKeyStore(dir, 2, 'passphrase two').hostKey();
    expect(first.created).toBe(true);
    const text = fs.readFileSync(path.join(dir, 'host.key'), 'utf8');
    expect(text).not.toContain(bytesToHex(first.seckey));
    expect((fs.statSync(path.join(dir, 'host.key')).mode & 0o077) === 0).toBe(true);
    const again = await new SignerKeyStore(dir, 2, 'passphrase two').hostKey();
    expect(again.created).toBe(false);
    expect(bytesToHex(hostPublicKey(again.seckey))).toBe(bytesToHex(hostPublicKey(first.seckey)));
  });

  it('a wrong passphrase stops start-up with a clear error', async () => {
    const dir = tmp();
    await new SignerKeyStore(dir, 1, 'the right passphrase').hostKey();
    await expect(new SignerKeyStore(dir, 1, 'the wrong passphrase').hostKey()).rejects.toThrow(KeyFileError);
    await expect(new SignerKeyStore(dir, 1, 'the wrong passphrase').hostKey()).rejects.toThrow(/cannot decrypt .*host\.key: wrong passphrase, or the file was modified/);
  });

  it('pins the coordinator key', async () => {
    const store = new SignerKeyStore(tmp(), 1, 'passphrase one');
    expect(await store.coordinatorKey()).toBeUndefined();
    const key = hostPublicKey(new Uint8Array(32).fill(7));
    await store.pinCoordinator(key);
    expect(bytesToHex((await store.coordinatorKey()) as Uint8Array)).toBe(bytesToHex(key));
  });
});

describe('signer config', () => {
  const base = { SIGNER_INDEX: '2', SIGNER_KEY_PASSPHRASE: 'long enough passphrase', SIGNER_DATA_DIR: '/data' };

  it('defaults to 3-of-5, the raw-message policy off and no fault injection', () => {
    const c = loadConfig(signerConfig, base);
    expect([c.SIGNER_THRESHOLD, c.SIGNER_COUNT, c.SIGNER_ALLOW_RAW_MESSAGES, c.SIGNER_FAULT, c.HTTP_PORT]).toEqual([3, 5, false, 'none', undefined]);
  });

  it('names every bad variable and never prints the passphrase', () => {
    let err: unknown;
    try {
      loadConfig(signerConfig, { ...base, SIGNER_INDEX: '7', SIGNER_KEY_PASSPHRASE: 'short', SIGNER_FAULT: 'sneaky' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const message = (err as Error).message;
    expect(message).toMatch(/SIGNER_KEY_PASSPHRASE: must be at least 8 characters/);
    expect(message).toMatch(/SIGNER_FAULT/);
    expect(message).not.toContain('short');
  });

  it('refuses an index beyond the signer count', () => {
    expect(() => loadConfig(signerConfig, { ...base, SIGNER_INDEX: '6' })).toThrow(/SIGNER_INDEX: must be 1..SIGNER_COUNT/);
  });
});
