import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

/**
 * API keys for state-changing HTTP endpoints. A key is `tbk_<id>_<secret>`: the id (8 random bytes, hex) finds the
 * row, the secret (32 random bytes, base64url) makes it unguessable. Only sha256(key) is stored, compared in
 * constant time; a high-entropy key needs no slow hash. Keys live in one schema of the database the services share.
 */
export const API_KEYS_SCHEMA = 'tapbridge_auth';
export const API_KEYS_MIGRATIONS_DIR = fileURLToPath(new URL('../migrations/api-keys', import.meta.url));

/** What a key may do. `*` is every scope. */
export const API_KEY_SCOPES = {
  'signatures:create': 'request threshold signatures (POST /signatures)',
  'dkg:run': 'start a distributed key generation',
  'config:write': 'change a service\'s configuration at run time',
  'sweeps:write': 'operate the sweep pipeline (pause, resume, bump fees)',
  'webhooks:manage': 'subscribe URLs to deposit and withdrawal status changes, and read their deliveries (api-gateway)',
  '*': 'every scope',
} as const;

const SCOPE_RE = /^(\*|[a-z][a-z0-9-]*:[a-z][a-z0-9-]*)$/;
const KEY_RE = /^tbk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;
const TABLE = `"${API_KEYS_SCHEMA}"."api_key"`;

type Queryable = Pick<pg.Pool, 'query'>;

export interface ApiKeyInfo {
  id: string;
  name: string;
  scopes: string[];
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

export class ApiKeyError extends Error {
  override readonly name = 'ApiKeyError';
}

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest();

export function validateScopes(scopes: readonly string[]): string[] {
  if (scopes.length === 0) throw new ApiKeyError('a key needs at least one scope');
  for (const s of scopes) if (!SCOPE_RE.test(s)) throw new ApiKeyError(`invalid scope ${JSON.stringify(s)}: use area:action (e.g. signatures:create) or *`);
  return [...new Set(scopes)];
}

/** Creates a key; the returned `key` is the only copy of the secret (store it where the client reads it). */
export async function createApiKey(db: Queryable, o: { name: string; scopes: readonly string[]; expiresAt?: Date }): Promise<{ key: string; info: ApiKeyInfo }> {
  if (!/^[\w .:@-]{1,100}$/.test(o.name)) throw new ApiKeyError('name must be 1-100 letters, digits, spaces or ._:@-');
  const scopes = validateScopes(o.scopes);
  const id = randomBytes(8).toString('hex');
  const key = `tbk_${id}_${randomBytes(32).toString('base64url')}`;
  const { rows } = await db.query<Row>(
    `INSERT INTO ${TABLE} (id, name, key_sha256, scopes, expires_at) VALUES ($1, $2, $3, $4, $5) RETURNING *`,
    [id, o.name, sha256(key), scopes, o.expiresAt ?? null],
  );
  return { key, info: toInfo(rows[0]!) };
}

export async function listApiKeys(db: Queryable): Promise<ApiKeyInfo[]> {
  const { rows } = await db.query<Row>(`SELECT * FROM ${TABLE} ORDER BY created_at, id`);
  return rows.map(toInfo);
}

/** Revokes a key by id (the `tbk_<id>_` part); false when there is no such live key. */
export async function revokeApiKey(db: Queryable, id: string): Promise<boolean> {
  const { rowCount } = await db.query(`UPDATE ${TABLE} SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL`, [id.toLowerCase()]);
  return (rowCount ?? 0) > 0;
}

/** The live key matching `presented`, or undefined (unknown, wrong secret, revoked or expired). */
export async function verifyApiKey(db: Queryable, presented: string): Promise<ApiKeyInfo | undefined> {
  const m = KEY_RE.exec(presented);
  if (!m) return undefined;
  const { rows } = await db.query<Row>(`SELECT * FROM ${TABLE} WHERE id = $1`, [m[1]]);
  const row = rows[0];
  // Compare even when the id is unknown, so a wrong id and a wrong secret take the same time.
  const expected = row?.key_sha256 ?? Buffer.alloc(32);
  const ok = timingSafeEqual(sha256(presented), expected) && row !== undefined;
  if (!ok || row.revoked_at || (row.expires_at && row.expires_at.getTime() <= Date.now())) return undefined;
  void db.query(`UPDATE ${TABLE} SET last_used_at = now() WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`, [row.id]).catch(() => {});
  return toInfo(row);
}

export function hasScope(key: Pick<ApiKeyInfo, 'scopes'>, scope: string): boolean {
  return key.scopes.includes('*') || key.scopes.includes(scope);
}

interface Row {
  id: string;
  name: string;
  key_sha256: Buffer;
  scopes: string[];
  created_at: Date;
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
}

function toInfo(r: Row): ApiKeyInfo {
  return {
    id: r.id,
    name: r.name,
    scopes: r.scopes,
    createdAt: r.created_at.toISOString(),
    expiresAt: r.expires_at?.toISOString() ?? null,
    revokedAt: r.revoked_at?.toISOString() ?? null,
    lastUsedAt: r.last_used_at?.toISOString() ?? null,
  };
}

/** Creates the key table if missing (the services do this at start; the CLI before it writes). */
export async function migrateApiKeys(databaseUrl: string): Promise<void> {
  const { migrate } = await import('@tapbridge/db');
  await migrate({ databaseUrl, schema: API_KEYS_SCHEMA, migrationsDir: API_KEYS_MIGRATIONS_DIR });
}

/** Runs `fn` against the key table of `databaseUrl` (created if missing), for tools such as `tapbridge apikey`. */
export async function withApiKeyDatabase<T>(databaseUrl: string, fn: (db: Pick<pg.Pool, 'query'>) => Promise<T>): Promise<T> {
  await migrateApiKeys(databaseUrl);
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 1 });
  try {
    return await fn(pool);
  } finally {
    await pool.end();
  }
}
