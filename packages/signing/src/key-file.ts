/**
 * Secrets at rest (host key, key share): AES-256-GCM under a key derived from the operator's passphrase (at least
 * 12 characters) with scrypt (N = 2^17 for every new file, a random salt per file) and a random 96-bit nonce per
 * write. Files written with the old N = 2^15 still open; their header says so (needsReseal) and the next write
 * re-encrypts them at the current cost. The header (format version, kind,
 * signer index, group key, KDF and cipher parameters, public metadata) is authenticated as GCM associated data, so
 * a file moved to another signer, edited or downgraded fails to open. Failures say which file and why, never a
 * secret.
 */
import { createCipheriv, createDecipheriv, randomBytes, scrypt as scryptCb, type ScryptOptions } from 'node:crypto';
import { z } from 'zod';
import { canonicalBytes } from './canonical.js';
import { KeyFileError } from './errors.js';
import { hexBytes, hexOf, point33 } from './wire.js';

export const KEY_FILE_FORMAT = 'tapbridge-key-file';
export const KEY_FILE_VERSION = 1;
/** The cost of every new file, and the least a new file may use. */
export const MIN_SCRYPT_N = 2 ** 17;
/** The least an existing file may use to be opened (files of the first release used 2^15). */
export const LEGACY_MIN_SCRYPT_N = 2 ** 15;
const MAX_SCRYPT_N = 2 ** 20;
/** Passphrases shorter than this are refused (configuration and every seal/open). */
export const MIN_PASSPHRASE_LENGTH = 12;

export type KeyFileKind = 'host-key' | 'key-share';

const headerSchema = z.object({
  format: z.literal(KEY_FILE_FORMAT),
  version: z.number().int(),
  kind: z.enum(['host-key', 'key-share']),
  signerIndex: z.number().int().min(0),
  groupKey: point33.nullable(),
  kdf: z.object({ name: z.literal('scrypt'), N: z.number().int(), r: z.number().int().min(1).max(32), p: z.number().int().min(1).max(16), salt: hexOf(16, 'salt') }),
  cipher: z.object({ name: z.literal('aes-256-gcm'), nonce: hexOf(12, 'nonce') }),
  /** Public data kept beside the secret (authenticated, not encrypted). */
  meta: z.record(z.string(), z.unknown()),
});
export type KeyFileHeader = z.infer<typeof headerSchema>;

const fileSchema = z.object({ header: headerSchema, ciphertext: hexBytes, tag: hexOf(16, 'tag') });

export interface SealKeyFileInput {
  kind: KeyFileKind;
  signerIndex: number;
  groupKey: string | null;
  secret: Uint8Array;
  meta?: Record<string, unknown>;
  /** scrypt cost; at least 2^17 (the default). */
  scryptN?: number;
}

function scrypt(passphrase: string, salt: Buffer, N: number, r: number, p: number): Promise<Buffer> {
  const options: ScryptOptions = { N, r, p, maxmem: 256 * N * r + 1024 * 1024 };
  return new Promise((resolve, reject) => scryptCb(passphrase.normalize('NFKC'), salt, 32, options, (err, key) => (err ? reject(err) : resolve(key))));
}

function checkPassphrase(passphrase: string): void {
  if (typeof passphrase !== 'string' || passphrase.length < MIN_PASSPHRASE_LENGTH) throw new KeyFileError(`the key passphrase must be at least ${MIN_PASSPHRASE_LENGTH} characters`);
}

const validN = (N: number, min: number) => Number.isInteger(Math.log2(N)) && N >= min && N <= MAX_SCRYPT_N;

/** Whether a file should be re-encrypted at the current cost on its next write (it was sealed with a weaker N). */
export function needsReseal(header: KeyFileHeader): boolean {
  return header.kdf.N < MIN_SCRYPT_N;
}

/** Encrypts a secret into the key file's text form. */
export async function sealKeyFile(input: SealKeyFileInput, passphrase: string): Promise<string> {
  checkPassphrase(passphrase);
  const N = input.scryptN ?? MIN_SCRYPT_N;
  if (!validN(N, MIN_SCRYPT_N)) throw new KeyFileError(`scrypt N must be a power of two in 2^17..2^20, got ${N}`);
  const salt = randomBytes(16);
  const nonce = randomBytes(12);
  const header: KeyFileHeader = {
    format: KEY_FILE_FORMAT,
    version: KEY_FILE_VERSION,
    kind: input.kind,
    signerIndex: input.signerIndex,
    groupKey: input.groupKey,
    kdf: { name: 'scrypt', N, r: 8, p: 1, salt: salt.toString('hex') },
    cipher: { name: 'aes-256-gcm', nonce: nonce.toString('hex') },
    meta: input.meta ?? {},
  };
  const parsedHeader = headerSchema.parse(header);
  const key = await scrypt(passphrase, salt, N, 8, 1);
  try {
    const cipher = createCipheriv('aes-256-gcm', key, nonce);
    cipher.setAAD(canonicalBytes(parsedHeader));
    const ciphertext = Buffer.concat([cipher.update(input.secret), cipher.final()]);
    return `${JSON.stringify({ header: parsedHeader, ciphertext: ciphertext.toString('hex'), tag: cipher.getAuthTag().toString('hex') }, null, 2)}\n`;
  } finally {
    key.fill(0);
  }
}

export interface OpenKeyFileExpectation {
  kind: KeyFileKind;
  signerIndex: number;
  /** Where the text came from, for error messages. */
  source?: string;
}

/** Decrypts a key file; checks the header belongs to this signer and kind before deriving the key. */
export async function openKeyFile(text: string, passphrase: string, expect: OpenKeyFileExpectation): Promise<{ header: KeyFileHeader; secret: Uint8Array }> {
  const where = expect.source ?? 'key file';
  checkPassphrase(passphrase);
  let file: z.infer<typeof fileSchema>;
  try {
    const parsed = fileSchema.safeParse(JSON.parse(text));
    if (!parsed.success) throw new Error(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    file = parsed.data;
  } catch (err) {
    throw new KeyFileError(`${where} is not a tapbridge key file: ${(err as Error).message}`);
  }
  const { header } = file;
  if (header.version !== KEY_FILE_VERSION) throw new KeyFileError(`${where} has format version ${header.version}; this build reads version ${KEY_FILE_VERSION}`);
  if (header.kind !== expect.kind) throw new KeyFileError(`${where} holds a ${header.kind}, expected a ${expect.kind}`);
  if (header.signerIndex !== expect.signerIndex) throw new KeyFileError(`${where} belongs to signer ${header.signerIndex}, this is signer ${expect.signerIndex}`);
  const { N, r, p, salt } = header.kdf;
  if (!validN(N, LEGACY_MIN_SCRYPT_N)) throw new KeyFileError(`${where} uses scrypt N = ${N}; it must be a power of two in 2^15..2^20`);
  const key = await scrypt(passphrase, Buffer.from(salt, 'hex'), N, r, p);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(header.cipher.nonce, 'hex'));
    decipher.setAAD(canonicalBytes(header));
    decipher.setAuthTag(Buffer.from(file.tag, 'hex'));
    const secret = Buffer.concat([decipher.update(Buffer.from(file.ciphertext, 'hex')), decipher.final()]);
    return { header, secret: new Uint8Array(secret.buffer, secret.byteOffset, secret.byteLength) };
  } catch {
    throw new KeyFileError(`cannot decrypt ${where}: wrong passphrase, or the file was modified`);
  } finally {
    key.fill(0);
  }
}

/** Whether a key file's text was sealed with a weaker scrypt cost than new files get (re-encrypt it). */
export function keyFileNeedsReseal(text: string): boolean {
  try {
    const parsed = fileSchema.safeParse(JSON.parse(text));
    return parsed.success && needsReseal(parsed.data.header);
  } catch {
    return false;
  }
}
