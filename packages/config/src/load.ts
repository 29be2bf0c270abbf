import { z } from 'zod';

/** Raised at start-up when the environment does not satisfy a service's schema. Lists every problem at once. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: ReadonlyArray<{ variable: string; message: string }>) {
    super(
      `invalid configuration:\n` + problems.map((p) => `  - ${p.variable}: ${p.message}`).join('\n'),
    );
  }
}

const SECRET_KEYS = new WeakSet<z.ZodType>();

/** Marks a schema as secret: its value is never printed by `describeConfig` or in errors. */
export function secret<T extends z.ZodType>(schema: T): T {
  SECRET_KEYS.add(schema);
  return schema;
}

export type EnvSchema = z.ZodObject<z.ZodRawShape>;
export type Env = Record<string, string | undefined>;

/**
 * Validates `env` against a service's schema. Keys of the schema are the variable names. Fails with a ConfigError
 * naming every missing or malformed variable (never its value: it may be a secret).
 */
export function loadConfig<S extends EnvSchema>(schema: S, env: Env = process.env): z.infer<S> {
  const input: Record<string, string | undefined> = {};
  for (const key of Object.keys(schema.shape)) {
    const raw = env[key];
    input[key] = raw === '' ? undefined : raw;
  }
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const variable = String(issue.path[0] ?? '(root)');
    const missing = input[variable] === undefined;
    return { variable, message: missing ? 'is required but not set' : issue.message };
  });
  throw new ConfigError(problems);
}

/** A printable view of a loaded config with secrets redacted, for start-up logs. */
export function describeConfig<S extends EnvSchema>(schema: S, config: z.infer<S>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, fieldSchema] of Object.entries(schema.shape)) {
    const value = (config as Record<string, unknown>)[key];
    out[key] = isSecret(fieldSchema as z.ZodType) ? (value === undefined ? undefined : '<redacted>') : redactUrl(value);
  }
  return out;
}

function isSecret(schema: z.ZodType): boolean {
  if (SECRET_KEYS.has(schema)) return true;
  // Unwrap optional/default wrappers, which are new schema objects around the marked one.
  const inner = (schema as unknown as { def?: { innerType?: z.ZodType } }).def?.innerType;
  return inner ? isSecret(inner) : false;
}

/** Passwords embedded in connection URLs are secrets too. */
function redactUrl(value: unknown): unknown {
  if (typeof value !== 'string' || !value.includes('://')) return value;
  try {
    const url = new URL(value);
    if (url.password) url.password = '<redacted>';
    return url.toString();
  } catch {
    return value;
  }
}
