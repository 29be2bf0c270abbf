import { createHash } from 'node:crypto';
import { mkdtemp, mkdir, writeFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, migrate, MigrationError, type TestDatabase } from '../src/index.js';

let db: TestDatabase;
let dir: string;

async function addMigration(name: string, sql: string) {
  await mkdir(path.join(dir, name), { recursive: true });
  await writeFile(path.join(dir, name, 'migration.sql'), sql);
}

beforeAll(async () => {
  db = await createTestDatabase();
  dir = await mkdtemp(path.join(os.tmpdir(), 'tb-migrations-'));
});
afterAll(async () => {
  await db?.drop();
  await rm(dir, { recursive: true, force: true });
});

describe('migrate', () => {
  it('applies migrations in order, records them like prisma migrate, and is idempotent', async () => {
    await addMigration('20260101000000_init', 'CREATE TABLE widget (id int PRIMARY KEY, name text NOT NULL);');
    await addMigration('20260102000000_add_color', 'ALTER TABLE widget ADD COLUMN color text;');
    const first = await migrate({ databaseUrl: db.url, schema: 'svc_a', migrationsDir: dir });
    expect(first.applied).toEqual(['20260101000000_init', '20260102000000_add_color']);
    const second = await migrate({ databaseUrl: db.url, schema: 'svc_a', migrationsDir: dir });
    expect(second).toEqual({ applied: [], alreadyApplied: first.applied });

    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    const { rows } = await c.query(
      'SELECT migration_name, checksum, finished_at, applied_steps_count FROM svc_a._prisma_migrations ORDER BY migration_name',
    );
    await c.end();
    expect(rows.map((r) => r.migration_name)).toEqual(first.applied);
    expect(rows[0].checksum).toBe(
      createHash('sha256').update('CREATE TABLE widget (id int PRIMARY KEY, name text NOT NULL);').digest('hex'),
    );
    expect(rows.every((r) => r.finished_at instanceof Date && r.applied_steps_count === 1)).toBe(true);
  });

  it('keeps schemas apart: another service applies the same folder into its own schema', async () => {
    const res = await migrate({ databaseUrl: db.url, schema: 'svc_b', migrationsDir: dir });
    expect(res.applied).toHaveLength(2);
  });

  it('refuses a migration that was edited after it was applied', async () => {
    await writeFile(path.join(dir, '20260102000000_add_color', 'migration.sql'), 'ALTER TABLE widget ADD COLUMN colour text;');
    await expect(migrate({ databaseUrl: db.url, schema: 'svc_a', migrationsDir: dir })).rejects.toThrow(
      /20260102000000_add_color was changed after it was applied/,
    );
  });

  it('rolls back a failing migration completely, leaving no record and no partial change', async () => {
    const fresh = await mkdtemp(path.join(os.tmpdir(), 'tb-migrations-'));
    await mkdir(path.join(fresh, '001_ok'));
    await writeFile(path.join(fresh, '001_ok', 'migration.sql'), 'CREATE TABLE a (id int);');
    await mkdir(path.join(fresh, '002_bad'));
    await writeFile(path.join(fresh, '002_bad', 'migration.sql'), 'CREATE TABLE b (id int); SELECT * FROM missing_table;');
    await expect(migrate({ databaseUrl: db.url, schema: 'svc_c', migrationsDir: fresh })).rejects.toBeInstanceOf(MigrationError);
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    const names = (await c.query('SELECT migration_name FROM svc_c._prisma_migrations')).rows.map((r) => r.migration_name);
    const tableB = await c.query(`SELECT to_regclass('svc_c.b') AS t`);
    await c.end();
    expect(names).toEqual(['001_ok']);
    expect(tableB.rows[0].t).toBeNull();
    await rm(fresh, { recursive: true, force: true });
  });

  it('rejects an unsafe schema name', async () => {
    await expect(migrate({ databaseUrl: db.url, schema: 'x"; drop', migrationsDir: dir })).rejects.toThrow(/invalid schema name/);
  });
});
