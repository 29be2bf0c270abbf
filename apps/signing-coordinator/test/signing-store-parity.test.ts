// PostgresSigningStore against the in-memory store (real Postgres): every signing-loop scenario of
// @tapbridge/signing/testing (retry, silent signers, refusals, blame, stall, nonce lost, deadline, coordinator
// restart) run on both leaves the same requests, sessions, responses, misbehaviour counts and events.
import path from 'node:path';
import { bytesToHex } from '@noble/hashes/utils.js';
import { createPrismaClient, migrate } from '@tapbridge/db';
import { hostPublicKey, InMemorySigningStore } from '@tapbridge/signing';
import { Group, runSigningScenarios, signingSnapshot } from '@tapbridge/signing/testing';
import { createTestDatabase, repoRoot, type TestDatabase } from '@tapbridge/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrismaClient } from '../src/generated/prisma/client.js';
import { PostgresSigningStore } from '../src/postgres-signing-store.js';

const SCHEMA = 'signing_coordinator';
let db: TestDatabase;
let pool: pg.Pool;
let prisma: PrismaClient;
let group: Group;

beforeAll(async () => {
  db = await createTestDatabase();
  await migrate({ databaseUrl: db.url, schema: SCHEMA, migrationsDir: path.join(repoRoot, 'apps/signing-coordinator/prisma/migrations') });
  pool = new pg.Pool({ connectionString: db.url, max: 4 });
  prisma = createPrismaClient(PrismaClient, { pool, schema: SCHEMA });
  group = new Group(5, 3);
  await group.runDkg();
}, 120_000);

afterAll(async () => {
  await prisma?.$disconnect();
  await pool?.end();
  await db?.drop();
});

async function reset(): Promise<void> {
  await pool.query(`TRUNCATE ${SCHEMA}.signer_response, ${SCHEMA}.roast_session, ${SCHEMA}.signature_request, ${SCHEMA}.signer, ${SCHEMA}.outbox`);
  // The coordinator pins every signer before it signs anything: misbehaviour is counted on those rows.
  for (const [i, key] of group.hostKeys.entries()) await pool.query(`INSERT INTO ${SCHEMA}.signer (index, host_pubkey) VALUES ($1, $2)`, [i + 1, bytesToHex(hostPublicKey(key))]);
}

const postgres = () => new PostgresSigningStore({ prisma, schema: SCHEMA });

describe('PostgresSigningStore', () => {
  it('holds exactly what the in-memory store holds after every signing scenario, with the same events', { timeout: 300_000 }, async () => {
    await reset();
    const memory = new InMemorySigningStore();
    const pgStore = postgres();
    const memIds = await runSigningScenarios({ store: memory, group });
    const pgIds = await runSigningScenarios({ store: pgStore, group });
    const mem = await signingSnapshot(memory, memIds);
    expect(await signingSnapshot(pgStore, pgIds)).toEqual(mem);
    // The scenarios reach every outcome and every kind of response the loop records.
    const text = JSON.stringify(mem);
    for (const k of ['"signed"', '"failed"', '"nonce"', '"partial"', '"refusal"', '"misbehaviour"', '"timeout"', '"attempt":2']) expect(text).toContain(k);
    expect(await pgStore.misbehaviourCounts()).toEqual(new Map([1, 2, 3, 4, 5].map((i) => [i, i === 3 ? { count: 1, last: 'invalid_partial_signature: signer 3: invalid partial signature' } : { count: 0, last: null }])));
    expect(await memory.misbehaviourCounts()).toEqual(new Map([[3, { count: 1, last: 'invalid_partial_signature: signer 3: invalid partial signature' }]]));
    const outbox = await pool.query<{ event_id: string; subject: string; payload: unknown }>(`SELECT event_id, subject, payload FROM ${SCHEMA}.outbox ORDER BY seq`);
    const anonymous = (s: string, ids: Record<string, string>) => Object.entries(ids).reduce((acc, [name, id]) => acc.replaceAll(id, name), s);
    expect(outbox.rows.map((r) => JSON.parse(anonymous(JSON.stringify({ id: r.event_id, subject: r.subject, payload: r.payload }), pgIds)) as unknown)).toEqual(
      memory.outbox.map((e) => JSON.parse(anonymous(JSON.stringify(e), memIds)) as unknown),
    );
    expect(memory.outbox).toHaveLength(1);
  });

  it('a misbehaviour event is recorded once: a repeat adds no count, response or outbox row', async () => {
    await reset();
    const store = postgres();
    await store.createRequest({ id: 'req-1', purpose: 'message', request: { requestId: 'req-1', purpose: 'message', payload: { kind: 'message', message: '11'.repeat(32) }, tweak: { kind: 'key-path-only' } }, message: '11'.repeat(32), outputKey: '22'.repeat(32) });
    const event = { sessionId: 'req-1#1/1', signerId: 2, reason: 'invalid_partial_signature' as const, detail: 'signer 2: invalid partial signature' };
    for (let i = 0; i < 2; i++) await store.recordMisbehaviour(event, { requestId: 'req-1', attempt: 1, roastSession: 1 });
    expect((await store.misbehaviourCounts()).get(2)?.count).toBe(1);
    expect((await store.responses('req-1')).map((r) => r.kind)).toEqual(['misbehaviour']);
    expect((await pool.query(`SELECT 1 FROM ${SCHEMA}.outbox`)).rowCount).toBe(1);
    // Only a pending request changes: a second outcome is ignored; a finished request has no next attempt.
    await store.complete('req-1', 'aa'.repeat(64), [1, 2, 3]);
    await store.fail('req-1', 'late');
    expect(await store.request('req-1')).toMatchObject({ status: 'signed', error: null, signers: [1, 2, 3] });
    await expect(store.nextAttempt('req-1')).rejects.toThrow(/request req-1 is not pending/);
  });
});
