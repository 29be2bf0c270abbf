// stake-accounting as one process (the Nest app in-process) on real Postgres, NATS JetStream and Redis, over a real
// L2 (engine + JSON-RPC): five signers bond and delegators back them; capacity follows the L2 supply and the price;
// epochs start on btc.header.connected; slashing happens on proof only, once per evidence id, jails the signer and
// drops it from the next set, and replaying the evidence changes nothing; rewards add up exactly over several epochs
// with delegators; a restart of the app (a crash mid-epoch) rebuilds the same book and pays nothing twice.
import type { INestApplication } from '@nestjs/common';
import { loadConfig } from '@tapbridge/config';
import { btcHeaderConnected, connectMessaging, deleteStreams, serveRequests, signingMisbehaviour, type Messaging } from '@tapbridge/messaging';
import { createLogger } from '@tapbridge/observability';
import { ServiceRuntime } from '@tapbridge/runtime';
import { bootstrapService } from '@tapbridge/runtime/nest';
import { accounts, signLivenessRecord, splitRewards, verifyEvidence, type LivenessRecord } from '@tapbridge/stake';
import { createTestDatabase, freePort, uniquePrefix, waitFor, type TestDatabase } from '@tapbridge/testing';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SigningKey } from 'ethers';
import { z } from 'zod';
import { AppModule } from '../src/app.module.js';
import { stakeAccountingConfig, type StakeAccountingConfig } from '../src/config.js';
import { StakeState } from '../src/indexing/stake-state.js';
import { PostgresLedger } from '../src/ledger/postgres-ledger.js';
import { EpochsService } from '../src/pledge/epochs.service.js';
import { RewardRunner } from '../src/pledge/rewards.service.js';
import { CoordinatorUptime } from '../src/pledge/uptime.js';
import { PrismaService } from '../src/prisma.service.js';
import { SlashingService } from '../src/pledge/slashing.service.js';
import { rewardCall, slashCall, SystemCallPublisher } from '../src/pledge/system-calls.publisher.js';
import { CoinbaseFeeIncome } from '../src/pledge/fee-income.js';
import { L2Client } from '../src/indexing/l2-client.js';
import { UnbondingReleaseService } from '../src/pledge/unbonding-release.service.js';
import { hostKey, staking, TestL2, token, TOKEN, wallets } from './support/l2.js';
import { parseSystemCall, STAKE_TOKEN_ADDRESS, STAKING_ADDRESS, type SystemCall, type SystemCallJson } from '@tapbridge/evm';

const prefix = uniquePrefix('stk');
const coordinatorSeckey = new Uint8Array(32).fill(7);
const coordinatorPub = SigningKey.computePublicKey(coordinatorSeckey, true).slice(2); // a host key: compressed, hex
let db: TestDatabase;
let l2: TestL2;
let client: Messaging;
let owedSats = 0n;
const uptimeAsked: Array<{ from: string; to: string }> = [];
/** What the stand-in coordinator reports (below): the split must use exactly this. */
const uptimeOf = (hostPubkey: string): number => (hostPubkey === hostKey(2).slice(2) ? 5_000 : hostPubkey === hostKey(3).slice(2) ? 0 : 10_000);
let runtime: ServiceRuntime | undefined;
let app: INestApplication | undefined;
let base = '';
let config: StakeAccountingConfig;
const signers = wallets.slice(0, 5);
const [d1] = wallets.slice(5) as [(typeof wallets)[0]];

async function startApp(): Promise<void> {
  runtime = await ServiceRuntime.start({
    service: 'stake-accounting', schema: 'stake_accounting', databaseUrl: db.url, natsUrl: config.NATS_URL, redisUrl: config.REDIS_URL, streamPrefix: prefix,
    logger: createLogger('stake-accounting-test', { level: 'silent' }), migrationsDir: fileURLToPath(new URL('../prisma/migrations', import.meta.url)),
  });
  const port = await freePort();
  app = await bootstrapService({ module: AppModule.forRoot(config, runtime), runtime, port, host: '127.0.0.1', title: 'stake-accounting test' });
  base = `http://127.0.0.1:${port}`;
}

async function stopApp(): Promise<void> {
  await app?.close();
  await runtime?.close();
  app = undefined;
  runtime = undefined;
}

// The answers are checked field by field below; typing each one up front would add nothing.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
const get = async (path: string): Promise<{ status: number; body: Json }> => {
  const res = await fetch(`${base}${path}`);
  return { status: res.status, body: await res.json() };
};

let height = 0;
async function mineBtcBlocks(count: number): Promise<void> {
  for (let i = 0; i < count; i++, height++) {
    const hash = height.toString(16).padStart(64, '0');
    await runtime!.publisher.publish(btcHeaderConnected, { height, hash, prevHash: (height === 0 ? 0 : height - 1).toString(16).padStart(64, 'f'), header: '00'.repeat(80), chainwork: '00'.repeat(32), network: 'regtest' });
  }
}

beforeAll(async () => {
  db = await createTestDatabase();
  l2 = await TestL2.start(1n);
  for (const [i, s] of signers.entries()) await l2.bond(s, BigInt(10_000 * (i + 1)) * TOKEN, hostKey(i + 1));
  await l2.delegate(d1, signers[0]!, 5_000n * TOKEN);
  await l2.delegate(d1, signers[1]!, 1_000n * TOKEN);
  await l2.mine(3);
  config = loadConfig(stakeAccountingConfig, {
    DATABASE_URL: db.url, NATS_URL: process.env.NATS_URL, REDIS_URL: process.env.REDIS_URL, STREAM_PREFIX: prefix, LOG_LEVEL: 'silent',
    EVM_RPC_URL: l2.url, INDEX_POLL_MS: '200', CAPACITY_INTERVAL_MS: '200', PRICE_POLL_MS: '200', DEVNET: 'true', PRICE_SOURCES: 'devnet', DEVNET_PRICE_SATS: '1000',
    PRICE_MAX_CHANGE_BPS: '1000000', EPOCH_LENGTH_BLOCKS: '2', EPOCH_MIN_SELF_BOND: '1', EPOCH_MAX_SIGNERS: '4', EPOCH_THRESHOLD_BPS: '6000', JAIL_EPOCHS: '1',
    COORDINATOR_PUBKEY: coordinatorPub, LIVENESS_WINDOW: '4', LIVENESS_MAX_MISSES: '1', REWARD_INTERVAL_MS: '3600000', REWARD_COMMISSION_BPS: '1000',
  });
  client = await connectMessaging({ url: config.NATS_URL, prefix });
  // The coordinator's measured uptime (apps/signing-coordinator uptime.rpc.ts; its counting is tested there): signer 2
  // answered half its probes, signer 3 was never probed, the rest all of them.
  serveRequests(client, 'signing.uptime.get', z.object({ from: z.string(), to: z.string() }), (w) => {
    uptimeAsked.push(w);
    return Promise.resolve({ ...w, signers: [1, 2, 4, 5].map((i) => ({ hostPubkey: hostKey(i).slice(2), probes: 10, answered: i === 2 ? 5 : 10, uptimeBps: i === 2 ? 5_000 : 10_000 })) });
  });
  serveRequests(client, 'evm.supply.get', z.object({}).passthrough(), () => Promise.resolve({ supplySats: owedSats.toString(), mintedSats: owedSats.toString(), finalBurnedSats: '0', mints: 0, finalBurns: 0 }));
  await startApp();
}, 180_000);

afterAll(async () => {
  if (runtime) {
    await runtime.redis.del(`${prefix}:stake:devnet-price`);
    await runtime.redis.eval("for _, k in ipairs(redis.call('KEYS', ARGV[1])) do redis.call('DEL', k) end", 0, `${prefix}:*`);
    await deleteStreams(runtime.messaging.jsm, runtime.messaging.naming);
  }
  await stopApp();
  await client?.close();
  await l2?.stop();
  await db?.drop();
});

describe('stake-accounting', () => {
  it('indexes the bonds and serves the signers, and capacity follows the price and what the bridge owes', async () => {
    await waitFor('five bonded signers', async () => ((await get('/signers')).body as unknown[]).length === 5, 60_000);
    const list = (await get('/signers')).body as Array<{ address: string; stake: string; status: string }>;
    expect(list[0]!.address).toBe(signers[4]!.address.toLowerCase()); // 50,000 tokens: the largest
    const one = (await get(`/signers/${signers[0]!.address}`)).body as { delegations: unknown[]; stake: string };
    expect(one.delegations).toEqual([{ delegator: d1.address.toLowerCase(), amount: (5_000n * TOKEN).toString() }]);
    expect(one.stake).toBe((15_000n * TOKEN).toString());
    expect((await get('/signers/0x' + '00'.repeat(20))).status).toBe(404);

    // 156,000 tokens at 1,000 sats = 156,000,000 sats; / 1.5 = 104,000,000; nothing owed yet.
    await waitFor('capacity open', async () => (await get('/capacity')).body.capacitySats === '104000000', 30_000);
    owedSats = 4_000_000n;
    await waitFor('capacity after obligations', async () => (await get('/capacity')).body.capacitySats === '100000000', 30_000);
    const res = await fetch(`${base}/devnet/price`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ satsPerToken: '2000' }) });
    expect(res.status).toBe(200);
    await waitFor('capacity after the price doubled', async () => (await get('/capacity')).body.capacitySats === '204000000', 30_000);
    const cap = (await get('/capacity')).body;
    expect(cap.ratioBps).toBe(((312_000_000n * 10_000n) / 4_000_000n).toString());
  }, 120_000);

  it('starts epochs on Bitcoin blocks with the top N signers', async () => {
    await mineBtcBlocks(3); // heights 0, 1, 2: epochs 0 and 1
    await waitFor('epoch 1', async () => (await get('/epochs/1')).status === 200, 60_000);
    const e1 = (await get('/epochs/1')).body as { members: Array<{ address: string; hostPubkey: string }>; threshold: number };
    expect(e1.members.map((m) => m.address)).toEqual([signers[4], signers[3], signers[2], signers[1]].map((s) => s!.address.toLowerCase())); // 50k, 40k, 30k, 20k+1k delegated (not 10k+5k)
    expect(e1.threshold).toBe(3);
    expect(e1.members[0]!.hostPubkey).toBe(hostKey(5).slice(2));
    expect((await get('/epochs/9')).status).toBe(404);
  }, 120_000);

  it('slashes on proof only, once per evidence id: jailed, out of the next set; replays do nothing', async () => {
    const slashing = app!.get(SlashingService);
    const target = signers[4]!.address.toLowerCase();
    // Today's coordinator reports carry no evidence: through JetStream, recorded as unproven, nothing slashed.
    const noProof = { sessionId: 's-1', signerId: 1, reason: 'invalid_partial_signature' as const, detail: 'bad partial' };
    await runtime!.publisher.publish(signingMisbehaviour, noProof);
    const noProofId = signingMisbehaviour.id(noProof);
    await waitFor('the report without evidence', async () => ((await get('/misbehaviour')).body as Array<{ eventId: string }>).some((r) => r.eventId === noProofId), 60_000);
    expect((await get('/slashes')).body).toEqual([]);

    const record: LivenessRecord = { signerHostPubkey: hostKey(5).slice(2), signerIndex: 1, epoch: 1, windowSize: 4, maxMisses: 1, probes: [0, 1, 2, 3].map((i) => ({ id: `hb-${i}`, at: 1000 + i, answered: i === 0 })) };
    const evidence = { kind: 'liveness', version: 1, coordinatorHostPubkey: coordinatorPub, record, sig: signLivenessRecord(record, coordinatorSeckey) };
    const report = { sessionId: 'hb', signerId: 1, reason: 'protocol_violation' as const, detail: 'missed heartbeats', evidence };
    const first = await slashing.onReport(report, 'report-1');
    expect(first).toMatchObject({ status: 'slash_planned', evidenceId: `liveness:${hostKey(5).slice(2)}:1` });
    expect(await slashing.onReport(report, 'report-1')).toEqual({ status: 'replayed' }); // the same event again
    expect((await slashing.onReport(report, 'report-2')).status).toBe('duplicate'); // the same offence reported again
    const slashes = (await get('/slashes')).body as Array<{ evidenceId: string; plannedTotal: string; jailedUntilEpoch: number }>;
    expect(slashes).toHaveLength(1);
    expect(slashes[0]!.jailedUntilEpoch).toBe(3); // current epoch 1 + 1 + JAIL_EPOCHS 1
    expect(slashes[0]!.plannedTotal).toBe(((50_000n * TOKEN * 100n) / 10_000n).toString()); // liveness 100 bps of the bond
    const detail = (await get(`/slashes/${encodeURIComponent(slashes[0]!.evidenceId)}`)).body as { evidence: unknown };
    expect(verifyEvidence(detail.evidence, { coordinatorHostPubkey: coordinatorPub })).toMatchObject({ valid: true, offence: 'liveness' });
    expect(((await get(`/signers/${target}`)).body as { status: string }).status).toBe('jailed');
    const reports = (await get('/misbehaviour')).body as Array<{ eventId: string; status: string }>;
    expect(Object.fromEntries(reports.map((r) => [r.eventId, r.status]))).toEqual({ [noProofId]: 'unproven', 'report-1': 'slash_planned', 'report-2': 'duplicate' });

    await mineBtcBlocks(2); // heights 3, 4: epoch 2 starts without the jailed signer
    await waitFor('epoch 2', async () => (await get('/epochs/2')).status === 200, 60_000);
    const e2 = (await get('/epochs/2')).body as { members: Array<{ address: string }> };
    expect(e2.members.map((m) => m.address)).not.toContain(target);
    expect(e2.members).toHaveLength(4);
  }, 120_000);

  it('pays rewards that add up exactly over several epochs with delegators; a restart pays nothing twice', async () => {
    const incomes = new Map([[0, 1_000_003n], [1, 77n], [2, 5_000_000_001n]]);
    const ledger = app!.get(PostgresLedger);
    const uptime = new CoordinatorUptime(runtime!.messaging);
    const runner = new RewardRunner({ pool: runtime!.pool, schema: runtime!.schema, ledger, income: { forEpoch: (e) => Promise.resolve(incomes.get(e) ?? 0n) }, uptime, commissionBps: 1_000, state: app!.get(StakeState) });
    await mineBtcBlocks(2); // epoch 3 starts: epochs 0..2 are finished
    await waitFor('epoch 3', async () => (await get('/epochs/3')).status === 200, 60_000);
    const [paid, again] = await Promise.all([runner.runDue(), runner.runDue()]);
    expect([...paid, ...again].sort()).toEqual([0, 1, 2]); // two workers: each epoch paid once
    // Each epoch's uptime was asked for its own window: from its start to the next epoch's.
    const started = new Map((await app!.get(PrismaService).epoch.findMany({ select: { epoch: true, createdAt: true } })).map((e) => [e.epoch, e.createdAt.toISOString()]));
    for (const epoch of [0, 1, 2]) expect(uptimeAsked.some((w) => w.from === started.get(epoch) && w.to === started.get(epoch + 1)), `window of epoch ${epoch}`).toBe(true);

    // Expected: the rules applied epoch by epoch with the carried dust.
    const book = app!.get(StakeState).indexed;
    let carried = 0n;
    const expected = new Map<string, bigint>();
    const delegatorEpochs: number[] = [];
    for (const epoch of [0, 1, 2]) {
      const members = ((await get(`/epochs/${epoch}`)).body as { members: Array<{ address: string; hostPubkey: string; selfBond: string }> }).members;
      const split = splitRewards({
        bridgeFeesWei: incomes.get(epoch)!, gasFeesWei: 0n, carriedWei: carried, commissionBps: 1_000,
        signers: members.map((m) => ({ address: m.address, selfBond: BigInt(m.selfBond), uptimeBps: uptimeOf(m.hostPubkey), delegations: [...book.delegations.values()].filter((d) => d.signer === m.address).map((d) => ({ delegator: d.delegator, amount: d.amount })) })),
      });
      carried = split.undistributed;
      if (split.payouts.has(d1.address.toLowerCase())) delegatorEpochs.push(epoch);
      for (const [a, v] of split.payouts) expected.set(a, (expected.get(a) ?? 0n) + v);
    }
    let totalPaid = 0n;
    for (const [address, amount] of expected) {
      expect(await ledger.balance(accounts.reward(address), 'WEI'), address).toBe(amount);
      totalPaid += amount;
    }
    const income = [...incomes.values()].reduce((a, b) => a + b, 0n);
    expect(totalPaid + (await ledger.balance(accounts.feePot, 'WEI'))).toBe(income);
    expect(await ledger.balance(accounts.feeIncome, 'WEI')).toBe(-income);
    expect(expected.get(d1.address.toLowerCase())).toBeGreaterThan(0n);
    const rewards = (await get(`/rewards/${d1.address}`)).body as { owedWei: string; epochs: Array<{ epoch: number }> };
    expect(rewards.owedWei).toBe(expected.get(d1.address.toLowerCase())!.toString());
    expect(rewards.epochs.map((e) => e.epoch)).toEqual(delegatorEpochs);
    expect(delegatorEpochs).toEqual([0, 2]); // epoch 1's 77 wei leave the delegator less than 1 wei: kept as dust

    // Crash and restart mid-epoch: the book, the ledger and the epochs come back the same; nothing is paid twice.
    const before = { balances: await ledger.cachedBalances(), signers: (await get('/signers')).body, epochs: (await get('/epochs')).body };
    await stopApp();
    await startApp();
    await waitFor('signers after restart', async () => ((await get('/signers')).body as unknown[]).length === 5, 60_000);
    const ledger2 = app!.get(PostgresLedger);
    const runner2 = new RewardRunner({ pool: runtime!.pool, schema: runtime!.schema, ledger: ledger2, income: { forEpoch: (e) => Promise.resolve(incomes.get(e) ?? 0n) }, uptime: new CoordinatorUptime(runtime!.messaging), commissionBps: 1_000, state: app!.get(StakeState) });
    expect(await runner2.runDue()).toEqual([]);
    expect(await ledger2.cachedBalances()).toEqual(before.balances);
    expect(await ledger2.derivedBalances()).toEqual(before.balances);
    expect((await get('/signers')).body).toEqual(before.signers); // jail included: rebuilt from the slash table
    expect((await get('/epochs')).body).toEqual(before.epochs);
    expect(app!.get(EpochsService)).toBeDefined();
  }, 180_000);

  it('releases matured unbonding once, never while the signer has a pending slash, and writes each release back through stake.system.call once', async () => {
    const state = app!.get(StakeState);
    const releases = app!.get(UnbondingReleaseService);
    const publisher = app!.get(SystemCallPublisher);
    const applyOnL2 = async (call: SystemCall): Promise<void> => {
      const outcome = await l2.engine.queueSystemCall(call);
      expect(outcome.status).toBe('queued');
      await l2.mine(1);
      if (outcome.status !== 'already-executed') expect((await outcome.committed).status).toBe('applied');
    };
    const releaseEvents = async () =>
      (await runtime!.pool.query<{ event_id: string; payload: SystemCallJson }>(`SELECT event_id, payload FROM stake_accounting.outbox WHERE subject = 'stake.system.call' AND event_id LIKE 'stake.system.call:release:%' ORDER BY seq`)).rows;
    // id 0: signer 1's own stake; id 1: signer 5 (its liveness slash is decided, not applied on the L2); id 2: signer 2.
    await l2.send(signers[0]!, STAKING_ADDRESS, staking, 'unbond', [1_000n * TOKEN]);
    await l2.send(signers[4]!, STAKING_ADDRESS, staking, 'unbond', [100n * TOKEN]);
    await l2.send(signers[1]!, STAKING_ADDRESS, staking, 'unbond', [200n * TOKEN]);
    await l2.mine(3);
    await waitFor('the three unbonding entries indexed', async () => state.indexed.unbonding.length === 3, 60_000);
    const stakeBefore = BigInt((await get('/capacity')).body.stakeUnits as string);

    expect(await releases.decide()).toEqual({ status: 'none', blocked: { id: 0n, reason: 'not_matured' } }); // the 60 s delay runs in L2 time
    l2.advanceTime(120);
    await l2.mine(2);
    // The app's own rounds (every CAPACITY_INTERVAL_MS) decide too: whichever round comes first, one release of id 0.
    const released = async () => (await app!.get(PrismaService).unbondingRelease.findMany({ orderBy: { below: 'asc' } })).map((r) => [r.below.toFixed(), r.ids]);
    const mine = await releases.decide();
    expect(mine.status === 'released' ? mine : await releases.decidedBelow()).toEqual(mine.status === 'released' ? { status: 'released', below: 1n, ids: [0n] } : 1n);
    expect(await released()).toEqual([['1', ['0']]]);
    // Id 1's signer has a pending slash, and id 2 waits behind it: the contract releases by prefix. Decided once.
    expect(await releases.decide()).toEqual({ status: 'none', blocked: { id: 1n, reason: 'pending_slash' } });
    expect(await released()).toEqual([['1', ['0']]]);
    // Capacity stops counting the released stake at once, before the L2 applies it.
    await waitFor('capacity without the released stake', async () => BigInt((await get('/capacity')).body.stakeUnits as string) === stakeBefore - 1_000n * TOKEN, 30_000);

    await publisher.publish();
    expect(await publisher.publish()).toBe(0);
    const [first, ...more] = await releaseEvents();
    expect(more).toEqual([]);
    expect(first!.event_id).toBe('stake.system.call:release:1');
    await applyOnL2(parseSystemCall(first!.payload));
    await l2.mine(2);
    await waitFor('the L2 release indexed', async () => state.indexed.unbonding.find((u) => u.id === 0n)?.released === true, 60_000);
    expect((await releases.decide()).status).toBe('none');

    // The sequencer applies the pending slash: signer 5's entry and the one behind it are released next, once.
    const slashRow = (await app!.get(PrismaService).slash.findFirstOrThrow({ select: { evidenceId: true, signer: true, debits: true } }));
    await applyOnL2(slashCall(slashRow));
    await l2.mine(2);
    await waitFor('the slash applied on the L2 indexed', async () => state.pendingSlashOf(signers[4]!.address.toLowerCase()) === 0n, 60_000);
    await releases.decide();
    expect(await released()).toEqual([['1', ['0']], ['3', ['1', '2']]]);
    await publisher.publish();
    expect((await releaseEvents()).map((e) => e.event_id)).toEqual(['stake.system.call:release:1', 'stake.system.call:release:3']);
    await applyOnL2(parseSystemCall((await releaseEvents())[1]!.payload));
    const releasedBelow = await l2.view(staking, STAKING_ADDRESS, 'releasedBelow', []);
    expect(releasedBelow[0]).toBe(3n);
    // A restart rebuilds the decisions: nothing is decided or published twice.
    await stopApp();
    await startApp();
    expect((await app!.get(UnbondingReleaseService).decide()).status).not.toBe('released');
    expect(await app!.get(SystemCallPublisher).publish()).toBe(0);
  }, 180_000);

  it('measures an epoch\'s fee income on the L2: the tips its blocks paid the coinbase, unchanged by a reward credit leaving it', async () => {
    const state = app!.get(StakeState);
    const prisma = app!.get(PrismaService);
    const income = new CoinbaseFeeIncome({ prisma, l2: new L2Client(l2.url), logger: runtime!.logger });
    const rpc = async <T>(method: string, params: unknown[]): Promise<T> => ((await (await fetch(l2.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) })).json()) as { result: T }).result;
    const finalized = async () => BigInt((await rpc<{ number: string }>('eth_getBlockByNumber', ['finalized', false])).number);
    const indexedToFinal = async () => {
      const f = await finalized();
      await waitFor('the indexer at the finalized block', async () => state.cursor?.blockNumber === f, 60_000);
    };
    const startEpoch = async (n: number) => {
      await indexedToFinal();
      await mineBtcBlocks(2);
      await waitFor(`epoch ${n}`, async () => (await get(`/epochs/${n}`)).status === 200, 60_000);
      return (await prisma.epoch.findUniqueOrThrow({ where: { epoch: n } })).l2Block!;
    };
    const first = (await prisma.epoch.findFirstOrThrow({ orderBy: { epoch: 'desc' } })).epoch + 1;
    const from = await startEpoch(first);
    const tip = 10n ** 9n;
    for (const w of wallets.slice(0, 3)) await l2.send(w, STAKE_TOKEN_ADDRESS, token, 'approve', [STAKING_ADDRESS, 1n], tip);
    await l2.mine(3);

    // A reward credit paid from the coinbase moves BTC out of it, but what it collected stays the same.
    const before = await finalized();
    const run = await prisma.rewardRun.findFirstOrThrow({ where: { paidWei: { gt: 0 } }, orderBy: { epoch: 'asc' } });
    const outcome = await l2.engine.queueSystemCall(rewardCall(run));
    await l2.mine(3);
    if (outcome.status !== 'already-executed') expect((await outcome.committed).status).toBe('applied');
    const after = await finalized();
    const coinbase = (await rpc<{ miner: string }>('eth_getBlockByNumber', ['latest', false])).miner;
    const balance = async (b: bigint) => BigInt(await rpc<string>('eth_getBalance', [coinbase, `0x${b.toString(16)}`]));
    expect(await balance(before) - (await balance(after))).toBe(BigInt(run.paidWei.toFixed()));
    expect(await income.collectedAt(after)).toBe(await income.collectedAt(before));

    const to = await startEpoch(first + 1);
    // Independently: the tips of every transaction in the epoch's L2 blocks, from the receipts.
    let tips = 0n;
    for (let b = from + 1n; b <= to; b++) {
      const block = await rpc<{ baseFeePerGas: string; transactions: string[] }>('eth_getBlockByNumber', [`0x${b.toString(16)}`, false]);
      for (const hash of block.transactions) {
        const r = await rpc<{ gasUsed: string; effectiveGasPrice: string }>('eth_getTransactionReceipt', [hash]);
        tips += BigInt(r.gasUsed) * (BigInt(r.effectiveGasPrice) - BigInt(block.baseFeePerGas));
      }
    }
    expect(tips).toBeGreaterThan(3n * 21_000n * tip - 1n);
    expect(await income.forEpoch(first)).toBe(tips);
    expect(await income.forEpoch(first + 1)).toBe(0n); // not finished: no next epoch yet
    // /signers/:id shows the measured uptime (the stand-in coordinator's counts), null for a signer never probed.
    expect((await get(`/signers/${signers[1]!.address}`)).body.uptimeBps).toBe(5_000);
    expect((await get(`/signers/${signers[0]!.address}`)).body.uptimeBps).toBe(10_000);
    expect((await get(`/signers/${signers[2]!.address}`)).body.uptimeBps).toBeNull();
  }, 180_000);
});
