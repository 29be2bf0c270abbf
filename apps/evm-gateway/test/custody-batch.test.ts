// The gateway as a process on the real bus (NATS JetStream, Postgres): deposits must be locked to the custody the
// signing-coordinator names (held while it is unknown, dead-lettered when foreign), and the deposits of one Bitcoin
// block are credited in one L2 block, in stream order with deposit.reorged.
import { WEI_PER_SAT } from '@tapbridge/evm';
import { depositConfirmed, depositReorged } from '@tapbridge/messaging';
import { waitFor } from '@tapbridge/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintConsumerDrained } from './support/consumer.js';
import { FOREIGN_GROUP_KEY, TEST_CUSTODY_SCRIPT, TEST_GROUP_KEY } from './support/custody.js';
import { confirmedDeposit, freshRecipient, inAnotherBlock, publishEvent, reorgedDeposit, type DepositConfirmed } from './support/deposits.js';
import { buildGateway, GatewayEnv } from './support/gateway.js';

interface MintBody {
  blockNumber: number;
  backing: 'backed' | 'reorged';
  backingHistory: Array<{ status: string; btcBlockHash: string | null }>;
}

describe('evm-gateway: custody check and batched minting', () => {
  let gw: GatewayEnv;

  beforeAll(async () => {
    buildGateway();
    gw = await GatewayEnv.create();
    // The coordinator has no group key yet when the gateway starts.
    gw.custodyMode = 'not_ready';
    await gw.start();
  });
  afterAll(async () => {
    await gw?.close();
  });

  const mintedRows = async () => Number((await gw.pool.query<{ n: string }>('SELECT count(*) AS n FROM evm_gateway.evm_mint')).rows[0]!.n);
  const deadLetters = async () => {
    const stream = gw.messaging.naming.stream('DLQ');
    const state = (await gw.messaging.jsm.streams.info(stream)).state;
    const out: Array<{ error: string; eventId: string }> = [];
    for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq++) {
      const m = await gw.messaging.jsm.streams.getMessage(stream, { seq }).catch(() => undefined);
      if (m) out.push({ error: m.header.get('Tb-Dlq-Error'), eventId: m.header.get('Tb-Event-Id') });
    }
    return out;
  };

  it('holds deposits while the coordinator does not know the custody (no mint, no dead letter), mints them once it does', async () => {
    const d = confirmedDeposit({ amountSats: 21_000n, recipient: freshRecipient() });
    await publishEvent(gw.messaging, depositConfirmed, d);
    // Retried, not minted and not dead-lettered: the gateway says why it waits.
    await waitFor('a retry that waits for the custody', async () => gw.logs.some((l) => /held until our custody is known/.test(JSON.stringify(l))), 30_000);
    await waitFor('a second attempt', async () => gw.logs.filter((l) => l.msg === 'event handler failed; will retry').length >= 2, 30_000);
    expect(await mintedRows()).toBe(0);
    expect(await gw.provider.getBalance(d.recipient)).toBe(0n);
    expect(await deadLetters()).toEqual([]);

    gw.custodyMode = 'ready';
    await mintConsumerDrained(gw.messaging, 60_000);
    expect(await gw.provider.getBalance(d.recipient)).toBe(21_000n * WEI_PER_SAT);
    const learned = gw.logs.find((l) => l.msg.startsWith('custody learned'));
    expect(learned).toMatchObject({ groupKey: TEST_GROUP_KEY, scriptPubKey: TEST_CUSTODY_SCRIPT });
  });

  it('dead-letters deposits locked to a foreign group key or paying a foreign custody script, naming both; ours still mint', async () => {
    const taproot = confirmedDeposit({ amountSats: 50_000n, recipient: freshRecipient(), kind: 'taproot', foreignCustody: true });
    const simple = confirmedDeposit({ amountSats: 60_000n, recipient: freshRecipient(), kind: 'op_return', foreignCustody: true });
    const ours = confirmedDeposit({ amountSats: 70_000n, recipient: freshRecipient(), kind: 'taproot' });
    const rowsBefore = await mintedRows();
    for (const d of [taproot, simple, ours]) await publishEvent(gw.messaging, depositConfirmed, d);
    await mintConsumerDrained(gw.messaging, 60_000);

    expect(await gw.provider.getBalance(taproot.recipient)).toBe(0n);
    expect(await gw.provider.getBalance(simple.recipient)).toBe(0n);
    expect(await gw.provider.getBalance(ours.recipient)).toBe(70_000n * WEI_PER_SAT);
    expect(await mintedRows()).toBe(rowsBefore + 1);
    const dead = await deadLetters();
    expect(dead.map((d) => d.eventId)).toEqual([depositConfirmed.id(taproot), depositConfirmed.id(simple)]);
    expect(dead[0]!.error).toContain(`the deposit leaf is locked to group key ${FOREIGN_GROUP_KEY}, not our custody key ${TEST_GROUP_KEY}`);
    expect(dead[1]!.error).toMatch(new RegExp(`output 0 pays script [0-9a-f]+, not our custody script ${TEST_CUSTODY_SCRIPT}`));
    const alerts = gw.logs.filter((l) => l.alert === 'deposit_not_ours');
    expect(alerts.map((a) => a.level)).toEqual(['error', 'error']);
  });

  it('credits the deposit.confirmed events that arrive together (a Bitcoin block\u2019s) in one L2 block', async () => {
    // The indexer publishes a block's deposits back to back (made-up blocks hold one deposit each; the gateway batches
    // by arrival, not by block hash).
    const deposits: DepositConfirmed[] = Array.from({ length: 200 }, (_, i) => confirmedDeposit({ amountSats: 1_000n + BigInt(i), recipient: freshRecipient(), blockHeight: 150 }));
    // Published while the gateway is down, so they reach it as one burst however loaded the machine is.
    await gw.kill('SIGTERM');
    await Promise.all(deposits.map((d) => publishEvent(gw.messaging, depositConfirmed, d)));
    await gw.start();
    await mintConsumerDrained(gw.messaging, 60_000);
    const { rows } = await gw.pool.query<{ block_number: string; n: string }>(
      `SELECT block_number, count(*) AS n FROM evm_gateway.evm_mint WHERE deposit_id = ANY($1::text[]) GROUP BY block_number`,
      [deposits.map((d) => `${d.txid}:${d.vout}`)],
    );
    expect(rows).toHaveLength(1);
    expect(Number(rows[0]!.n)).toBe(200);
    for (const d of deposits.slice(0, 5)) expect(await gw.provider.getBalance(d.recipient)).toBe(BigInt(d.amountSats) * WEI_PER_SAT);
  }, 240_000); // a graceful stop, a start and a 200-deposit batch on a loaded 2-core machine (a start alone took 16-30 s at load 30)

  it('keeps stream order with deposit.reorged among events published together: confirmed, reorged, confirmed elsewhere ends backed', async () => {
    const d = confirmedDeposit({ amountSats: 44_000n, recipient: freshRecipient(), blockHeight: 160 });
    await publishEvent(gw.messaging, depositConfirmed, d);
    await mintConsumerDrained(gw.messaging, 60_000);
    const elsewhere = inAnotherBlock(d, 161);
    const e = confirmedDeposit({ amountSats: 45_000n, recipient: freshRecipient(), blockHeight: 160 });
    const f = confirmedDeposit({ amountSats: 46_000n, recipient: freshRecipient(), blockHeight: 161 });
    // Published back to back, so the gateway takes them together: applied out of order (the re-confirmation before
    // the reorg), the mint would end marked reorged.
    await publishEvent(gw.messaging, depositConfirmed, e);
    await publishEvent(gw.messaging, depositReorged, reorgedDeposit(d));
    await publishEvent(gw.messaging, depositConfirmed, elsewhere);
    await publishEvent(gw.messaging, depositConfirmed, f);
    await mintConsumerDrained(gw.messaging, 60_000);

    const mint = (await gw.getJson<MintBody>(`/mints/${d.txid}/0`)).body;
    expect(mint.backingHistory.map((h) => [h.status, h.btcBlockHash])).toEqual([
      ['reorged', d.blockHash],
      ['reconfirmed', elsewhere.blockHash],
    ]);
    expect(mint.backing).toBe('backed');
    expect(await gw.metric('tapbridge_evm_unbacked_mints')).toBe(0);
    expect(await gw.provider.getBalance(d.recipient)).toBe(44_000n * WEI_PER_SAT);
    expect(await gw.provider.getBalance(e.recipient)).toBe(45_000n * WEI_PER_SAT);
    expect(await gw.provider.getBalance(f.recipient)).toBe(46_000n * WEI_PER_SAT);
    // The reorg splits the batch: e's block is committed before it is applied, f's after.
    const blocks = await Promise.all([e, f].map(async (x) => (await gw.getJson<MintBody>(`/mints/${x.txid}/0`)).body.blockNumber));
    expect(blocks[0]).toBeLessThan(blocks[1]!);
  }, 180_000); // two drains of up to 60 s each
});
