import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '@tapbridge/testing';
import { OUTBOX_INBOX_SQL_PATH } from '../src/index.js';

// Each service owns its schema, so each carries the messaging tables in its own first migration. This keeps every
// copy identical to the canonical DDL the outbox and inbox code is written against.
const canonical = readFileSync(OUTBOX_INBOX_SQL_PATH, 'utf8').trim();
const appsDir = path.join(repoRoot, 'apps');
const services = readdirSync(appsDir).filter((app) => existsSync(path.join(appsDir, app, 'prisma', 'migrations')));

describe('service migrations', () => {
  it('exist for at least one service', () => expect(services.length).toBeGreaterThan(0));
  it.each(services)('%s: the first migration starts with the canonical outbox/inbox DDL', (app) => {
    const dir = path.join(appsDir, app, 'prisma', 'migrations');
    const first = readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort()[0]!;
    const sql = readFileSync(path.join(dir, first, 'migration.sql'), 'utf8');
    expect(sql.trimStart().startsWith(canonical)).toBe(true);
  });
});
