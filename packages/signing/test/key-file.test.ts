import { createCipheriv, randomBytes as nodeRandomBytes, scryptSync } from 'node:crypto';
import { randomBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { canonicalBytes, KEY_FILE_FORMAT, KeyFileError, keyFileNeedsReseal, MIN_SCRYPT_N, openKeyFile, sealKeyFile } from '../src/index.js';

const passphrase = 'correct horse battery staple';

describe('key files (scrypt + AES-256-GCM)', () => {
  it('round-trips a secret and keeps the header readable but the secret out of the file', async () => {
    const secret = randomBytes(32);
    const text = await sealKeyFile({ kind: 'key-share', signerIndex: 2, groupKey: '02'.padEnd(66, 'a'), secret, meta: { t: 3 } }, passphrase);
    expect(text).not.toContain(Buffer.from(secret).toString('hex'));
    const file = JSON.parse(text) as { header: { kdf: { N: number; salt: string }; cipher: { nonce: string } } };
    expect(file.header.kdf.N).toBe(2 ** 17);
    const opened = await openKeyFile(text, passphrase, { kind: 'key-share', signerIndex: 2 });
    expect(Buffer.from(opened.secret).equals(Buffer.from(secret))).toBe(true);
    expect(opened.header.meta).toEqual({ t: 3 });
  });

  it('uses a fresh salt and nonce for every write', async () => {
    const secret = randomBytes(32);
    const a = JSON.parse(await sealKeyFile({ kind: 'host-key', signerIndex: 1, groupKey: null, secret }, passphrase)) as { header: { kdf: { salt: string }; cipher: { nonce: string } }; ciphertext: string };
    const b = JSON.parse(await sealKeyFile({ kind: 'host-key', signerIndex: 1, groupKey: null, secret }, passphrase)) as typeof a;
    expect(a.header.kdf.salt).not.toBe(b.header.kdf.salt);
    expect(a.header.cipher.nonce).not.toBe(b.header.cipher.nonce);
    expect(a.ciphertext).not.toBe(b.ciphertext);
  });

  it('a wrong passphrase fails with a clear error that reveals nothing', async () => {
    const secret = randomBytes(32);
    const text = await sealKeyFile({ kind: 'host-key', signerIndex: 1, groupKey: null, secret }, passphrase);
    const err = await openKeyFile(text, 'not the passphrase', { kind: 'host-key', signerIndex: 1, source: '/data/host.key' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KeyFileError);
    expect((err as Error).message).toBe('cannot decrypt /data/host.key: wrong passphrase, or the file was modified');
    expect((err as Error).message).not.toContain(Buffer.from(secret).toString('hex'));
  });

  it('an edited header (moved to another signer or group) fails authentication', async () => {
    const text = await sealKeyFile({ kind: 'key-share', signerIndex: 1, groupKey: '02'.padEnd(66, 'b'), secret: randomBytes(32) }, passphrase);
    const file = JSON.parse(text) as { header: { groupKey: string; signerIndex: number } };
    file.header.groupKey = '03'.padEnd(66, 'b');
    await expect(openKeyFile(JSON.stringify(file), passphrase, { kind: 'key-share', signerIndex: 1 })).rejects.toThrow(/wrong passphrase, or the file was modified/);
    file.header.signerIndex = 4;
    await expect(openKeyFile(JSON.stringify(file), passphrase, { kind: 'key-share', signerIndex: 1 })).rejects.toThrow(/belongs to signer 4, this is signer 1/);
  });

  it('a flipped ciphertext bit fails authentication', async () => {
    const file = JSON.parse(await sealKeyFile({ kind: 'host-key', signerIndex: 1, groupKey: null, secret: randomBytes(32) }, passphrase)) as { ciphertext: string };
    file.ciphertext = (file.ciphertext[0] === '0' ? '1' : '0') + file.ciphertext.slice(1);
    await expect(openKeyFile(JSON.stringify(file), passphrase, { kind: 'host-key', signerIndex: 1 })).rejects.toThrow(KeyFileError);
  });

  it('refuses weak scrypt parameters and short passphrases', async () => {
    // New files: N ≥ 2^17 (the old default 2^15 is refused), passphrases of at least 12 characters.
    await expect(sealKeyFile({ kind: 'host-key', signerIndex: 1, groupKey: null, secret: randomBytes(32), scryptN: 2 ** 15 }, passphrase)).rejects.toThrow(/power of two in 2\^17/);
    await expect(sealKeyFile({ kind: 'host-key', signerIndex: 1, groupKey: null, secret: randomBytes(32) }, 'elevenchars')).rejects.toThrow(/at least 12 characters/);
    await expect(openKeyFile('{}', 'elevenchars', { kind: 'host-key', signerIndex: 1 })).rejects.toThrow(/at least 12 characters/);
    const file = JSON.parse(await sealKeyFile({ kind: 'host-key', signerIndex: 1, groupKey: null, secret: randomBytes(32) }, passphrase)) as { header: { kdf: { N: number } } };
    file.header.kdf.N = 1024;
    await expect(openKeyFile(JSON.stringify(file), passphrase, { kind: 'host-key', signerIndex: 1 })).rejects.toThrow(/scrypt N = 1024/);
  });

  it('names a file that is not a key file', async () => {
    await expect(openKeyFile('{"hello":1}', passphrase, { kind: 'host-key', signerIndex: 1, source: 'x.key' })).rejects.toThrow(/x.key is not a tapbridge key file/);
  });

  it('an old file (scrypt N = 2^15) still opens, is flagged for re-encryption, and a re-seal uses 2^17', async () => {
    const secret = randomBytes(32);
    const legacy = legacyKeyFile(secret, passphrase);
    expect(keyFileNeedsReseal(legacy)).toBe(true);
    const opened = await openKeyFile(legacy, passphrase, { kind: 'host-key', signerIndex: 3 });
    expect(Buffer.from(opened.secret).equals(Buffer.from(secret))).toBe(true);
    const resealed = await sealKeyFile({ kind: 'host-key', signerIndex: 3, groupKey: null, secret: opened.secret }, passphrase);
    expect(keyFileNeedsReseal(resealed)).toBe(false);
    expect((JSON.parse(resealed) as { header: { kdf: { N: number } } }).header.kdf.N).toBe(MIN_SCRYPT_N);
  });
});

/** A key file as the first release wrote it (scrypt N = 2^15), built by hand so the test does not depend on sealKeyFile. */
function legacyKeyFile(secret: Uint8Array, pass: string): string {
  const salt = nodeRandomBytes(16);
  const nonce = nodeRandomBytes(12);
  const header = {
    format: KEY_FILE_FORMAT,
    version: 1,
    kind: 'host-key',
    signerIndex: 3,
    groupKey: null,
    kdf: { name: 'scrypt', N: 2 ** 15, r: 8, p: 1, salt: salt.toString('hex') },
    cipher: { name: 'aes-256-gcm', nonce: nonce.toString('hex') },
    meta: {},
  };
  const key = scryptSync(pass.normalize('NFKC'), salt, 32, { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 });
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(canonicalBytes(header));
  const ciphertext = Buffer.concat([cipher.update(secret), cipher.final()]);
  return JSON.stringify({ header, ciphertext: ciphertext.toString('hex'), tag: cipher.getAuthTag().toString('hex') });
}
