import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root and the shared data folder that sits beside it (`../shared`). */
export const repoRoot = path.resolve(fileURLToPath(new URL('../../..', import.meta.url)));
export const sharedDir = path.resolve(repoRoot, '../shared');
export const hasShared = fs.existsSync(sharedDir);
export const sharedMissingMessage = `../shared not found beside the repository (looked in ${sharedDir}); tests that need real Bitcoin data and BIP vectors are skipped`;
