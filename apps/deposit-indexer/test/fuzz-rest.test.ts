// REST input at the edge: the probe's 500s (vout 2^31, cursors Postgres cannot read) are 400s now, and fuzzed
// bodies, params and queries get a 400 (or pass with values Postgres accepts). Input goes through the global zod
// pipe, as Nest runs it, into the controller, which runs against a recording stand-in for the service; the queries
// that validated input reaches run against real Postgres.
// FUZZ_RUNS scales the iterations; FUZZ_SEED / FUZZ_PATH replay a failure.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BadRequestException, HttpException, type ArgumentMetadata } from '@nestjs/common';
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createPrismaClient, migrate } from '@tapbridge/db';
import { DomainError, ZodValidationPipe } from '@tapbridge/runtime/nest';
import { createTestDatabase, type TestDatabase } from '@tapbridge/testing';
import { FUZZ_TIMEOUT_MS, anyJson, fuzzParams, mutatedJson } from '../../../packages/testing/src/fuzz.js';
import { DepositParams, ListDepositsQuery, MAX_VOUT, RegisterDepositDto, depositParams, listDepositsQuery, registerDepositBody } from '../src/deposit-dto.js';
import { DepositQueries } from '../src/deposit-queries.js';
import type { DepositService } from '../src/deposit-service.js';
import { DepositsController } from '../src/deposits.controller.js';
import { PrismaClient } from '../src/generated/prisma/client.js';

// Fuzzing is CPU-bound: on a loaded shared machine a property can take minutes (no timing is asserted).
vi.setConfig({ testTimeout: FUZZ_TIMEOUT_MS });

const SCHEMA = 'deposit_indexer';
const TXID = 'ab'.repeat(32);
let db: TestDatabase;
let pool: pg.Pool;
let prisma: PrismaClient;
let queries: DepositQueries;

beforeAll(async () => {
  db = await createTestDatabase();
  await migrate({ databaseUrl: db.url, schema: SCHEMA, migrationsDir: path.resolve(fileURLToPath(new URL('../prisma/migrations', import.meta.url))) });
  pool = new pg.Pool({ connectionString: db.url, max: 2 });
  prisma = createPrismaClient(PrismaClient, { pool, schema: SCHEMA });
  queries = new DepositQueries(prisma);
});
afterAll(async () => {
  await prisma?.$disconnect();
  await pool?.end();
  await db?.drop();
});

const pipe = new ZodValidationPipe();
const validated = <T>(type: ArgumentMetadata['type'], metatype: ArgumentMetadata['metatype'], raw: unknown) => pipe.transform(raw, { type, metatype }) as Promise<T> | T;

/**
 * The controller over real queries, each route's raw input first through the global pipe (as Nest calls it);
 * registration is refused by the stand-in service after validation.
 */
function controller() {
  const registered: unknown[] = [];
  const service = { register: async (b: unknown) => (registered.push(b), Promise.reject(new Error('stand-in: not registering'))) } as unknown as DepositService;
  const c = new DepositsController(service, queries);
  return {
    registered,
    c: {
      one: async (raw: Record<string, unknown>) => c.one(await validated<DepositParams>('param', DepositParams, raw)),
      list: async (raw: Record<string, unknown>) => c.list(await validated<ListDepositsQuery>('query', ListDepositsQuery, raw)),
      register: async (raw: unknown, res: { status(code: number): unknown }) => c.register(await validated<RegisterDepositDto>('body', RegisterDepositDto, raw), res),
    },
  };
}

/** A 4xx HttpException or DomainError, or a result: never a 5xx or another exception (Postgres errors were 500s). */
async function clientErrorOrResult(f: () => Promise<unknown>): Promise<unknown> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof HttpException && e.getStatus() >= 400 && e.getStatus() < 500) return e;
    if (e instanceof DomainError && e.status >= 400 && e.status < 500) return e;
    throw e;
  }
}

const status = async (f: () => Promise<unknown>): Promise<number> => {
  const r = await clientErrorOrResult(f);
  return r instanceof HttpException ? r.getStatus() : r instanceof DomainError ? r.status : 200;
};

describe('the probe\u2019s 500s are 400s', () => {
  it('GET /deposits/<txid>/2147483648 and other out-of-range vouts', async () => {
    const { c } = controller();
    for (const vout of ['2147483648', '4294967295', '9999999999', '-1', '01', '1e3', '', ' 1']) {
      const e = await clientErrorOrResult(() => c.one({ txid: TXID, vout }));
      expect(e, `vout ${vout}`).toBeInstanceOf(BadRequestException);
    }
    expect(await status(() => c.one({ txid: TXID, vout: String(MAX_VOUT) }))).toBe(404);
    expect(await status(() => c.one({ txid: TXID.toUpperCase(), vout: '0' }))).toBe(404);
  });

  it('bad cursors: 1|<hex>|1, -1, far dates, impossible dates, a huge vout', async () => {
    const { c } = controller();
    const bad = [
      `1|${TXID}|1`,
      '-1',
      `-1|${TXID}|1`,
      `275760-09-13T00:00:00.000Z|${TXID}|1`,
      `+275760-09-13T00:00:00.000Z|${TXID}|1`,
      `0000-01-01T00:00:00.000Z|${TXID}|1`,
      `2026-02-30T00:00:00.000Z|${TXID}|1`,
      `2026-13-01T00:00:00.000Z|${TXID}|1`,
      `2026-01-01T24:00:00.000Z|${TXID}|1`,
      `2026-01-01T00:00:00.000Z|${TXID}|2147483648`,
      `2026-01-01T00:00:00.000Z|${TXID.toUpperCase()}|1`,
      `2026-01-01T00:00:00.0000000Z|${TXID}|1`,
      `2026-01-01|${TXID}|1`,
    ];
    for (const cursor of bad) {
      const e = await clientErrorOrResult(() => c.list({ cursor }));
      expect(e, cursor).toBeInstanceOf(BadRequestException);
    }
    // What a page hands out, and the extremes Postgres can hold, are read.
    for (const at of ['2026-12-03T11:00:00.123456Z', '0001-01-01T00:00:00Z', '9999-12-31T23:59:59.999999Z', '2024-02-29T00:00:00.000Z'])
      expect(await c.list({ cursor: `${at}|${TXID}|${MAX_VOUT}` })).toEqual({ items: [] });
  });

  it('the nextCursor a page hands out is accepted and leads to the next page', async () => {
    const { c } = controller();
    for (const [txid, at] of [['01'.repeat(32), '2026-12-03 10:00:00.123456+00'], ['02'.repeat(32), '2026-12-03 10:00:01.5+00'], ['03'.repeat(32), '2026-12-03 10:00:02+00']])
      await pool.query(
        `INSERT INTO ${SCHEMA}.deposit (txid, vout, kind, script_pub_key, amount_sats, recipient, max_fee_sats, status, created_at) VALUES ($1, 0, 'op_return', '51', 1000, $2, 0, 'seen', $3)`,
        [txid, '0x' + '12'.repeat(20), at],
      );
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await c.list({ limit: '1', ...(cursor ? { cursor } : {}) });
      seen.push(...page.items.map((d) => d.txid));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(['03'.repeat(32), '02'.repeat(32), '01'.repeat(32)]);
    await pool.query(`DELETE FROM ${SCHEMA}.deposit`);
  });

  it('POST /deposits refuses a vout Postgres cannot store, before the service sees it', async () => {
    const { c, registered } = controller();
    const body = { txid: TXID, vout: 2147483648, depositScript: '00', reclaimScript: '00' };
    expect(await clientErrorOrResult(() => c.register(body, { status: () => undefined }))).toBeInstanceOf(BadRequestException);
    expect(registered).toEqual([]);
  });
});

describe('fuzz: REST input of the deposit-indexer', () => {
  const validBody = { txid: TXID, vout: 1, depositScript: '0102', reclaimScript: '0304' };
  const validQuery = { recipient: '0x' + '12'.repeat(20), status: 'confirmed', limit: '10', cursor: `2026-12-03T11:00:00.123456Z|${TXID}|3` };

  it('GET /deposits: fuzzed queries are 400s or pages (never a Postgres error)', async () => {
    const { c } = controller();
    const cursor = fc.oneof(
      fc.string({ maxLength: 120 }),
      fc.tuple(fc.date({ min: new Date(-70_000_000_000_000), max: new Date(8_000_000_000_000_000), noInvalidDate: false }), fc.oneof(fc.constant(TXID), fc.string()), fc.oneof(fc.nat(), fc.integer(), fc.constant(2 ** 40))).map(([d, t, v]) => {
        let at: string;
        try {
          at = d.toISOString();
        } catch {
          at = String(d);
        }
        return `${at}|${t}|${v}`;
      }),
    );
    await fc.assert(
      fc.asyncProperty(fc.oneof(mutatedJson([validQuery]), fc.record({ cursor }), fc.dictionary(fc.string({ maxLength: 10 }), fc.oneof(fc.string(), anyJson()))), async (q) => {
        await clientErrorOrResult(() => c.list(q as Record<string, unknown>));
      }),
      fuzzParams(600),
    );
  });

  it('GET /deposits/:txid/:vout: fuzzed params are 400s, 404s or deposits', async () => {
    const { c } = controller();
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string({ maxLength: 70 }), fc.constant(TXID)), fc.oneof(fc.string({ maxLength: 12 }), fc.bigInt({ min: -1n, max: 2n ** 40n }).map(String), fc.constant('\u0000')), async (txid, vout) => {
        await clientErrorOrResult(() => c.one({ txid, vout }));
      }),
      fuzzParams(600),
    );
  });

  it('POST /deposits: fuzzed bodies are refused with 400 unless they fit the schema', async () => {
    const { c, registered } = controller();
    await fc.assert(
      fc.asyncProperty(fc.oneof(mutatedJson([validBody]), anyJson()), async (body) => {
        const before = registered.length;
        const r = await clientErrorOrResult(() => c.register(body, { status: () => undefined })).catch((e: unknown) => e);
        // Only schema-valid bodies reach the service (whose stand-in then throws its own error).
        if (registered.length > before) expect(registerDepositBody.safeParse(body).success).toBe(true);
        else expect(r).toBeInstanceOf(BadRequestException);
      }),
      fuzzParams(2_000),
    );
  });

  it('the schemas never throw, whatever they are given', () => {
    fc.assert(
      fc.property(anyJson(), (v) => {
        registerDepositBody.safeParse(v);
        listDepositsQuery.safeParse(v);
        depositParams.safeParse(v);
      }),
      fuzzParams(3_000),
    );
  });
});
