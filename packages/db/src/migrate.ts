import { createHash, randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';

/**
 * Applies checked-in SQL migrations without Prisma's native migration engine (a binary download these machines
 * cannot reach). It records each one in `_prisma_migrations` exactly as `prisma migrate deploy` does (same table,
 * same sha256 checksum of migration.sql), so either tool sees the other's work as applied.
 */
export interface MigrateOptions {
  databaseUrl: string;
  /** The Postgres schema the service owns; created if missing. `_prisma_migrations` lives there too. */
  schema: string;
  /** A Prisma migrations folder: one sub-folder per migration, named so that they sort in order. */
  migrationsDir: string;
  log?: (line: string) => void;
}

export interface MigrateResult {
  applied: string[];
  alreadyApplied: string[];
}

export class MigrationError extends Error {
  override readonly name = 'MigrationError';
}

const SCHEMA_RE = /^[a-z_][a-z0-9_]*$/;

const CREATE_TABLE = `
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
  "id" VARCHAR(36) PRIMARY KEY NOT NULL,
  "checksum" VARCHAR(64) NOT NULL,
  "finished_at" TIMESTAMPTZ,
  "migration_name" VARCHAR(255) NOT NULL,
  "logs" TEXT,
  "rolled_back_at" TIMESTAMPTZ,
  "started_at" TIMESTAMPTZ NOT NULL DEFAULT now(),
  "applied_steps_count" INTEGER NOT NULL DEFAULT 0
)`;

export async function listMigrations(migrationsDir: string): Promise<Array<{ name: string; sql: string; checksum: string }>> {
  const entries = await readdir(migrationsDir, { withFileTypes: true });
  const names = entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
  const out = [];
  for (const name of names) {
    const sql = await readFile(path.join(migrationsDir, name, 'migration.sql'), 'utf8');
    out.push({ name, sql, checksum: createHash('sha256').update(sql).digest('hex') });
  }
  return out;
}

export async function migrate(options: MigrateOptions): Promise<MigrateResult> {
  const { schema, log = () => {} } = options;
  if (!SCHEMA_RE.test(schema)) throw new MigrationError(`invalid schema name ${JSON.stringify(schema)}`);
  const migrations = await listMigrations(options.migrationsDir);
  const client = new pg.Client({ connectionString: options.databaseUrl });
  await client.connect();
  const result: MigrateResult = { applied: [], alreadyApplied: [] };
  try {
    // One runner at a time per schema: replicas starting together must not apply a migration twice.
    await client.query('SELECT pg_advisory_lock(hashtext($1))', [`tapbridge-migrate:${schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    await client.query(`SET search_path TO "${schema}"`);
    await client.query(CREATE_TABLE);
    const { rows } = await client.query<{ migration_name: string; checksum: string; finished_at: Date | null }>(
      `SELECT migration_name, checksum, finished_at FROM "_prisma_migrations" WHERE rolled_back_at IS NULL`,
    );
    const done = new Map(rows.map((r) => [r.migration_name, r]));
    for (const m of migrations) {
      const previous = done.get(m.name);
      if (previous) {
        if (!previous.finished_at)
          throw new MigrationError(`migration ${m.name} in schema ${schema} started earlier but never finished; resolve it by hand`);
        if (previous.checksum !== m.checksum)
          throw new MigrationError(`migration ${m.name} was changed after it was applied to schema ${schema}`);
        result.alreadyApplied.push(m.name);
        continue;
      }
      // Each migration and its record commit together: a crash leaves it either fully applied or not at all.
      await client.query('BEGIN');
      try {
        const id = randomUUID();
        await client.query(
          `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at) VALUES ($1, $2, $3, now())`,
          [id, m.checksum, m.name],
        );
        await client.query(m.sql);
        await client.query(
          `UPDATE "_prisma_migrations" SET finished_at = now(), applied_steps_count = 1 WHERE id = $1`,
          [id],
        );
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw new MigrationError(`migration ${m.name} failed in schema ${schema}: ${(err as Error).message}`);
      }
      result.applied.push(m.name);
      log(`applied ${schema}/${m.name}`);
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock_all()').catch(() => {});
    await client.end();
  }
  return result;
}
