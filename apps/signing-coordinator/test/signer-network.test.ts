// SignerNetwork's pinned host keys on a real Postgres through Prisma: before the DKG a signer's first authentic
// announcement pins its key (a later one with another key is not pinned over it); configured keys are pinned in one
// transaction; a restarted coordinator loads what was pinned.
import path from 'node:path';
import { bytesToHex } from '@noble/hashes/utils.js';
import { createPrismaClient, migrate } from '@tapbridge/db';
import { createLogger } from '@tapbridge/observability';
import type { ServiceRuntime } from '@tapbridge/runtime';
import { encodeMessage, generateHostKey, hostPublicKey, sealMessage } from '@tapbridge/signing';
import { createTestDatabase, repoRoot, type TestDatabase } from '@tapbridge/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrismaClient } from '../src/generated/prisma/client.js';
import { SignerNetwork } from '../src/signer-network.js';

const SCHEMA = 'signing_coordinator';
let db: TestDatabase;
let pool: pg.Pool;
let prisma: PrismaClient;

beforeAll(async () => {
  db = await createTestDatabase();
  await migrate({ databaseUrl: db.url, schema: SCHEMA, migrationsDir: path.join(repoRoot, 'apps/signing-coordinator/prisma/migrations') });
  pool = new pg.Pool({ connectionString: db.url, max: 2 });
  prisma = createPrismaClient(PrismaClient, { pool, schema: SCHEMA });
}, 120_000);

afterAll(async () => {
  await prisma?.$disconnect();
  await pool?.end();
  await db?.drop();
});

// Only what load, pin, lock and the announcement handler use: no NATS (start() is not called).
const runtime = { schema: SCHEMA, logger: createLogger('test', { level: 'silent' }) } as unknown as ServiceRuntime;
const network = () => new SignerNetwork(runtime, prisma, 3, generateHostKey(), { requestTimeoutMs: 1_000, livenessMs: 60_000, heartbeatIntervalMs: 60_000 });
const announce = (net: SignerNetwork, sender: number, seckey: Uint8Array) =>
  (net as unknown as { onAnnounce(data: Uint8Array): Promise<void> }).onAnnounce(
    encodeMessage(sealMessage({ type: 'signer.announce', sessionId: 'announce', sender, recipient: 0, body: { hostPubkey: bytesToHex(hostPublicKey(seckey)), groupKey: null, ready: false } }, seckey)),
  );
const pinned = async () => (await prisma.signer.findMany({ orderBy: { index: 'asc' }, select: { index: true, hostPubkey: true } })).map((r) => [r.index, r.hostPubkey]);

describe('SignerNetwork pinning', () => {
  it('pins a first announcement once, pins configured keys, and loads them on restart', async () => {
    const seckeys = [generateHostKey(), generateHostKey(), generateHostKey()];
    const pubkeys = seckeys.map((k) => hostPublicKey(k));
    const first = network();
    await first.load(false);
    await announce(first, 1, seckeys[0] as Uint8Array);
    expect(await pinned()).toEqual([[1, bytesToHex(pubkeys[0] as Uint8Array)]]);
    expect(first.live()).toEqual([1]);
    // Another coordinator (a replica that has not loaded the row) hears signer 1 announce a different key: not pinned.
    const replica = network();
    await announce(replica, 1, generateHostKey());
    expect(await pinned()).toEqual([[1, bytesToHex(pubkeys[0] as Uint8Array)]]);
    expect(replica.live()).toEqual([]);
    await first.pin(pubkeys);
    expect(await pinned()).toEqual(pubkeys.map((k, i) => [i + 1, bytesToHex(k)]));
    const restarted = network();
    await restarted.load(true);
    expect(restarted.hostKeys()?.map(bytesToHex)).toEqual(pubkeys.map(bytesToHex));
    await expect(restarted.pin([hostPublicKey(generateHostKey())])).rejects.toThrow(/SIGNER_HOST_PUBKEYS names another key for signer 1/);
  });
});
