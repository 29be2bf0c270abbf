// The gateway as a process on the real bus: forged deposit events mint nothing, a reorged mint that confirms again is
// backed again (REST and the alert's gauge follow), and an endless eth_call cannot stall blocks or health.
import { randomBytes } from 'node:crypto';
import { WEI_PER_SAT } from '@tapbridge/evm';
import { depositConfirmed, depositReorged } from '@tapbridge/messaging';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintConsumerDrained } from './support/consumer.js';
import { confirmedDeposit, confirmedPayment, freshRecipient, inAnotherBlock, publishEvent, randomTxid, reorgedDeposit, type DepositConfirmed } from './support/deposits.js';
import { buildGateway, GatewayEnv } from './support/gateway.js';
import { makeBlock, setBlock } from './support/headers.js';

interface MintBody {
  reorged: { reason: string } | null;
  backing: 'backed' | 'reorged';
  backingHistory: Array<{ status: string; btcBlockHash: string | null }>;
}

describe('evm-gateway: deposit checks against the header chain, and re-confirmation after a reorg', () => {
  let gw: GatewayEnv;

  beforeAll(async () => {
    buildGateway();
    // The highest gas cap allowed, so the endless eth_call below meets the 3 s timeout before it runs out of gas.
    gw = await GatewayEnv.create({ EVM_RPC_EVM_TIMEOUT: '3s', EVM_RPC_GAS_CAP: '1000000000' });
    await gw.start();
  });
  afterAll(async () => {
    await gw?.close();
  });

  const metricsText = () => fetch(`${gw.httpUrl}/metrics`).then((r) => r.text());
  const mintedRows = async () => Number((await gw.pool.query<{ n: string }>('SELECT count(*) AS n FROM evm_gateway.evm_mint')).rows[0]!.n);

  it('mints nothing from forged deposit.confirmed events on the bus: dead-lettered with the reason, counted, later deposits go on', async () => {
    const thief = freshRecipient();
    const honest = confirmedDeposit({ amountSats: 5_000n, recipient: freshRecipient() });
    // A real proof, but of another transaction.
    const notCommitted: DepositConfirmed = { ...honest, txid: randomTxid(), recipient: thief, amountSats: '5000000000' };
    // A self-consistent proof in a block the header chain never saw.
    const t2 = randomTxid();
    const fabricated: DepositConfirmed = { ...confirmedDeposit({ amountSats: 5_000_000_000n, recipient: thief, txid: t2 }), ...makeBlock(t2, 120, { known: false }) };
    // Noise where the proof should be.
    const garbage: DepositConfirmed = { ...confirmedDeposit({ amountSats: 5_000_000_000n, recipient: thief }), merkleProof: randomBytes(200).toString('hex') };
    const rowsBefore = await mintedRows();
    for (const forged of [notCommitted, fabricated, garbage]) await publishEvent(gw.messaging, depositConfirmed, forged);
    const after = confirmedDeposit({ amountSats: 7_000n, recipient: freshRecipient() });
    await publishEvent(gw.messaging, depositConfirmed, after);
    await mintConsumerDrained(gw.messaging, 60_000);

    expect(await gw.provider.getBalance(thief)).toBe(0n);
    expect(await gw.provider.getBalance(after.recipient)).toBe(7_000n * WEI_PER_SAT);
    expect(await mintedRows()).toBe(rowsBefore + 1);
    expect(await gw.metric('tapbridge_evm_mint_proof_rejections_total')).toBe(3);
    const metrics = await metricsText();
    expect(metrics).toMatch(/tapbridge_events_dead_lettered_total\{consumer="evm-gateway-mint",subject="deposit\.confirmed"\} 3/);
    const reasons = gw.logs.filter((l) => l.alert === 'deposit_proof_rejected').map((l) => String(l.reason));
    expect(reasons).toHaveLength(3);
    expect(reasons[0]).toMatch(`does not commit to txid ${notCommitted.txid}`);
    expect(reasons[1]).toMatch(/unknown to the header chain/);
    expect(reasons[2]).toMatch(/merkle proof is invalid/);
  });

  it('mints nothing from events whose proof is valid but whose transaction pays something else, or is missing', async () => {
    const deadLettered = async () => Number(/tapbridge_events_dead_lettered_total\{consumer="evm-gateway-mint",subject="deposit\.confirmed"\} (\d+)/.exec(await metricsText())?.[1] ?? 0);
    const rejectedBefore = (await gw.metric('tapbridge_evm_mint_proof_rejections_total')) ?? 0;
    const deadBefore = await deadLettered();
    const logsBefore = gw.logs.length;
    const rowsBefore = await mintedRows();
    const thief = freshRecipient();
    // Someone's ordinary payment, really confirmed (valid proof, best chain), named as a deposit with invented terms.
    const payment: DepositConfirmed = { ...confirmedDeposit({ amountSats: 1n, recipient: thief }), ...confirmedPayment(), vout: 0, amountSats: '5000000000' };
    // A real deposit's transaction, announced with more than its output pays.
    const real = confirmedDeposit({ amountSats: 8_000n, recipient: freshRecipient(), kind: 'taproot' });
    const inflated: DepositConfirmed = { ...real, amountSats: '800000' };
    // An event without its raw transaction (EVM_ACCEPT_UNPROVEN_DEPOSITS is off).
    const { rawTx: _, ...bare } = confirmedDeposit({ amountSats: 9_000n, recipient: thief });
    for (const forged of [payment, inflated, bare]) await publishEvent(gw.messaging, depositConfirmed, forged);
    const honest = confirmedDeposit({ amountSats: 6_000n, recipient: freshRecipient(), kind: 'taproot' });
    await publishEvent(gw.messaging, depositConfirmed, honest);
    await mintConsumerDrained(gw.messaging, 60_000);

    expect(await gw.provider.getBalance(thief)).toBe(0n);
    expect(await gw.provider.getBalance(real.recipient)).toBe(0n);
    expect(await gw.provider.getBalance(honest.recipient)).toBe(6_000n * WEI_PER_SAT);
    expect(await mintedRows()).toBe(rowsBefore + 1);
    expect(await gw.metric('tapbridge_evm_mint_proof_rejections_total')).toBe(rejectedBefore + 3);
    expect(await deadLettered()).toBe(deadBefore + 3);
    const reasons = gw.logs.slice(logsBefore).filter((l) => l.alert === 'deposit_proof_rejected').map((l) => String(l.reason));
    expect(reasons).toEqual(['output 0 pays 21000 sat, the event says 5000000000', 'output 0 pays 8000 sat, the event says 800000', expect.stringMatching(/carries no raw transaction/)]);
  });

  it('backs a reorged mint again when it confirms in another block: /mints, history and the alert gauge follow; one credit', async () => {
    const d = confirmedDeposit({ amountSats: 33_000n, recipient: freshRecipient(), blockHeight: 140 });
    await publishEvent(gw.messaging, depositConfirmed, d);
    await mintConsumerDrained(gw.messaging);
    expect(await gw.metric('tapbridge_evm_unbacked_mints')).toBe(0);

    await publishEvent(gw.messaging, depositReorged, reorgedDeposit(d));
    await mintConsumerDrained(gw.messaging);
    expect(await gw.metric('tapbridge_evm_unbacked_mints')).toBe(1);
    let mint = (await gw.getJson<MintBody>(`/mints/${d.txid}/0`)).body;
    expect(mint.backing).toBe('reorged');
    expect(mint.reorged?.reason).toContain(d.blockHash);

    const again = inAnotherBlock(d, 141);
    await publishEvent(gw.messaging, depositConfirmed, again);
    await mintConsumerDrained(gw.messaging);
    expect(await gw.metric('tapbridge_evm_unbacked_mints')).toBe(0);
    expect(await gw.metric('tapbridge_evm_mint_reconfirmations_total')).toBe(1);
    mint = (await gw.getJson<MintBody>(`/mints/${d.txid}/0`)).body;
    expect(mint.backing).toBe('backed');
    expect(mint.reorged).toBeNull();
    expect(mint.backingHistory.map((h) => [h.status, h.btcBlockHash])).toEqual([
      ['reorged', d.blockHash],
      ['reconfirmed', again.blockHash],
    ]);
    // A forged deposit.reorged of the block that backs it now (still on the best chain) is refused: no false alarm.
    const rejectedBefore = (await gw.metric('tapbridge_evm_mint_proof_rejections_total'))!;
    const lie = { txid: d.txid, vout: d.vout, blockHash: again.blockHash, blockHeight: again.blockHeight, amountSats: d.amountSats, recipient: d.recipient };
    await publishEvent(gw.messaging, depositReorged, lie, `lie:${randomTxid()}`);
    await mintConsumerDrained(gw.messaging);
    expect(await gw.metric('tapbridge_evm_unbacked_mints')).toBe(0);
    expect(await gw.metric('tapbridge_evm_mint_proof_rejections_total')).toBe(rejectedBefore + 1);
    // A late deposit.reorged of the old block no longer matters: the mint is backed by the new one.
    await publishEvent(gw.messaging, depositReorged, { ...reorgedDeposit(d) }, `late:${randomTxid()}`);
    await mintConsumerDrained(gw.messaging);
    expect(await gw.metric('tapbridge_evm_unbacked_mints')).toBe(0);
    expect(await gw.provider.getBalance(d.recipient)).toBe(33_000n * WEI_PER_SAT);

    // The new block is reorged away, then comes back (reconsiderblock): the indexer's second confirmation of the same
    // block carries reconfirmation = 1, so its event id differs from the first and it is applied, not deduplicated.
    await publishEvent(gw.messaging, depositReorged, reorgedDeposit(again));
    await mintConsumerDrained(gw.messaging);
    expect(await gw.metric('tapbridge_evm_unbacked_mints')).toBe(1);
    setBlock(again.blockHash, { inBest: true, confirmations: 6 });
    const back: DepositConfirmed = { ...again, reconfirmation: 1 };
    expect(depositConfirmed.id(back)).not.toBe(depositConfirmed.id(again));
    await publishEvent(gw.messaging, depositConfirmed, back);
    await mintConsumerDrained(gw.messaging);
    expect(await gw.metric('tapbridge_evm_unbacked_mints')).toBe(0);
    mint = (await gw.getJson<MintBody>(`/mints/${d.txid}/0`)).body;
    expect(mint.backingHistory.map((h) => h.status)).toEqual(['reorged', 'reconfirmed', 'reorged', 'reconfirmed']);
    expect(await gw.provider.getBalance(d.recipient)).toBe(33_000n * WEI_PER_SAT);
  });

  it('answers an endless eth_call with the timeout error while blocks keep coming and /health/live answers', async () => {
    const rpc = (method: string, params: unknown[]) =>
      fetch(gw.rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) }).then(
        (r) => r.json() as Promise<{ result?: string; error?: { code: number; message: string } }>,
      );
    await rpc('eth_call', [{ to: '0x0000000000000000000000000000000000000001', data: '0x' }]); // the worker is up
    const start = BigInt((await rpc('eth_blockNumber', [])).result!);
    let done = false;
    const loop = rpc('eth_call', [{ data: '0x5b600056', gas: '0xffffffffffffffff' }]).finally(() => (done = true));
    let liveDuring = 0;
    let highest = start;
    while (!done) {
      const [live, head] = await Promise.all([fetch(`${gw.httpUrl}/health/live`), rpc('eth_blockNumber', [])]);
      if (!done && live.ok) liveDuring++;
      if (!done && head.result !== undefined && BigInt(head.result) > highest) highest = BigInt(head.result);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect((await loop).error).toEqual({ code: -32000, message: 'execution aborted (timeout = 3s)' });
    expect(liveDuring).toBeGreaterThan(0);
    expect(highest).toBeGreaterThan(start); // EVM_BLOCK_TIME_MS is 300 in the harness: blocks came while it ran
  });
});
