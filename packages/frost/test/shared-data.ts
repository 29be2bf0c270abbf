import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** /work/shared beside the repository root; tests skip when it is absent. */
export const SHARED_DIR = path.resolve(fileURLToPath(new URL('../../..', import.meta.url)), '../shared');
export const VECTORS_DIR = path.join(SHARED_DIR, 'vectors');

export function vectorsPresent(sub: string): boolean {
  const present = fs.existsSync(path.join(VECTORS_DIR, sub));
  if (!present) console.warn(`skipping: ${path.join(VECTORS_DIR, sub)} not found (shared test data is not checked out)`);
  return present;
}

export function readVectors<T>(sub: string, file: string): T {
  return JSON.parse(fs.readFileSync(path.join(VECTORS_DIR, sub, file), 'utf8')) as T;
}

export const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));
export const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex').toUpperCase();
