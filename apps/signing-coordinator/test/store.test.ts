// The coordinator's stored secrets and keys on a real Postgres: the host key encrypted at rest (a plain row from an
// older version is re-encrypted), a certified DKG kept until the group key is saved, and a tampered group key row
// refused on load.
import path from 'node:path';
import { bytesToHex } from '@noble/hashes/utils.js';
import { createPrismaClient, migrate } from '@tapbridge/db';
import { simulateDkg } from './support/dkg.js';
import { createTestDatabase, repoRoot, type TestDatabase } from '@tapbridge/testing';
import { generateHostKey, hostPublicKey, keyFileNeedsReseal } from '@tapbridge/signing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrismaClient } from '../src/generated/prisma/client.js';
import { CoordinatorStore, StoredGroupKeyError } from '../src/store.js';

const SCHEMA = 'signing_coordinator';
let db: TestDatabase;
let pool: pg.Pool;
let prisma: PrismaClient;
let store: CoordinatorStore;
const passphrase = 'coordinator test passphrase';

beforeAll(async () => {
  db = await createTestDatabase();
  await migrate({ databaseUrl: db.url, schema: SCHEMA, migrationsDir: path.join(repoRoot, 'apps/signing-coordinator/prisma/migrations') });
  pool = new pg.Pool({ connectionString: db.url, max: 2 });
  prisma = createPrismaClient(PrismaClient, { pool, schema: SCHEMA });
  store = new CoordinatorStore({ prisma, schema: SCHEMA });
}, 120_000);

afterAll(async () => {
  await prisma?.$disconnect();
  await pool?.end();
  await db?.drop();
});

const identityRow = async () => (await pool.query<{ host_seckey: string }>(`SELECT host_seckey FROM ${SCHEMA}.identity WHERE id = 1`)).rows[0]?.host_seckey;

describe('coordinator host key at rest', () => {
  it('a plain-text key from an older version is re-encrypted on start; the row never holds it in clear again', async () => {
    const plain = generateHostKey();
    await pool.query(`INSERT INTO ${SCHEMA}.identity (id, host_seckey) VALUES (1, $1)`, [bytesToHex(plain)]);
    const first = await store.hostKey({ passphrase });
    expect(first.migrated).toBe(true);
    expect(bytesToHex(first.seckey)).toBe(bytesToHex(plain));
    const row = (await identityRow()) as string;
    expect(row).not.toContain(bytesToHex(plain));
    expect(JSON.parse(row)).toMatchObject({ header: { kind: 'host-key', signerIndex: 0, kdf: { N: 2 ** 17 } } });
    expect(keyFileNeedsReseal(row)).toBe(false);
    // Next start: the same key, read from the encrypted row.
    const again = await store.hostKey({ passphrase });
    expect([again.migrated, bytesToHex(hostPublicKey(again.seckey))]).toEqual([false, bytesToHex(hostPublicKey(plain))]);
    await expect(store.hostKey({ passphrase: 'the wrong passphrase' })).rejects.toThrow(/cannot decrypt .*identity.* host key: wrong passphrase/);
    await expect(store.hostKey({})).rejects.toThrow(/COORDINATOR_KEY_PASSPHRASE is required/);
  });

  it('a fresh coordinator generates its key encrypted; a configured key never touches the database', async () => {
    await pool.query(`DELETE FROM ${SCHEMA}.identity`);
    const configured = generateHostKey();
    expect(bytesToHex((await store.hostKey({ configured: bytesToHex(configured) })).seckey)).toBe(bytesToHex(configured));
    expect(await identityRow()).toBeUndefined();
    const generated = await store.hostKey({ passphrase });
    expect(await identityRow()).not.toContain(bytesToHex(generated.seckey));
    expect(bytesToHex((await store.hostKey({ passphrase })).seckey)).toBe(bytesToHex(generated.seckey));
  });
});

describe('group key on load', () => {
  it('a certified DKG is kept until the group key is saved; a tampered public share stops start-up', async () => {
    const dkg = simulateDkg(5, 3);
    await store.saveCertifiedDkg({ ceremonyId: 'dkg-a', t: 3, hostPubkeys: dkg.hostPubkeys, recoveryData: dkg.recoveryData });
    expect((await store.certifiedDkg())?.ceremonyId).toBe('dkg-a');
    await store.saveGroupKey({ ceremonyId: 'dkg-a', groupKey: dkg.groupKey, hostPubkeys: dkg.hostPubkeys, recoveryData: bytesToHex(dkg.recoveryData) });
    expect(await store.certifiedDkg()).toBeUndefined();
    expect(bytesToHex((await store.groupKey())?.groupKey.threshPk as Uint8Array)).toBe(bytesToHex(dkg.groupKey.threshPk));
    // Someone with database access swaps signer 2's public share for one they chose.
    const tampered = dkg.groupKey.pubshares.map(bytesToHex);
    tampered[1] = bytesToHex(hostPublicKey(generateHostKey()));
    await pool.query(`UPDATE ${SCHEMA}.group_key SET pubshares = $1::jsonb`, [JSON.stringify(tampered)]);
    const err = await store.groupKey().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoredGroupKeyError);
    expect((err as Error).message).toMatch(/the stored group key \("signing_coordinator"\."group_key"\) is inconsistent: the public shares of signers 1, 2, 3 do not interpolate to the group key/);
    // Not a valid point at all: a clear error too.
    tampered[1] = `02${'00'.repeat(32)}`;
    await pool.query(`UPDATE ${SCHEMA}.group_key SET pubshares = $1::jsonb`, [JSON.stringify(tampered)]);
    await expect(store.groupKey()).rejects.toThrow(/the stored group key .* is malformed/);
  });
});
