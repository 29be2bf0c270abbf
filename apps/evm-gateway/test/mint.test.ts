import { WEI_PER_SAT } from '@tapbridge/evm';
import { depositConfirmed, depositReorged, request } from '@tapbridge/messaging';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { deleteMintConsumer, mintConsumerDrained } from './support/consumer.js';
import { confirmedDeposit, freshRecipient, inAnotherBlock, publishEvent, randomTxid, reorgedDeposit, type DepositConfirmed } from './support/deposits.js';
import { buildGateway, GatewayEnv } from './support/gateway.js';

interface MintBody {
  depositId: string;
  recipient: string;
  amountSats: string;
  amountWei: string;
  blockNumber: number;
  withdrawalIndex: string;
  withdrawalPosition: number;
  reorged: { reason: string } | null;
}

interface RpcBlock {
  withdrawals: Array<{ index: string; validatorIndex: string; address: string; amount: string }>;
}

// Each test publishes and mints its own deposits and counts only those (rows, logs, metric increases within the
// test), so any test runs alone (-t) or in any order, before or after the one that SIGKILLs and restarts the gateway.
describe('evm-gateway: deposit.confirmed → EIP-4895 credit, exactly once', () => {
  let gw: GatewayEnv;

  beforeAll(async () => {
    buildGateway();
    // Accepting events without a raw transaction lets the last test reach the mint record's own check.
    gw = await GatewayEnv.create({ EVM_ACCEPT_UNPROVEN_DEPOSITS: 'true' });
    await gw.start();
  }, 900_000); // the build waits for the shared build lock behind other engineers' e2e builds (load 20-40)
  afterAll(async () => {
    await gw?.close();
  });

  const depositIdOf = (d: DepositConfirmed) => `${d.txid}:${d.vout}`;
  /** Mint records of these deposits. */
  const mintedRows = async (...deposits: DepositConfirmed[]) =>
    Number((await gw.pool.query<{ n: string }>('SELECT count(*) AS n FROM evm_gateway.evm_mint WHERE deposit_id = ANY($1)', [deposits.map(depositIdOf)])).rows[0]!.n);
  /** A counter of the running gateway process (absent until first counted = 0). */
  const counter = async (name: string) => (await gw.metric(name)) ?? 0;
  /** A deposit published and minted: what a test that needs one already minted starts from. */
  const minted = async (amountSats: bigint, vout = 0): Promise<DepositConfirmed> => {
    const deposit = confirmedDeposit({ amountSats, recipient: freshRecipient(), vout });
    await publishEvent(gw.messaging, depositConfirmed, deposit);
    await mintConsumerDrained(gw.messaging);
    expect(await gw.provider.getBalance(deposit.recipient)).toBe(amountSats * WEI_PER_SAT);
    return deposit;
  };

  it('credits a deposit once although it arrives three times under different Nats-Msg-Ids and re-confirmed in another block', async () => {
    const first = confirmedDeposit({ amountSats: 150_000n, recipient: freshRecipient() });
    const mintsBefore = await counter('tapbridge_evm_mints_total');
    const eventId = depositConfirmed.id(first);
    // Three copies JetStream cannot de-duplicate (each its own Nats-Msg-Id), all with the same event id.
    for (const copy of ['a', 'b', 'c']) await publishEvent(gw.messaging, depositConfirmed, first, `${eventId}#${copy}`);
    // The same deposit confirmed again in another Bitcoin block: a new event id, the same deposit id.
    await publishEvent(gw.messaging, depositConfirmed, inAnotherBlock(first, 121));
    await mintConsumerDrained(gw.messaging);

    expect(await gw.provider.getBalance(first.recipient)).toBe(150_000n * WEI_PER_SAT);
    expect(await mintedRows(first)).toBe(1);
    expect(await counter('tapbridge_evm_mints_total')).toBe(mintsBefore + 1);

    const { status, body } = await gw.getJson<MintBody>(`/mints/${first.txid}/0`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ depositId: `${first.txid}:0`, recipient: first.recipient.toLowerCase(), amountSats: '150000', amountWei: (150_000n * WEI_PER_SAT).toString(), reorged: null });
    // The credit is an EIP-4895 withdrawal in that block: amount in gwei = sats × 10.
    const block = (await gw.rpc('eth_getBlockByNumber', [`0x${body.blockNumber.toString(16)}`, false])) as RpcBlock;
    const credit = block.withdrawals[body.withdrawalPosition]!;
    expect(BigInt(credit.index)).toBe(BigInt(body.withdrawalIndex));
    expect(credit.address.toLowerCase()).toBe(first.recipient.toLowerCase());
    expect(BigInt(credit.amount)).toBe(1_500_000n);
  });

  it('redelivering the whole stream after a SIGKILL, even with the inbox lost, mints nothing twice', async () => {
    const first = confirmedDeposit({ amountSats: 150_000n, recipient: freshRecipient() });
    const eventId = depositConfirmed.id(first);
    // Two copies under their own Nats-Msg-Ids with one event id, and the deposit confirmed again in another block.
    for (const copy of ['a', 'b']) await publishEvent(gw.messaging, depositConfirmed, first, `${eventId}#${copy}`);
    await publishEvent(gw.messaging, depositConfirmed, inAnotherBlock(first, 121));
    const second = await minted(42_000n, 3);
    expect(await gw.provider.getBalance(first.recipient)).toBe(150_000n * WEI_PER_SAT);

    await gw.kill('SIGKILL');
    // A fresh durable re-reads every deposit event; deleting the inbox too leaves only the engine's mint records
    // (written in each block's commit) to stop a second credit, as after a crash between block commit and inbox write.
    await deleteMintConsumer(gw.messaging);
    await gw.pool.query('DELETE FROM evm_gateway.inbox');
    const logsBefore = gw.logs.length;
    await gw.start();
    await mintConsumerDrained(gw.messaging);

    expect(await gw.provider.getBalance(first.recipient)).toBe(150_000n * WEI_PER_SAT);
    expect(await gw.provider.getBalance(second.recipient)).toBe(42_000n * WEI_PER_SAT);
    expect(await mintedRows(first, second)).toBe(2);
    expect(await counter('tapbridge_evm_mints_total')).toBe(0); // this process credited nothing
    // Of this test's four messages, three distinct event ids: the first of each reaches the engine, the rest stop at
    // the inbox. (Other tests' deposits in the stream are redelivered too; they are counted by their own ids.)
    const alreadyMinted = (d: DepositConfirmed) => gw.logs.slice(logsBefore).filter((l) => l.msg.startsWith('deposit already minted') && l.depositId === depositIdOf(d));
    expect(alreadyMinted(first)).toHaveLength(2);
    expect(alreadyMinted(second)).toHaveLength(1);
  });

  it('refuses the same deposit id with another amount: an alert, nothing credited, later deposits not held up', async () => {
    // A valid proof for the txid and no raw transaction (accepted here: EVM_ACCEPT_UNPROVEN_DEPOSITS), so the proof
    // says nothing of amounts: the mint record's own check refuses it. (With its raw tx, deposit-checks.test.ts.)
    const second = await minted(42_000n, 3);
    const refusalsBefore = await counter('tapbridge_evm_mint_refusals_total');
    const { rawTx: _, ...forged } = { ...inAnotherBlock(second, 130), amountSats: '99999999' };
    const after = confirmedDeposit({ amountSats: 7_000n, recipient: freshRecipient() });
    await publishEvent(gw.messaging, depositConfirmed, forged);
    await publishEvent(gw.messaging, depositConfirmed, after);
    await mintConsumerDrained(gw.messaging);
    expect(await gw.provider.getBalance(second.recipient)).toBe(42_000n * WEI_PER_SAT);
    expect(await gw.provider.getBalance(after.recipient)).toBe(7_000n * WEI_PER_SAT);
    expect(await counter('tapbridge_evm_mint_refusals_total')).toBe(refusalsBefore + 1);
    expect(await mintedRows(second)).toBe(1);
    const alert = gw.logs.find((l) => l.alert === 'deposit_not_mintable' && l.depositId === depositIdOf(second));
    expect(alert?.level).toBe('error');
    expect(String(alert?.reason)).toMatch(/already queued or minted as 42000 sat/);
  });

  it('records a reorg of a minted deposit once, counts it and logs an alert; an unminted one only warns', async () => {
    const first = await minted(150_000n);
    const reorgsBefore = await counter('tapbridge_evm_mint_reorgs_total');
    const unminted = confirmedDeposit({ amountSats: 1_000n, recipient: freshRecipient() });
    const reorg = reorgedDeposit(first);
    const eventId = depositReorged.id(reorg);
    await publishEvent(gw.messaging, depositReorged, reorg, `${eventId}#1`);
    await publishEvent(gw.messaging, depositReorged, reorg, `${eventId}#2`);
    await publishEvent(gw.messaging, depositReorged, reorgedDeposit(unminted));
    await mintConsumerDrained(gw.messaging);

    expect(await counter('tapbridge_evm_mint_reorgs_total')).toBe(reorgsBefore + 1);
    const alerts = gw.logs.filter((l) => l.alert === 'minted_deposit_reorged' && (l.depositId === depositIdOf(first) || l.depositId === depositIdOf(unminted)));
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.level).toBe('error');
    expect(alerts[0]!.depositId).toBe(`${first.txid}:0`);
    const { body } = await gw.getJson<MintBody>(`/mints/${first.txid}/0`);
    expect(body.reorged?.reason).toContain(first.blockHash);
    // Minted BTC cannot be clawed back on L2: the balance stays; operators reconcile.
    expect(await gw.provider.getBalance(first.recipient)).toBe(150_000n * WEI_PER_SAT);
  });

  it('answers 404 for an unknown deposit and 400 for a malformed one', async () => {
    expect((await gw.getJson(`/mints/${randomTxid()}/0`)).status).toBe(404);
    expect((await gw.getJson('/mints/xyz/0')).status).toBe(400);
    expect((await gw.getJson(`/mints/${randomTxid()}/-1`)).status).toBe(400);
  });

  it('serves rpc.evm.supply.get and rpc.evm.chain.get (Nest NATS transport, the same envelope); bad input is invalid_request; REST errors are problem+json', async () => {
    await minted(3_000n);
    const totals = (await gw.pool.query<{ sats: string; n: string }>('SELECT coalesce(sum(amount_sats), 0) AS sats, count(*) AS n FROM evm_gateway.evm_mint')).rows[0]!;
    const supply = await request(gw.messaging, 'evm.supply.get', {}, { response: z.object({ mintedSats: z.string(), finalBurnedSats: z.string(), supplySats: z.string(), mints: z.number(), finalBurns: z.number() }) });
    expect(supply).toEqual({ mintedSats: totals.sats, finalBurnedSats: '0', supplySats: totals.sats, mints: Number(totals.n), finalBurns: 0 });
    expect(Number(totals.n)).toBeGreaterThan(0);

    const chain = await request(gw.messaging, 'evm.chain.get', {}, { response: z.object({ chainId: z.number(), height: z.number(), headHash: z.string(), finalizedHeight: z.number(), bridgeAddress: z.string() }) });
    const rest = await gw.getJson<{ chainId: number; height: number; bridgeAddress: string }>('/chain');
    expect(chain.chainId).toBe(Number(gw.chainId));
    expect(chain.bridgeAddress).toBe(rest.body.bridgeAddress);
    expect(Math.abs(chain.height - rest.body.height)).toBeLessThan(1_000);

    // Not a JSON object: the global zod pipe answers invalid_request, as serveRequests did.
    await expect(request(gw.messaging, 'evm.supply.get', 'nope', { response: z.unknown() })).rejects.toMatchObject({ code: 'invalid_request' });

    const bad = await fetch(`${gw.httpUrl}/mints/xyz/0`);
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await bad.json()).toMatchObject({ status: 400, code: 'invalid_request', errors: [expect.objectContaining({ path: 'txid' })] });
    const missing = await fetch(`${gw.httpUrl}/mints/${randomTxid()}/0`);
    expect(missing.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await missing.json()).toMatchObject({ status: 404, code: 'not_found' });
  });

  it('documents the REST shapes from the zod schemas (/docs-json): params and responses', async () => {
    interface Doc {
      paths: Record<string, { get?: { parameters?: Array<{ name: string; in: string }>; responses: Record<string, { content?: Record<string, { schema: { $ref?: string } }> }> } }>;
      components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
    }
    const { status, body: doc } = await gw.getJson<Doc>('/docs-json');
    expect(status).toBe(200);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/chain', '/mints/{txid}/{vout}', '/withdrawals/{id}']));
    const schemaOf = (path: string) => doc.components.schemas[doc.paths[path]!.get!.responses['200']!.content!['application/json']!.schema.$ref!.split('/').pop()!]!;
    expect(Object.keys(schemaOf('/mints/{txid}/{vout}').properties!)).toEqual(expect.arrayContaining(['depositId', 'amountSats', 'withdrawalIndex', 'backingHistory']));
    expect(Object.keys(schemaOf('/withdrawals/{id}').properties!)).toEqual(expect.arrayContaining(['withdrawalId', 'status', 'finalAtBlock', 'eventId']));
    expect(Object.keys(schemaOf('/chain').properties!)).toEqual(expect.arrayContaining(['chainId', 'finalizedHeight', 'bridgeAddress', 'genesis']));
    expect(doc.paths['/mints/{txid}/{vout}']!.get!.parameters!.map((p) => p.name)).toEqual(expect.arrayContaining(['txid', 'vout']));
  });
});
