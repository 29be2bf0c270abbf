// channel-service end to end: the Nest app in-process on real Postgres, NATS JetStream and Redis, a real devnet
// chain served over Esplora, and five real FROST signers (ChillDKG, ROAST) whose `channel` policy reads the
// service's ledger over NATS. Only the signing-coordinator's transport is a stand-in (support/coordinator.ts).
// The L2 is the real evm-gateway (from its build): each payment is credited and the return burned as L2 BTC by the
// sequencer, once per (channel, state), and counted in the L2 supply.
// The scenarios: open 1 BTC, spend 0.3 in three updates, return 0.1, cooperative close paying exactly the
// user's side; a revoked state penalised inside the challenge period; a force close with the service and every
// signer stopped; a state the L2 never executed refused by every signer.
import { schnorr } from '@noble/curves/secp256k1.js';
import { buildCommitment, buildDelayedSweep, channelSeed, completeDelayedSweep, CustodyDesk, fundingAddress, ownPoint } from '@tapbridge/channels';
import { encodeTransactionHex, type Transaction } from '@tapbridge/bitcoin';
import type { TestDevnetChain } from '@tapbridge/devnet-chain/testing';
import { channelSigningRequestWire } from '@tapbridge/signing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { channelSystemCall, encodeEvent, request } from '@tapbridge/messaging';
import { waitFor } from '@tapbridge/testing';
import { z } from 'zod';
import { CHALLENGE, custodyPayout, l2BalanceSats, PENALTY_FEE, setup, startService, stopService, teardown, type Harness, type Service } from './support/harness.js';
import { secret, TestUser } from './support/user.js';

const BTC = 100_000_000n;
let h: Harness;
let chain: TestDevnetChain;
let svc: Service;

const mine = (n = 1): void => void chain.node.generateToAddress(n, chain.address);

/** Funds a channel address for `user` (the devnet wallet broadcasts at once; a real user registers first, then broadcasts). */
async function openChannel(s: Service, user: TestUser, capacity = BTC): Promise<void> {
  const terms = await user.ok('GET', '/v1/channel-terms');
  const address = fundingAddress('regtest', { userKey: schnorr.getPublicKey(user.fundingSecret), groupKey: Uint8Array.from(Buffer.from(terms.groupKey, 'hex')) });
  const txid = chain.node.sendToAddress(address, capacity);
  const vout = chain.node.lookupTransaction(txid)!.tx.outs.findIndex((o) => o.value === capacity);
  await user.register({ txid, vout }, capacity);
  expect((await user.ok('GET', `/v1/channels/${user.channelId}`)).status).toBe('pending-funding');
  mine();
  // The watch pass opens channels whose funding its light client proves (its header sync may need a round).
  for (let i = 0; i < 60 && (await user.ok('GET', `/v1/channels/${user.channelId}`)).status !== 'open'; i++) {
    await s.watch.pass();
    await new Promise((r) => setTimeout(r, 500));
  }
  expect((await user.ok('GET', `/v1/channels/${user.channelId}`)).status).toBe('open');
}

async function publish(tx: Transaction): Promise<string> {
  const txid = chain.node.sendRawTransaction(encodeTransactionHex(tx));
  mine();
  return txid;
}

const paidTo = (txid: string, script: Uint8Array): bigint =>
  chain.node.lookupTransaction(txid)!.tx.outs.filter((o) => Buffer.from(o.script).toString('hex') === Buffer.from(script).toString('hex')).reduce((s, o) => s + o.value, 0n);

async function outboxSubjects(s: Service, channelId: string): Promise<string[]> {
  const rows = await s.runtime.pool.query<{ subject: string }>(`SELECT subject FROM channel_service.outbox WHERE payload->>'channelId' = $1 ORDER BY seq`, [channelId]);
  return rows.rows.map((r) => r.subject);
}

beforeAll(async () => {
  h = await setup();
  chain = h.chain;
  svc = h.svc;
}, 900_000); // the stack (and the evm-gateway build, when not cached) under a loaded CI machine

afterAll(async () => {
  await teardown(h);
});

describe('channel-service with five FROST signers on the devnet chain', () => {
  it('open 1 BTC, spend 0.3 in three updates, return 0.1, close cooperatively: the user receives exactly its side', async () => {
    const user = new TestUser(svc.base, 'coop', `0x${'c0'.repeat(20)}`);
    const l2 = svc.l2!;
    const supply = () => request(svc.client, 'evm.supply.get', {}, { response: z.object({ channelCreditedSats: z.string(), channelBurnedSats: z.string(), supplySats: z.string() }).passthrough(), timeoutMs: 30_000 });
    const supplyBefore = await supply();
    await openChannel(svc, user);
    for (const u of [90_000_000n, 80_000_000n, 70_000_000n]) await user.update(u);
    let view = await user.ok('GET', `/v1/channels/${user.channelId}`);
    expect(view.l2).toEqual({ channelAccountSats: '70000000', creditedSats: '30000000', burnedSats: '0' });
    // Real L2 BTC: the sequencer credited the three payments to the channel's EVM address, each once.
    await waitFor('the three payments credited on the L2', async () => (await l2BalanceSats(l2, user.evmAddress)) === 30_000_000n, 60_000, 200);
    // The return: burned on the L2 first (exactly once), then proposed by the user and co-signed.
    expect((await user.call('POST', `/v1/channels/${user.channelId}/returns`, { stateNumber: 4, amountSats: '40000000' })).status).toBe(409); // more than custody's side... 30M
    await user.ok('POST', `/v1/channels/${user.channelId}/returns`, { stateNumber: 4, amountSats: '10000000' });
    // POST /returns answers once the L2 applied the burn: the user's L2 BTC is already 0.1 lower.
    expect(await l2BalanceSats(l2, user.evmAddress)).toBe(20_000_000n);
    await user.update(80_000_000n);
    view = await user.ok('GET', `/v1/channels/${user.channelId}`);
    expect(view.l2).toEqual({ channelAccountSats: '80000000', creditedSats: '30000000', burnedSats: '10000000' });
    // The L2 supply counts the channel's L2 BTC: 0.3 credited, 0.1 burned.
    const after = await supply();
    expect(BigInt(after.channelCreditedSats) - BigInt(supplyBefore.channelCreditedSats)).toBe(30_000_000n);
    expect(BigInt(after.channelBurnedSats) - BigInt(supplyBefore.channelBurnedSats)).toBe(10_000_000n);
    expect(BigInt(after.supplySats) - BigInt(supplyBefore.supplySats)).toBe(20_000_000n);
    // Redelivered (the outbox relay's at-least-once, or an operator replaying the stream): nothing applies twice.
    const replay = await svc.runtime.pool.query<{ subject: string; payload: unknown }>(`SELECT subject, payload FROM channel_service.outbox WHERE subject = 'channel.system.call' AND payload->'call'->>'channelId' = $1 ORDER BY seq`, [user.channelId]);
    expect(replay.rows).toHaveLength(4);
    for (const [i, row] of replay.rows.entries()) {
      const payload = channelSystemCall.schema.parse(row.payload);
      const { data, headers } = encodeEvent({ id: channelSystemCall.id(payload), subject: row.subject, version: channelSystemCall.version, payload });
      await svc.client.js.publish(svc.client.naming.subject(row.subject), data, { msgID: `replay-${i}-${channelSystemCall.id(payload)}`, headers });
    }
    // Every replayed call handled (acked) by the gateway's consumer, then the balance is still what it was.
    await waitFor('the gateway to handle the replayed calls', async () => {
      const info = await svc.client.jsm.consumers.info(svc.client.naming.stream('CHANNEL'), 'evm-gateway-channel');
      return info.num_pending === 0 && info.num_ack_pending === 0;
    }, 60_000, 200);
    expect(await l2BalanceSats(l2, user.evmAddress)).toBe(20_000_000n);
    const history = await user.ok('GET', `/v1/channels/${user.channelId}/history`);
    expect(history.map((h: { stateNumber: number; kind: string; amountSats: string }) => [h.stateNumber, h.kind, h.amountSats])).toEqual([[0, 'open', '0'], [1, 'credit', '10000000'], [2, 'credit', '10000000'], [3, 'credit', '10000000'], [4, 'burn', '10000000']]);

    const close = await user.ok('POST', `/v1/channels/${user.channelId}/close`, { feeSats: '700', feePaidBy: 'custody', userSignature: user.closeSignature(700n, 'custody') });
    expect(close.broadcast).toBe('accepted');
    mine();
    expect(paidTo(close.txid, user.payoutScript)).toBe(80_000_000n);
    expect(paidTo(close.txid, custodyPayout)).toBe(20_000_000n - 700n);
    await svc.watch.pass();
    expect((await user.ok('GET', `/v1/channels/${user.channelId}`)).status).toBe('closed');
    // (the four channel.system.call events, checked above, carry the channel id inside their call)
    expect(await outboxSubjects(svc, user.channelId)).toEqual(['channel.opened', 'channel.updated', 'channel.updated', 'channel.updated', 'channel.updated', 'channel.closing', 'channel.closed']);
  }, 600_000);

  it('a state the L2 never executed is refused by every signer; once executed it is signed', async () => {
    const user = new TestUser(svc.base, 'refuse');
    await openChannel(svc, user);
    await user.update(60_000_000n);
    // A coordinator asks the signers for custody's commitment of state 2 (custody 0.7 BTC) that the L2 never executed.
    const s2 = { stateNumber: 2, user: 30_000_000n, custody: 70_000_000n };
    const point = ownPoint({ perCommitmentSeed: channelSeed(secret('seed'), user.channelId) }, 2);
    const c2 = buildCommitment(user.params, 'custody', s2, point);
    const ask = (kind: 'custody-commitment', requestId: string) => svc.coordinator.sign(channelSigningRequestWire({ requestId, params: user.params, kind, sheet: s2, tx: c2.tx, holderPerCommitmentPoint: point }));
    const refused = svc.coordinator.outcomes.get(await ask('custody-commitment', 'evil-1'))!;
    expect(refused.status).toBe('failed');
    expect(refused.refusals.map((r) => r.signer).sort()).toEqual([1, 2, 3, 4, 5]);
    for (const r of refused.refusals) expect(r.reason).toMatch(/^channel: not-executed: state 2 credits custody 70000000 sat but the L2 has not executed it/);
    // The L2 executes state 2 (the user pays and revokes); the same request is now signed.
    await user.update(30_000_000n);
    const signed = svc.coordinator.outcomes.get(await ask('custody-commitment', 'honest-1'))!;
    expect(signed.status).toBe('signed');
    expect(schnorr.verify(Buffer.from(signed.signature!, 'hex'), c2.sighash, user.params.groupKey)).toBe(true);
  }, 600_000);

  it('a revoked state published by the user is penalised inside the challenge period; custody gets all of it', async () => {
    const user = new TestUser(svc.base, 'cheat');
    await openChannel(svc, user);
    await user.update(90_000_000n);
    const revoked = user.latestCommitment(); // state 1, kept
    await user.update(60_000_000n);
    await user.update(50_000_000n);
    const commitmentTxid = await publish(revoked.tx);
    const [first] = (await svc.watch.pass()).filter((r) => r.channelId === user.channelId);
    expect(first!.verdict).toMatchObject({ kind: 'revoked', holder: 'user', stateNumber: 1 });
    expect(first!.broadcastError).toBeUndefined();
    expect((await user.ok('GET', `/v1/channels/${user.channelId}`)).status).toBe('closing');
    // The user's own sweep is not final before the period...
    const sweep = buildDelayedSweep(user.params, { commitment: revoked.commitment, destinationScript: user.payoutScript, fee: 500n, holderPerCommitmentPoint: ownPoint(user.keys, 1) });
    expect(() => chain.node.sendRawTransaction(encodeTransactionHex(completeDelayedSweep(sweep, user.keys.sign(sweep.sighash))))).toThrow(/non-BIP68-final|conflict|spent|missing/);
    mine();
    const [second] = (await svc.watch.pass()).filter((r) => r.channelId === user.channelId);
    expect(second!.penaltyConfirmed).toBe(true);
    const penaltyHeight = chain.node.lookupTransaction(second!.penaltyTxid!)!.entry!.height;
    const commitmentHeight = chain.node.lookupTransaction(commitmentTxid)!.entry!.height;
    expect(penaltyHeight - commitmentHeight).toBeLessThan(CHALLENGE);
    expect(paidTo(commitmentTxid, custodyPayout) + paidTo(second!.penaltyTxid!, custodyPayout)).toBe(BTC - 1_000n - PENALTY_FEE);
    expect((await user.ok('GET', `/v1/channels/${user.channelId}`)).status).toBe('closed');
    expect((await outboxSubjects(svc, user.channelId)).slice(-2)).toEqual(['channel.closing', 'channel.closed']);
  }, 600_000);
});

describe('custody settles alone', () => {
  it('custody force-closes with its latest state: the user is paid at once, custody sweeps its delayed output back after the challenge period', async () => {
    const user = new TestUser(svc.base, 'settle');
    await openChannel(svc, user);
    await user.update(70_000_000n);
    const commitment = await svc.app.get(CustodyDesk).custodyForceClose(user.channelId);
    const commitmentTxid = await publish(commitment);
    expect(paidTo(commitmentTxid, user.payoutScript)).toBe(70_000_000n);
    const [first] = (await svc.watch.pass()).filter((r) => r.channelId === user.channelId);
    expect(first!.verdict).toMatchObject({ kind: 'own-commitment', stateNumber: 1 });
    const toLocal = first!.verdict.kind === 'own-commitment' ? first!.verdict.toLocal! : undefined;
    expect(toLocal?.value).toBe(30_000_000n - 1_000n);
    // Not before the CSV: the next block would be one short of it, so nothing is signed or broadcast.
    mine(CHALLENGE - 2);
    await svc.watch.pass();
    const outspend = async () => (await (await fetch(`${chain.esploraUrl}/tx/${commitmentTxid}/outspend/${toLocal!.vout}`)).json()) as { spent: boolean; txid?: string };
    expect((await outspend()).spent).toBe(false);
    expect((await user.ok('GET', `/v1/channels/${user.channelId}`)).status).toBe('closing');
    // The CSV lets it into the next block: the group signs the sweep to the custody payout script and it is broadcast.
    mine();
    await svc.watch.pass();
    const spend = await outspend();
    expect(spend.spent).toBe(true);
    mine();
    expect(paidTo(spend.txid!, custodyPayout)).toBe(30_000_000n - 1_000n - PENALTY_FEE);
    await svc.watch.pass();
    expect((await user.ok('GET', `/v1/channels/${user.channelId}`)).status).toBe('closed');
    expect((await outboxSubjects(svc, user.channelId)).slice(-2)).toEqual(['channel.closing', 'channel.closed']);
  }, 600_000);
});

describe('channel-service REST surface', () => {
  it('documents its routes in OpenAPI and answers problem+json for an unknown channel and a malformed id', async () => {
    const doc = (await (await fetch(`${svc.base}/docs-json`)).json()) as { paths: Record<string, unknown> };
    for (const path of ['/v1/channel-terms', '/v1/channels', '/v1/channels/{id}', '/v1/channels/{id}/history', '/v1/channels/{id}/ledger', '/v1/channels/{id}/proposals', '/v1/channels/{id}/revocations', '/v1/channels/{id}/returns', '/v1/channels/{id}/close'])
      expect(Object.keys(doc.paths), path).toContain(path);
    const unknown = await fetch(`${svc.base}/v1/channels/${'ab'.repeat(32)}:0`);
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(((await unknown.json()) as { code: string }).code).toBe('not_found');
    expect((await fetch(`${svc.base}/v1/channels/not-an-outpoint`)).status).toBe(400);
    const bad = await fetch(`${svc.base}/v1/channels`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ params: {}, evmAddress: 'x' }) });
    expect(bad.status).toBe(400);
  }, 120_000);
});

describe('force close with the L2 service and every signer stopped', () => {
  it('the user publishes its latest state alone and, after the challenge period, holds its unspent BTC', async () => {
    const own = await startService(chain);
    try {
      const user = new TestUser(own.base, 'breakdown');
      await openChannel(own, user);
      await user.update(85_000_000n);
      await user.update(65_000_000n);
      await stopService(own); // the channel service (the L2 side) and the five signers are gone
      await expect(fetch(`${own.base}/v1/channels/${user.channelId}`)).rejects.toThrow();
      const { tx, commitment } = user.latestCommitment();
      const txid = await publish(tx);
      expect(paidTo(txid, custodyPayout)).toBe(35_000_000n);
      const sweep = buildDelayedSweep(user.params, { commitment, destinationScript: user.payoutScript, fee: 500n, holderPerCommitmentPoint: ownPoint(user.keys, 2) });
      const signed = completeDelayedSweep(sweep, user.keys.sign(sweep.sighash));
      mine(CHALLENGE - 2);
      expect(() => chain.node.sendRawTransaction(encodeTransactionHex(signed))).toThrow(/non-BIP68-final/);
      mine();
      const sweepTxid = await publish(signed);
      expect(paidTo(sweepTxid, user.payoutScript)).toBe(65_000_000n - 1_000n - 500n);
    } finally {
      await stopService(own);
      await own.db.drop();
    }
  }, 600_000);
});
