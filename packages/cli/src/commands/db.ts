import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { ensureDatabase, migrate, serviceSchema } from '@tapbridge/db';
import { API_KEYS_MIGRATIONS_DIR, API_KEYS_SCHEMA } from '@tapbridge/runtime';

const repoRoot = path.resolve(fileURLToPath(new URL('../../../..', import.meta.url)));

/** Every app with SQL migrations owns the schema named after it (serviceSchema). */
export function serviceSchemas(): Array<{ app: string; schema: string; migrationsDir: string }> {
  const appsDir = path.join(repoRoot, 'apps');
  return readdirSync(appsDir)
    .map((app) => ({ app, schema: serviceSchema(app), migrationsDir: path.join(appsDir, app, 'prisma', 'migrations') }))
    .filter((s) => existsSync(s.migrationsDir));
}

/** `--app api-keys`: the API keys of the services' endpoints (packages/runtime), one schema shared in the database. */
const API_KEYS_APP = 'api-keys';

const databaseUrl = () => process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/tapbridge';

export function registerDb(program: Command): void {
  const db = program.command('db').description('database set-up: create the database, apply each service\'s migrations');
  db.command('create')
    .description('create the database named in DATABASE_URL if it does not exist')
    .action(async () => {
      const created = await ensureDatabase(databaseUrl());
      console.log(JSON.stringify({ database: new URL(databaseUrl()).pathname.slice(1), created }));
    });
  db.command('migrate')
    .description('apply checked-in SQL migrations for every service (or one), recorded as prisma migrate deploy does')
    .option('--app <name>', 'only this app (api-keys: only the API-key schema)')
    .action(async (opts: { app?: string }) => {
      const targets = serviceSchemas().filter((s) => !opts.app || s.app === opts.app);
      if (opts.app && opts.app !== API_KEYS_APP && targets.length === 0) throw new Error(`no app ${opts.app} with prisma/migrations`);
      for (const t of targets) {
        const res = await migrate({ databaseUrl: databaseUrl(), schema: t.schema, migrationsDir: t.migrationsDir });
        console.log(JSON.stringify({ app: t.app, schema: t.schema, applied: res.applied, alreadyApplied: res.alreadyApplied.length }));
      }
      // The API keys of the services' state-changing endpoints (packages/runtime api-keys), shared in this database.
      if (!opts.app || opts.app === API_KEYS_APP) {
        const res = await migrate({ databaseUrl: databaseUrl(), schema: API_KEYS_SCHEMA, migrationsDir: API_KEYS_MIGRATIONS_DIR });
        console.log(JSON.stringify({ schema: API_KEYS_SCHEMA, applied: res.applied, alreadyApplied: res.alreadyApplied.length }));
      }
    });
}
