import { createCipheriv, randomBytes, scryptSync } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bytesToHex } from '@noble/hashes/utils.js';
import { ConfigError, loadConfig } from '@tapbridge/config';
import { canonicalBytes, generateHostKey, hostPublicKey, KEY_FILE_FORMAT, KeyFileError, keyFileNeedsReseal } from '@tapbridge/signing';
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

  it('an old host key file (scrypt N = 2^15) loads and is re-encrypted at N = 2^17 on the spot', async () => {
    const dir = tmp();
    const seckey = generateHostKey();
    fs.writeFileSync(path.join(dir, 'host.key'), legacyHostKeyFile(seckey, 4, 'passphrase four'));
    const loaded = await new SignerKeyStore(dir, 4, 'passphrase four').hostKey();
    expect([loaded.created, bytesToHex(loaded.seckey)]).toEqual([false, bytesToHex(seckey)]);
    const text = fs.readFileSync(path.join(dir, 'host.key'), 'utf8');
    expect(keyFileNeedsReseal(text)).toBe(false);
    expect((JSON.parse(text) as { header: { kdf: { N: number } } }).header.kdf.N).toBe(2 ** 17);
    expect(bytesToHex((await new SignerKeyStore(dir, 4, 'passphrase four').hostKey()).seckey)).toBe(bytesToHex(seckey));
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
  const base = { SIGNER_INDEX: '2', SIGNER_KEY_PASSPHRASE: 'long enough passphrase', SIGNER_DATA_DIR: '/data', BITCOIN_NETWORK: 'regtest' };
  const hostKeys = [1, 2, 3, 4, 5].map((i) => bytesToHex(hostPublicKey(new Uint8Array(32).fill(i)))).join(',');
  const coordinator = bytesToHex(hostPublicKey(new Uint8Array(32).fill(9)));
  const problems = (env: Record<string, string>) => {
    try {
      loadConfig(signerConfig, env);
    } catch (e) {
      return (e as Error).message;
    }
    return '';
  };

  it('outside regtest the pins are mandatory and the missing variable is named', () => {
    // The sweep policy's own view is mandatory outside regtest too (sweep-config.test.ts); given here.
    const mainnet = { ...base, BITCOIN_NETWORK: 'mainnet', BTC_SOURCES: 'esplora+https://blockstream.info/api', EVM_RPC_URL: 'https://l2.example/rpc' };
    expect(problems(mainnet)).toMatch(/COORDINATOR_PUBKEY: is required but not set/);
    expect(problems(mainnet)).toMatch(/SIGNER_HOST_PUBKEYS: is required but not set/);
    expect(problems({ ...mainnet, COORDINATOR_PUBKEY: coordinator })).not.toMatch(/COORDINATOR_PUBKEY/);
    expect(problems({ ...mainnet, COORDINATOR_PUBKEY: coordinator, SIGNER_HOST_PUBKEYS: hostKeys })).toBe('');
    expect(problems({ ...mainnet, COORDINATOR_PUBKEY: coordinator, SIGNER_DKG_PARAMS_HASH: 'ab'.repeat(32) })).toBe('');
    expect(problems({ ...mainnet, COORDINATOR_PUBKEY: coordinator, SIGNER_HOST_PUBKEYS: hostKeys.split(',').slice(0, 4).join(',') })).toMatch(/SIGNER_HOST_PUBKEYS: must list exactly SIGNER_COUNT keys/);
    // The network must be said: a forgotten BITCOIN_NETWORK must not fall back to regtest's trust on first use.
    const { BITCOIN_NETWORK: _n, ...noNetwork } = base;
    expect(problems(noNetwork)).toMatch(/BITCOIN_NETWORK: is required but not set/);
    expect(problems(base)).toBe('');
  });

  it('raw-message signing is refused outside regtest', () => {
    const pinned = { ...base, COORDINATOR_PUBKEY: coordinator, SIGNER_HOST_PUBKEYS: hostKeys, SIGNER_ALLOW_RAW_MESSAGES: 'true' };
    expect(problems({ ...pinned, BITCOIN_NETWORK: 'signet' })).toMatch(/SIGNER_ALLOW_RAW_MESSAGES: signs any 32-byte message .*refused outside BITCOIN_NETWORK=regtest/);
    expect(problems({ ...pinned, BITCOIN_NETWORK: 'mainnet' })).toMatch(/SIGNER_ALLOW_RAW_MESSAGES/);
    expect(loadConfig(signerConfig, pinned).SIGNER_ALLOW_RAW_MESSAGES).toBe(true);
  });

  it('defaults to 3-of-5, the raw-message policy off and no fault injection', () => {
    const c = loadConfig(signerConfig, base);
    expect([c.SIGNER_THRESHOLD, c.SIGNER_COUNT, c.SIGNER_ALLOW_RAW_MESSAGES, c.SIGNER_FAULT, c.HTTP_PORT]).toEqual([3, 5, false, 'none', undefined]);
  });

  it('names every bad variable and never prints the passphrase', () => {
    let err: unknown;
    try {
      loadConfig(signerConfig, { ...base, SIGNER_INDEX: '7', SIGNER_KEY_PASSPHRASE: 'elevenchars', SIGNER_FAULT: 'sneaky' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const message = (err as Error).message;
    expect(message).toMatch(/SIGNER_KEY_PASSPHRASE: must be at least 12 characters/);
    expect(message).toMatch(/SIGNER_FAULT/);
    expect(message).not.toContain('elevenchars');
  });

  it('refuses an index beyond the signer count', () => {
    expect(() => loadConfig(signerConfig, { ...base, SIGNER_INDEX: '6' })).toThrow(/SIGNER_INDEX: must be 1..SIGNER_COUNT/);
  });
});

/** A host key file as the first release wrote it (scrypt N = 2^15). */
function legacyHostKeyFile(secret: Uint8Array, signerIndex: number, passphrase: string): string {
  const salt = randomBytes(16);
  const nonce = randomBytes(12);
  const header = {
    format: KEY_FILE_FORMAT,
    version: 1,
    kind: 'host-key',
    signerIndex,
    groupKey: null,
    kdf: { name: 'scrypt', N: 2 ** 15, r: 8, p: 1, salt: salt.toString('hex') },
    cipher: { name: 'aes-256-gcm', nonce: nonce.toString('hex') },
    meta: {},
  };
  const cipher = createCipheriv('aes-256-gcm', scryptSync(passphrase, salt, 32, { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 }), nonce);
  cipher.setAAD(canonicalBytes(header));
  const ciphertext = Buffer.concat([cipher.update(secret), cipher.final()]);
  return JSON.stringify({ header, ciphertext: ciphertext.toString('hex'), tag: cipher.getAuthTag().toString('hex') });
}
