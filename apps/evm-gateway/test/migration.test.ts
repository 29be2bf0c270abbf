import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { evmMigrationSql } from '@tapbridge/evm';
import { describe, expect, it } from 'vitest';

// The gateway's schema holds the EVM chain store, so its first migration carries packages/evm's DDL. This keeps the
// copy identical to what PostgresChainStore is written against, and flags a new packages/evm migration to port.
const migrationsDir = fileURLToPath(new URL('../prisma/migrations', import.meta.url));
const migrations = fs.readdirSync(migrationsDir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
const read = (name: string) => fs.readFileSync(path.join(migrationsDir, name, 'migration.sql'), 'utf8');

describe('evm-gateway migrations', () => {
  it('carry every packages/evm migration verbatim', () => {
    const ours = migrations.map(read).join('\n');
    const evm = evmMigrationSql();
    expect(evm.length).toBeGreaterThan(0);
    for (const sql of evm) expect(ours.includes(sql.trim())).toBe(true);
  });
});
