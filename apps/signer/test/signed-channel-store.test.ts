// The channel policy's highest-signed memory in the signer's Postgres (signed_channel_state), on the real migration:
// it only rises (a replayed or racing older record cannot lower it), and a signer restarted on the same database
// refuses a user commitment older than one it approved before the restart (an in-memory record would allow it).
import { schnorr } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { taprootOutput } from '@tapbridge/bitcoin';
import { buildCommitment, ownPoint, pointOf, type BalanceSheet, type ChannelParams } from '@tapbridge/channels';
import { createPrismaClient, migrate } from '@tapbridge/db';
import { ChannelPolicy, channelSigningRequestWire, MemoryChannelSignedStore, MemoryChannelView, resolveSigningRequest, type ChannelSignedStore } from '@tapbridge/signing';
import { createTestDatabase, type TestDatabase } from '@tapbridge/testing';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrismaClient } from '../src/generated/prisma/client.js';
import { PostgresChannelSignedStore } from '../src/signed-channel-store.js';

const SCHEMA = 'signer';
const secret = (label: string): Uint8Array => sha256(new TextEncoder().encode(`signer channel store test ${label}`));
const BTC = 100_000_000n;
let db: TestDatabase;
const opened: { pool: pg.Pool; prisma: PrismaClient }[] = [];

/** A fresh client on the same database: what a restarted signer process opens. */
function connect(): PrismaClient {
  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  const prisma = createPrismaClient(PrismaClient, { pool, schema: SCHEMA });
  opened.push({ pool, prisma });
  return prisma;
}

beforeAll(async () => {
  db = await createTestDatabase();
  await migrate({ databaseUrl: db.url, schema: SCHEMA, migrationsDir: fileURLToPath(new URL('../prisma/migrations', import.meta.url)) });
}, 60_000);

afterAll(async () => {
  for (const o of opened) {
    await o.prisma.$disconnect();
    await o.pool.end();
  }
  await db?.drop();
}, 60_000);

describe('PostgresChannelSignedStore', () => {
  it('keeps the maximum per channel, across racing and replayed records and a new connection', async () => {
    const store = new PostgresChannelSignedStore(connect());
    const a = `${'aa'.repeat(32)}:0`;
    const b = `${'bb'.repeat(32)}:3`;
    expect(await store.highestUserCommitment(a)).toBe(0);
    await Promise.all([5, 2, 9, 7, 1].map((n) => store.recordUserCommitment(a, n)));
    await store.recordUserCommitment(a, 4); // a replayed older approval
    await store.recordUserCommitment(b, 1);
    expect(await store.highestUserCommitment(a)).toBe(9);
    const restarted = new PostgresChannelSignedStore(connect());
    expect([await restarted.highestUserCommitment(a), await restarted.highestUserCommitment(b)]).toEqual([9, 1]);
  });

  it('a restarted signer refuses a user commitment older than one it approved before the restart', async () => {
    const groupKey = schnorr.getPublicKey(secret('group'));
    const params: ChannelParams = {
      funding: { txid: 'cd'.repeat(32), vout: 1 }, capacity: BTC, userKey: schnorr.getPublicKey(secret('user')), groupKey,
      userRevocationBasepoint: pointOf(secret('user revocation')), custodyRevocationBasepoint: pointOf(secret('custody revocation')),
      userPayoutScript: taprootOutput(schnorr.getPublicKey(secret('user payout'))).scriptPubKey, custodyPayoutScript: taprootOutput(schnorr.getPublicKey(secret('custody payout'))).scriptPubKey,
      challengePeriod: 6, commitmentFee: 1_000n,
    };
    const view = new MemoryChannelView();
    const channelId = view.open(params);
    const userCommitment = (s: BalanceSheet, requestId: string) => {
      const point = ownPoint({ perCommitmentSeed: secret('user seed') }, s.stateNumber);
      return resolveSigningRequest(channelSigningRequestWire({ requestId, params, kind: 'user-commitment', sheet: s, tx: buildCommitment(params, 'user', s, point).tx, holderPerCommitmentPoint: point }));
    };
    const policy = (signed: ChannelSignedStore) => new ChannelPolicy({ groupKey: () => groupKey, view, signed, maxCustodyCloseFee: 5_000n });
    const s1: BalanceSheet = { stateNumber: 1, user: BTC - 10_000_000n, custody: 10_000_000n };
    const s2: BalanceSheet = { stateNumber: 2, user: BTC - 20_000_000n, custody: 20_000_000n };

    // The L2 executed state 1; the signer approves the user's commitment of state 2 (the next payment).
    view.execute(channelId, 1, s1.user, s1.custody);
    expect((await policy(new PostgresChannelSignedStore(connect())).evaluate(userCommitment(s2, 'u2'))).allow).toBe(true);

    // Restarted on the same database: state 1's user commitment (older than 2) is refused.
    const after = await policy(new PostgresChannelSignedStore(connect())).evaluate(userCommitment(s1, 'u1-after-restart'));
    expect(after.allow).toBe(false);
    expect(after.allow ? '' : after.reason).toMatch(/state-not-increasing: state 1 is below state 2 already signed/);
    // What the in-memory record did: a new process forgot state 2 and would sign state 1 again.
    expect((await policy(new MemoryChannelSignedStore()).evaluate(userCommitment(s1, 'u1-memory'))).allow).toBe(true);
  });
});
