// Each service's own configuration schema (apps/<app>/src/config.ts), to validate environments the way the
// service does at start-up (@tapbridge/config loadConfig).
import path from 'node:path';
import type { EnvSchema } from '@tapbridge/config';
import { repoRoot } from './paths.js';

const isSchema = (v: unknown): v is EnvSchema =>
  typeof v === 'object' && v !== null && typeof (v as { safeParse?: unknown }).safeParse === 'function' && typeof (v as { shape?: unknown }).shape === 'object';

/** The one zod object schema apps/<app>/src/config.ts exports. */
export async function configSchema(app: string): Promise<EnvSchema> {
  const mod = (await import(path.join(repoRoot, 'apps', app, 'src', 'config.ts'))) as Record<string, unknown>;
  const schemas = Object.entries(mod).filter(([, v]) => isSchema(v));
  if (schemas.length !== 1) throw new Error(`apps/${app}/src/config.ts must export exactly one config schema, found ${schemas.map(([k]) => k).join(', ') || 'none'}`);
  return schemas[0]![1] as EnvSchema;
}
