// rpc.signing.sessions.list on a real Postgres: signature requests newest first, a page at a time, none skipped or
// repeated when several share a millisecond (created_at keeps microseconds), filtered by status; bad cursors refused.
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrismaClient, migrate } from '@tapbridge/db';
import { createTestDatabase, repoRoot, type TestDatabase } from '@tapbridge/testing';
import { PrismaClient } from '../src/generated/prisma/client.js';
import { SessionsPageRequest, SigningRpcController } from '../src/signing.rpc.js';

const SCHEMA = 'signing_coordinator';
let db: TestDatabase;
let pool: pg.Pool;
let prisma: PrismaClient;
let rpc: SigningRpcController;

// Seven requests: r1..r7 oldest to newest; r3, r4 and r5 in the same millisecond, apart only in microseconds.
const CREATED = ['2026-12-03 10:00:00.100000', '2026-12-03 10:00:00.200000', '2026-12-03 10:00:00.300100', '2026-12-03 10:00:00.300200', '2026-12-03 10:00:00.300300', '2026-12-03 10:00:00.400000', '2026-12-03 10:00:00.500000'];

beforeAll(async () => {
  db = await createTestDatabase();
  await migrate({ databaseUrl: db.url, schema: SCHEMA, migrationsDir: path.join(repoRoot, 'apps/signing-coordinator/prisma/migrations') });
  pool = new pg.Pool({ connectionString: db.url, max: 2 });
  prisma = createPrismaClient(PrismaClient, { pool, schema: SCHEMA });
  // The handler reads Prisma only; the API object is not touched by it.
  rpc = new SigningRpcController(undefined as never, prisma);
  for (const [i, at] of CREATED.entries()) {
    const signed = i % 2 === 0;
    await pool.query(
      `INSERT INTO ${SCHEMA}.signature_request (id, purpose, request, message, output_key, status, attempt, signature, signers, created_at, completed_at)
       VALUES ($1, 'sweep', '{}', $2, $3, $4, 1, $5, $6, $7::timestamptz, $8::timestamptz)`,
      [`sweep:r${i + 1}`, 'ab'.repeat(32), 'cd'.repeat(32), signed ? 'signed' : 'pending', signed ? 'ef'.repeat(64) : null, signed ? [1, 3] : null, `${at}Z`, signed ? `${at}Z` : null],
    );
  }
}, 120_000);
afterAll(async () => {
  await prisma?.$disconnect();
  await pool?.end();
  await db?.drop();
});

const ask = (q: unknown) => rpc.sessions(SessionsPageRequest.schema.parse(q) as SessionsPageRequest);

async function all(q: Record<string, unknown>): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await ask({ ...q, ...(cursor ? { cursor } : {}) });
    ids.push(...page.items.map((s) => s.id));
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return ids;
}

describe('rpc.signing.sessions.list', () => {
  it('pages newest first, each request once, also through rows that share a millisecond', async () => {
    expect(await all({ limit: 2 })).toEqual(['sweep:r7', 'sweep:r6', 'sweep:r5', 'sweep:r4', 'sweep:r3', 'sweep:r2', 'sweep:r1']);
    expect(await all({ limit: 1 })).toHaveLength(7);
    const first = await ask({ limit: 1 });
    expect(first).toEqual({
      items: [{
        id: 'sweep:r7', status: 'signed', purpose: 'sweep', message: 'ab'.repeat(32), outputKey: 'cd'.repeat(32), signature: 'ef'.repeat(64), signers: [1, 3], attempt: 1,
        error: null, createdAt: '2026-12-03T10:00:00.500Z', completedAt: '2026-12-03T10:00:00.500Z',
      }],
      nextCursor: 'sweep:r7',
    });
    expect((await ask({ limit: 500 })).nextCursor).toBeUndefined();
  });

  it('filters by status (a pending request has no signers: null, not [])', async () => {
    expect(await all({ limit: 2, status: 'pending' })).toEqual(['sweep:r6', 'sweep:r4', 'sweep:r2']);
    expect((await ask({ status: 'pending', limit: 1 })).items[0]).toMatchObject({ signers: null, signature: null, completedAt: null });
  });

  it('refuses a cursor it never gave, a limit out of range and an unknown status', async () => {
    await expect(ask({ cursor: 'sweep:nope' })).rejects.toMatchObject({ code: 'invalid_request', status: 400 });
    for (const bad of [{ limit: 0 }, { limit: 501 }, { status: 'lost' }, { cursor: 'bad id\u0000' }]) expect(SessionsPageRequest.schema.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
  });
});
