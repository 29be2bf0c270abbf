// Measured signer uptime on real Postgres: every heartbeat probe the coordinator sends is counted per host key and
// minute, answered or not (SignerNetwork.heartbeatRound → recordProbe), and rpc.signing.uptime.get answers the
// sums over a window (UptimeRpcController), which stake-accounting weighs rewards by.
import path from 'node:path';
import { bytesToHex } from '@noble/hashes/utils.js';
import { createPrismaClient, migrate } from '@tapbridge/db';
import { createLogger } from '@tapbridge/observability';
import type { ServiceRuntime } from '@tapbridge/runtime';
import { generateHostKey, hostPublicKey, type SignerReply } from '@tapbridge/signing';
import { createTestDatabase, repoRoot, waitFor, type TestDatabase } from '@tapbridge/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrismaClient } from '../src/generated/prisma/client.js';
import { SignerNetwork } from '../src/signer-network.js';
import { UptimeRpcController } from '../src/uptime.rpc.js';

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

const runtime = { schema: SCHEMA, logger: createLogger('test', { level: 'silent' }) } as unknown as ServiceRuntime;

describe('measured signer uptime', () => {
  it('counts every heartbeat probe per host key, answered or not, and serves the sums over a window', async () => {
    const keys = [generateHostKey(), generateHostKey(), generateHostKey()].map((k) => hostPublicKey(k));
    const network = new SignerNetwork(runtime, prisma, 3, generateHostKey(), { requestTimeoutMs: 1_000, livenessMs: 60_000, heartbeatIntervalMs: 60_000 });
    await network.pin(keys);
    // The signers' side of a heartbeat: 1 always acks, 2 acks with the wrong nonce (not counted), 3 does not answer.
    (network as unknown as { ask: (i: number, t: string, s: string, body: { nonce: string }) => Promise<SignerReply> }).ask = (i, _t, _s, body) =>
      i === 3 ? Promise.reject(new Error('timeout')) : Promise.resolve({ type: 'heartbeat.ack', body: { nonce: i === 1 ? body.nonce : 'other', ready: true, groupKey: null } } as unknown as SignerReply);
    const round = () => (network as unknown as { heartbeatRound(): Promise<void> }).heartbeatRound();
    const probes = async () => (await prisma.signerHeartbeat.aggregate({ _sum: { probes: true } }))._sum.probes ?? 0;
    for (let r = 1; r <= 4; r++) {
      await round();
      await waitFor(`round ${r} recorded`, async () => (await probes()) === 3 * r, 10_000, 20);
    }
    // Earlier minutes: signer 1 missed one of two probes an hour ago.
    const hourAgo = new Date(Date.now() - 3_600_000);
    await network.recordProbe(1, false, hourAgo);
    await network.recordProbe(1, true, hourAgo);

    const rpc = new UptimeRpcController(network);
    const now = Date.now();
    const recent = await rpc.uptime({ from: new Date(now - 600_000).toISOString(), to: new Date(now + 60_000).toISOString() });
    expect(recent.signers).toEqual(
      [
        { hostPubkey: bytesToHex(keys[0]!), probes: 4, answered: 4, uptimeBps: 10_000 },
        { hostPubkey: bytesToHex(keys[1]!), probes: 4, answered: 0, uptimeBps: 0 },
        { hostPubkey: bytesToHex(keys[2]!), probes: 4, answered: 0, uptimeBps: 0 },
      ].sort((a, b) => (a.hostPubkey < b.hostPubkey ? -1 : 1)),
    );
    const all = await rpc.uptime({ from: new Date(now - 7_200_000).toISOString(), to: new Date(now + 60_000).toISOString() });
    expect(all.signers.find((s) => s.hostPubkey === bytesToHex(keys[0]!))).toEqual({ hostPubkey: bytesToHex(keys[0]!), probes: 6, answered: 5, uptimeBps: 8_333 });
    const before = await rpc.uptime({ from: new Date(now - 7_200_000).toISOString(), to: new Date(now - 1_800_000).toISOString() });
    expect(before.signers).toEqual([{ hostPubkey: bytesToHex(keys[0]!), probes: 2, answered: 1, uptimeBps: 5_000 }]);
    await expect(rpc.uptime({ from: new Date(now).toISOString(), to: new Date(now).toISOString() })).rejects.toThrow(/before/);
  }, 120_000);
});
