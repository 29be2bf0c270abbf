import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root and the shared data folder that sits beside it (`../shared`): the one place tests find it. */
export const repoRoot = path.resolve(fileURLToPath(new URL('../../..', import.meta.url)));
export const sharedDir = path.resolve(repoRoot, '../shared');
export const hasShared = fs.existsSync(sharedDir);
export const sharedMissingMessage = `../shared not found beside the repository (looked in ${sharedDir}); tests that need real Bitcoin data and BIP vectors are skipped`;

/** A path under ../shared (e.g. `sharedPath('bitcoin-data', 'networks.json')`). */
export function sharedPath(...parts: string[]): string {
  return path.join(sharedDir, ...parts);
}

/** Whether a path under ../shared exists; tests skip on false with a name that says what they need. */
export function sharedHas(...parts: string[]): boolean {
  return fs.existsSync(sharedPath(...parts));
}
