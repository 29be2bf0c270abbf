// Slashing end to end with real services: the signing-coordinator and five signers as processes (the harness of
// apps/signing-coordinator), stake-accounting as a process over a real L2 (engine + JSON-RPC) where the five signers
// bonded under their real host keys. Signer 3 runs with SIGNER_FAULT=bad-partial: ROAST catches it, the coordinator
// publishes signing.misbehaviour with evidence, stake-accounting verifies it and slashes exactly once (5% of the
// bond, jailed); the same fault in a later session, a restart of the faulty signer and a restart of stake-accounting
// slash nothing more. The evidence served by GET /slashes/:id verifies offline.
import { randomBytes } from 'node:crypto';
import { connectMessaging, deleteStreams, serveRequests, type Messaging } from '@tapbridge/messaging';
import { SigningKey } from 'ethers';
import { verifyEvidence } from '@tapbridge/stake';
import { buildApps, createTestDatabase, deleteRedisKeys, ServiceProcess, uniquePrefix, waitFor, type TestDatabase } from '@tapbridge/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { NATS_URL, REDIS_URL, startCluster, type Cluster } from '../../signing-coordinator/test/support/harness.js';
import { TestL2, TOKEN, wallets } from './support/l2.js';

const prefix = uniquePrefix('slx');
const hostKeyPair = () => {
  const seckey = randomBytes(32).toString('hex');
  return { seckey, pubkey: SigningKey.computePublicKey(`0x${seckey}`, true).slice(2) }; // a host key: compressed, hex
};
const coordinator = hostKeyPair();
const coordinatorPub = coordinator.pubkey;
const BOND = 10_000n * TOKEN;
let cluster: Cluster;
let l2: TestL2;
let db: TestDatabase;
let stake: ServiceProcess | undefined;
let stakeEnv: Record<string, string>;
let client: Messaging;
let reportsOf3: Json[] = [];

// The answers are checked field by field below.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
const stakeGet = async (path: string): Promise<Json> => (await stake!.request<Json>('GET', path)).body;
const signer = (i: number) => cluster.signers[i - 1]!;
const liar = () => wallets[2]!.address.toLowerCase();

async function startStake(): Promise<void> {
  stake = await ServiceProcess.start({ app: 'stake-accounting', env: stakeEnv, readyTimeoutMs: 180_000 });
}

/**
 * Requests a signature while only signers 1, 2 and 3 are up (t = 3): every ROAST session includes the liar, ROAST
 * blames it, and with two honest signers left the request fails ("fewer than 3 signers will sign"). Keeping 4 and 5
 * down avoids restarting processes per request (each start derives scrypt keys: minutes on a loaded machine).
 */
async function signWithLiarInSession(): Promise<void> {
  const res = await cluster.coordinator.request<{ id: string }>('POST', '/signatures', { message: randomBytes(32).toString('hex'), purpose: 'message' });
  expect(res.status).toBe(202);
  const id = res.body.id;
  const view = await waitFor('the request to end', async () => {
    const v = (await cluster.coordinator.get<Json>(`/signatures/${id}`)).body;
    return v.status !== 'pending' ? v : undefined;
  }, 300_000, 500);
  expect(new Set((view.misbehaviour as Array<{ signer: number }>).map((m) => m.signer))).toEqual(new Set([3]));
  // Signers 4 and 5 never answer: the request times out (SIGNING_TIMEOUT_MS), after ROAST excluded the liar in every
  // attempt (each stalled attempt asks everyone afresh, so the fault repeats in several sessions).
  expect(view.status).toBe('failed');
}

describe('slashing a bad partial signature: coordinator + 5 signer processes + stake-accounting over a real L2', { timeout: 600_000 }, () => {
  beforeAll(async () => {
    buildApps('signer', 'signing-coordinator', 'stake-accounting');
    cluster = await startCluster({ prefix, n: 5, t: 3, coordinatorHostKey: coordinator.seckey, coordinatorPubkey: coordinatorPub, coordinatorEnv: { SIGNING_TIMEOUT_MS: '60000' } });
    const hostKeys: string[] = [];
    for (let i = 1; i <= 5; i++) hostKeys.push((await signer(i).get<{ hostPubkey: string }>('/status')).body.hostPubkey);
    l2 = await TestL2.start(1n);
    for (let i = 0; i < 5; i++) await l2.bond(wallets[i]!, BOND, `0x${hostKeys[i]}`);
    await l2.mine(3);
    db = await createTestDatabase();
    client = await connectMessaging({ url: NATS_URL, prefix });
    serveRequests(client, 'evm.supply.get', z.object({}).passthrough(), () => Promise.resolve({ supplySats: '0', mintedSats: '0', finalBurnedSats: '0', mints: 0, finalBurns: 0 }));
    stakeEnv = {
      DATABASE_URL: db.url, NATS_URL, REDIS_URL, STREAM_PREFIX: prefix, EVM_RPC_URL: l2.url, INDEX_POLL_MS: '200', CAPACITY_INTERVAL_MS: '1000',
      DEVNET: 'true', PRICE_SOURCES: 'devnet', EPOCH_MIN_SELF_BOND: '1', COORDINATOR_PUBKEY: coordinatorPub, SLASH_RATE_INVALID_PARTIAL_BPS: '500', JAIL_EPOCHS: '2',
    };
    await startStake();
  }, 900_000);

  afterAll(async () => {
    await stake?.stop().catch(() => undefined);
    if (client) {
      await deleteStreams(client.jsm, client.naming).catch(() => undefined);
      await client.close();
    }
    // stake-accounting's reward queue and rate-limit keys (the prefix is this test's own).
    await deleteRedisKeys(`${prefix}:*`).catch(() => undefined);
    await cluster?.close();
    await l2?.stop();
    await db?.drop();
  });

  it('slashes the liar once, on evidence that verifies offline; its stake drops by 5%; jailed', async () => {
    await waitFor('the custody address (DKG done)', async () => (await cluster.coordinator.get('/custody')).status === 200, 300_000, 500);
    await waitFor('five bonded signers indexed', async () => ((await stakeGet('/signers')) as unknown[]).length === 5, 120_000, 500);
    expect((await stakeGet(`/signers/${liar()}`)).stake).toBe(BOND.toString());

    await Promise.all([signer(3).kill(), signer(4).kill(), signer(5).kill()]);
    await signer(3).start({ SIGNER_FAULT: 'bad-partial' });
    await signWithLiarInSession();

    const slashes = await waitFor('the slash', async () => {
      const list = (await stakeGet('/slashes')) as Json[];
      return list.length > 0 ? list : undefined;
    }, 120_000, 500);
    expect(slashes).toHaveLength(1);
    expect(slashes[0]).toMatchObject({ offence: 'invalid_partial_signature', signer: liar(), plannedTotal: ((BOND * 500n) / 10_000n).toString() });
    const detail = await stakeGet(`/slashes/${encodeURIComponent(slashes[0].evidenceId)}`);
    expect(verifyEvidence(detail.evidence, { coordinatorHostPubkey: coordinatorPub })).toMatchObject({ valid: true, offence: 'invalid_partial_signature' });
    // Anyone holding the file can check it; a coordinator key we do not trust is refused.
    expect(verifyEvidence(detail.evidence, { coordinatorHostPubkey: hostKeyPair().pubkey })).toMatchObject({ valid: false });

    const after = await stakeGet(`/signers/${liar()}`);
    expect(after).toMatchObject({ status: 'jailed', stake: (BOND - (BOND * 500n) / 10_000n).toString(), pendingSlash: ((BOND * 500n) / 10_000n).toString() });
    expect(after.slashes).toHaveLength(1);
    reportsOf3 = ((await stakeGet('/misbehaviour')) as Json[]).filter((r) => r.signerIndex === 3);
    expect(reportsOf3.length).toBeGreaterThanOrEqual(1);
    // The honest signers are untouched.
    for (const w of [0, 1, 3, 4]) expect((await stakeGet(`/signers/${wallets[w]!.address}`)).stake).toBe(BOND.toString());
  });

  it('the same fault in a later session, after a restart of the liar and of stake-accounting, slashes nothing more', async () => {
    await signer(3).kill();
    await signer(3).start({ SIGNER_FAULT: 'bad-partial' });
    await signWithLiarInSession();
    // Reports of later sessions (other evidence ids) arrive, verify, and are refused: already jailed.
    const before = reportsOf3.length;
    const reports = await waitFor('the later reports', async () => {
      const list = ((await stakeGet('/misbehaviour')) as Json[]).filter((r) => r.signerIndex === 3);
      return list.length > before ? list : undefined;
    }, 120_000, 500);
    expect(reports.filter((r: Json) => r.status === 'slash_planned')).toHaveLength(1);
    for (const r of reports.filter((x: Json) => x.status !== 'slash_planned')) expect([r.status, r.statusReason]).toEqual(['rejected', expect.stringMatching(/already jailed/)]);

    await stake!.stop();
    await startStake();
    await waitFor('signers after the restart', async () => ((await stakeGet('/signers')) as unknown[]).length === 5, 120_000, 500);
    expect((await stakeGet('/slashes')) as unknown[]).toHaveLength(1);
    expect(await stakeGet(`/signers/${liar()}`)).toMatchObject({ status: 'jailed', stake: (BOND - (BOND * 500n) / 10_000n).toString() });
    expect(((await stakeGet('/misbehaviour')) as Json[]).filter((r) => r.signerIndex === 3)).toHaveLength(reports.length);
  });
});
