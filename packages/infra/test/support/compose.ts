// docker-compose.yml as `docker compose config` would read it with an empty .env (every `${VAR:-default}` takes its
// default): YAML merge keys resolved and variables interpolated. No compose engine runs on these machines.
import fs from 'node:fs';
import path from 'node:path';
import { load } from 'js-yaml';
import { repoRoot } from './paths.js';

/** YAML 1.1 merge keys (`<<: *anchor` or `<<: [*a, *b]`): explicit keys win, then earlier sources. */
export function resolveMerges(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(resolveMerges);
  if (value === null || typeof value !== 'object') return value;
  const obj = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  const merge = obj['<<'];
  const sources = merge === undefined ? [] : Array.isArray(merge) ? merge : [merge];
  for (const src of [...sources].reverse()) Object.assign(out, resolveMerges(src) as Record<string, unknown>);
  for (const [k, v] of Object.entries(obj)) if (k !== '<<') out[k] = resolveMerges(v);
  return out;
}

/** Compose interpolation: ${VAR}, ${VAR:-default}, ${VAR-default}, $$ for a literal $. */
export function interpolate(text: string, env: Record<string, string | undefined>): string {
  return text.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([^}]*))?\}/g, (match, name: string | undefined, op: string | undefined, fallback: string | undefined) => {
    if (match === '$$') return '$';
    const value = env[name!];
    if (op === ':-') return value === undefined || value === '' ? fallback! : value;
    if (op === '-') return value === undefined ? fallback! : value;
    if (value === undefined) throw new Error(`compose: \${${name}} has no default and is not set`);
    return value;
  });
}

function interpolateAll(value: unknown, env: Record<string, string | undefined>): unknown {
  if (typeof value === 'string') return interpolate(value, env);
  if (Array.isArray(value)) return value.map((v) => interpolateAll(v, env));
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolateAll(v, env)]));
  return value;
}

export interface ComposeService {
  image?: string;
  command?: string[] | string;
  environment?: Record<string, string | number | boolean | null> | string[];
  secrets?: Array<{ source: string; target?: string } | string>;
  ports?: string[];
  profiles?: string[];
}
export interface ComposeFile {
  services: Record<string, ComposeService>;
  secrets?: Record<string, { file: string }>;
}

export function loadCompose(env: Record<string, string | undefined> = {}): ComposeFile {
  const raw = load(fs.readFileSync(path.join(repoRoot, 'docker-compose.yml'), 'utf8'));
  return interpolateAll(resolveMerges(raw), env) as ComposeFile;
}

/** A service's environment as strings (compose turns numbers and booleans into their text). */
export function serviceEnv(service: ComposeService): Record<string, string> {
  const e = service.environment ?? {};
  if (Array.isArray(e)) return Object.fromEntries(e.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
  return Object.fromEntries(Object.entries(e).filter(([, v]) => v !== null).map(([k, v]) => [k, String(v)]));
}

/** The file behind /run/secrets/<target> in a service (compose secrets). */
export function secretFile(compose: ComposeFile, service: ComposeService, runPath: string): string {
  const target = runPath.replace(/^\/run\/secrets\//, '');
  const ref = (service.secrets ?? []).map((s) => (typeof s === 'string' ? { source: s, target: s } : { source: s.source, target: s.target ?? s.source })).find((s) => s.target === target);
  const file = ref && compose.secrets?.[ref.source]?.file;
  if (!file) throw new Error(`compose: no secret mounted at ${runPath}`);
  return fs.readFileSync(path.resolve(repoRoot, file), 'utf8').trim();
}
