import fs from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';

/** Writes via a temporary file and rename, so a crash leaves the old or the new version, never half of one. */
export function writeJsonAtomic(filePath: string, value: unknown): void {
  fs.mkdirSync(path.dirname(filePath), { recursive: true });
  const tmp = `${filePath}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(value, null, 2) + '\n', { mode: 0o600 });
  fs.renameSync(tmp, filePath);
}

export function readJsonFile<T>(filePath: string, schema: z.ZodType<T>): T | undefined {
  if (!fs.existsSync(filePath)) return undefined;
  const parsed = schema.safeParse(JSON.parse(fs.readFileSync(filePath, 'utf8')));
  if (!parsed.success) throw new Error(`${filePath} is not a valid devnet-chain file: ${parsed.error.message}`);
  return parsed.data;
}
