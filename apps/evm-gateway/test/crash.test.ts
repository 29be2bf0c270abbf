import { WEI_PER_SAT } from '@tapbridge/evm';
import { depositConfirmed } from '@tapbridge/messaging';
import { waitFor } from '@tapbridge/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintConsumerDrained } from './support/consumer.js';
import { confirmedDeposit, freshRecipient, publishEvent, type DepositConfirmed } from './support/deposits.js';
import { buildGateway, GatewayEnv } from './support/gateway.js';

const DEPOSITS = 36;
/** Deposits published together: the gateway credits what arrives together in one block, so a wave is a block or two. */
const WAVE = 3;
/** Kill when this many deposits are minted: each time blocks are being committed back to back. */
const KILL_AT = [6, 15, 26];

interface RpcBlock {
  number: string;
  hash: string;
  parentHash: string;
  stateRoot: string;
  withdrawals: Array<{ index: string; address: string; amount: string }>;
}

describe('evm-gateway: SIGKILL while blocks are being committed', () => {
  let gw: GatewayEnv;

  beforeAll(async () => {
    buildGateway();
    gw = await GatewayEnv.create({ EVM_BLOCK_TIME_MS: '200' });
    await gw.start();
  });
  afterAll(async () => {
    await gw?.close();
  });

  const mintedCount = async () => Number((await gw.pool.query<{ n: string }>('SELECT count(*) AS n FROM evm_gateway.evm_mint')).rows[0]!.n);
  const committedHead = async () => {
    const { rows } = await gw.pool.query<{ number: string; hash: Buffer; state_root: Buffer }>('SELECT number, hash, state_root FROM evm_gateway.evm_head');
    const r = rows[0]!;
    return { number: Number(r.number), hash: `0x${r.hash.toString('hex')}`, stateRoot: `0x${r.state_root.toString('hex')}` };
  };
  const block = async (n: number) => (await gw.rpc('eth_getBlockByNumber', [`0x${n.toString(16)}`, false])) as RpcBlock | null;

  it('comes back at the committed head with the same state root, and mints every deposit exactly once', async () => {
    const deposits: DepositConfirmed[] = Array.from({ length: DEPOSITS }, (_, i) =>
      confirmedDeposit({ amountSats: 10_000n + BigInt(i), recipient: freshRecipient(), vout: i % 4 }),
    );
    // Published in waves, each once the one before the last is minted: about two waves stay in flight, so the stream
    // keeps flowing into new blocks while the gateway is killed (a burst of all 36 would be one block).
    const publisher = (async () => {
      for (let i = 0; i < DEPOSITS; i += WAVE) {
        await waitFor(`deposits before ${i - WAVE} minted`, async () => (await mintedCount()) >= i - WAVE, 120_000, 5);
        for (const d of deposits.slice(i, i + WAVE)) await publishEvent(gw.messaging, depositConfirmed, d);
      }
    })();

    for (const threshold of KILL_AT) {
      await waitFor(`${threshold} deposits minted`, async () => (await mintedCount()) >= threshold, 60_000, 5);
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 15)));
      await gw.kill('SIGKILL');
      const head = await committedHead();
      const mintedAtCrash = await mintedCount();
      expect(mintedAtCrash).toBeLessThan(DEPOSITS); // killed mid-stream, with mints still to come

      await gw.start();
      // The committed head survived whole: same hash and state root, and the next block builds on it.
      const reopened = (await block(head.number))!;
      expect(reopened.hash).toBe(head.hash);
      expect(reopened.stateRoot).toBe(head.stateRoot);
      const next = await waitFor(`block ${head.number + 1}`, () => block(head.number + 1), 30_000);
      expect(next.parentHash).toBe(head.hash);
      // State at the crash height is readable and agrees with what was minted by then.
      const minted = await gw.pool.query<{ recipient: Buffer; amount_sats: string }>('SELECT recipient, amount_sats FROM evm_gateway.evm_mint WHERE block_number <= $1', [head.number]);
      for (const m of minted.rows.slice(0, 5)) {
        const balance = BigInt((await gw.rpc('eth_getBalance', [`0x${m.recipient.toString('hex')}`, `0x${head.number.toString(16)}`])) as string);
        expect(balance).toBe(BigInt(m.amount_sats) * WEI_PER_SAT);
      }
    }

    await publisher;
    await mintConsumerDrained(gw.messaging, 60_000);
    // Nothing lost, nothing twice: every recipient holds exactly its deposit.
    for (const d of deposits) expect(await gw.provider.getBalance(d.recipient)).toBe(BigInt(d.amountSats) * WEI_PER_SAT);
    expect(await mintedCount()).toBe(DEPOSITS);

    // The chain itself agrees: across all blocks the EIP-4895 credits are one per deposit, indexes 0..n-1 without gaps.
    const head = await gw.provider.getBlockNumber();
    const res = await fetch(gw.rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(Array.from({ length: head + 1 }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'eth_getBlockByNumber', params: [`0x${i.toString(16)}`, false] }))),
    });
    const blocks = ((await res.json()) as Array<{ result: RpcBlock }>).map((r) => r.result);
    const credits = blocks.flatMap((b) => b.withdrawals);
    expect(credits.map((c) => Number(BigInt(c.index)))).toEqual(Array.from({ length: DEPOSITS }, (_, i) => i));
    const byRecipient = new Map(credits.map((c) => [c.address.toLowerCase(), BigInt(c.amount)]));
    expect(byRecipient.size).toBe(DEPOSITS);
    for (const d of deposits) expect(byRecipient.get(d.recipient.toLowerCase())).toBe(BigInt(d.amountSats) * 10n);
  }, 300_000); // three restarts, each waiting out the ack wait of what the killed process held, on a loaded machine

  it('refuses to start on this database with another chain id', async () => {
    await gw.kill('SIGKILL');
    await expect(gw.start({ EVM_CHAIN_ID: '31337' })).rejects.toThrow(/exited with 1/);
    const fatal = gw.logs.findLast((l) => l.level === 'fatal');
    expect(String(fatal?.err)).toMatch(/holds chain 29794 .* configuration describes chain 31337/);
    await gw.start();
    expect(BigInt((await gw.rpc('eth_chainId', [])) as string)).toBe(29794n);
  }, 180_000); // a refused start and a good one: 20-30 s each at load 30
});
