import { BRIDGE_ABI, BRIDGE_ADDRESS, WEI_PER_SAT } from '@tapbridge/evm';
import { withdrawalRequested, type EventPayload } from '@tapbridge/messaging';
import { waitFor } from '@tapbridge/testing';
import { Contract, isError, Wallet, type ContractTransactionResponse, type InterfaceAbi } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { DEV_ACCOUNTS } from '../src/chain/chain.js';
import { buildGateway, GatewayEnv } from './support/gateway.js';

const P2WPKH = `0x0014${'c0'.repeat(20)}`;
const FINALITY_DEPTH = 2;
const MAX_BATCH = 20;
const MAX_BODY_BYTES = 64 * 1024;

interface WithdrawalBody {
  withdrawalId: string;
  status: 'requested' | 'final' | 'published';
  sender: string;
  btcScriptPubKey: string;
  amountSats: string;
  maxFeeSats: string;
  evmBlockNumber: number;
  evmTxHash: string;
  finalAtBlock: number;
}

interface RpcReply {
  id?: unknown;
  result?: unknown;
  error?: { code: number; message: string };
}

// Each test burns what it needs and compares against what was there when it began (withdrawal ids, stream and outbox
// counts, the bridge's balance, counters of the running process), so any test runs alone (-t) or in any order.
describe('evm-gateway: burns, reverts and JSON-RPC robustness through the running gateway', () => {
  let gw: GatewayEnv;
  let bridge: Contract;
  let user: Wallet;

  beforeAll(async () => {
    buildGateway();
    gw = await GatewayEnv.create({
      EVM_FINALITY_DEPTH: String(FINALITY_DEPTH),
      EVM_BLOCK_TIME_MS: '700',
      EVM_RPC_MAX_BATCH: String(MAX_BATCH),
      EVM_RPC_MAX_BODY_BYTES: String(MAX_BODY_BYTES),
    });
    await gw.start();
    user = new Wallet(DEV_ACCOUNTS[1]!.privateKey, gw.provider);
    bridge = new Contract(BRIDGE_ADDRESS, BRIDGE_ABI as InterfaceAbi, user);
  }, 900_000); // the build waits for the shared build lock behind other engineers' e2e builds (load 20-40)
  afterAll(async () => {
    await gw?.close();
  });

  const streamedWithdrawals = async () => {
    const stream = gw.messaging.naming.stream('WITHDRAWAL');
    const subject = gw.messaging.naming.subject(withdrawalRequested.subject);
    const info = await gw.messaging.jsm.streams.info(stream, { subjects_filter: subject });
    const last = info.state.messages > 0 ? await gw.messaging.jsm.streams.getMessage(stream, { last_by_subj: subject }) : null;
    return { count: info.state.messages, last: last?.json<EventPayload<typeof withdrawalRequested>>() };
  };
  const outboxWithdrawals = async () =>
    Number((await gw.pool.query<{ n: string }>(`SELECT count(*) AS n FROM evm_gateway.outbox WHERE subject = 'withdrawal.requested'`)).rows[0]!.n);
  // After a restart the environment has a new provider: a test connects the user to the current one first.
  const connectBridge = () => (bridge = new Contract(BRIDGE_ADDRESS, BRIDGE_ABI as InterfaceAbi, user.connect(gw.provider)));
  const nextWithdrawalId = async () => (await connectBridge().getFunction('nextWithdrawalId').staticCall()) as bigint;
  const counter = async (name: string) => (await gw.metric(name)) ?? 0;
  const published = (id: bigint) =>
    waitFor(`withdrawal ${id} published`, async () => {
      const { body } = await gw.getJson<WithdrawalBody>(`/withdrawals/${id}`);
      return body.status === 'published' ? body : undefined;
    });

  it('withdraw burns, emits WithdrawalRequested, and yields exactly one withdrawal.requested once final', async () => {
    const amountSats = 50_000n;
    const value = amountSats * WEI_PER_SAT;
    const id = await nextWithdrawalId();
    const streamedBefore = (await streamedWithdrawals()).count;
    const burnsBefore = await counter('tapbridge_evm_burns_total');
    const bridgeBefore = await gw.provider.getBalance(BRIDGE_ADDRESS);
    const before = await gw.provider.getBalance(user.address);
    const tx = (await bridge.getFunction('withdraw')(P2WPKH, 2_000n, { value })) as ContractTransactionResponse;
    const receipt = (await tx.wait())!;
    expect(receipt.status).toBe(1);
    const event = receipt.logs.map((l) => bridge.interface.parseLog(l)).find((l) => l?.name === 'WithdrawalRequested');
    expect(event?.args.toArray()).toEqual([id, user.address, P2WPKH, amountSats, 2_000n]);
    // Burned: the value left the sender (with the gas) and sits in the bridge, which has no way to send it out.
    expect(await gw.provider.getBalance(user.address)).toBe(before - value - receipt.gasUsed * receipt.gasPrice);
    expect(await gw.provider.getBalance(BRIDGE_ADDRESS)).toBe(bridgeBefore + value);

    // Not final yet: in a block, no event.
    const early = await gw.getJson<WithdrawalBody>(`/withdrawals/${id}`);
    expect(early.status).toBe(200);
    expect(early.body.status).toBe('requested');
    expect(early.body.finalAtBlock).toBe(receipt.blockNumber + FINALITY_DEPTH);
    expect((await streamedWithdrawals()).count).toBe(streamedBefore);

    const view = await published(id);
    expect(await gw.provider.getBlockNumber()).toBeGreaterThanOrEqual(receipt.blockNumber + FINALITY_DEPTH);
    expect(view).toMatchObject({
      withdrawalId: String(id), sender: user.address.toLowerCase(), btcScriptPubKey: P2WPKH.slice(2), amountSats: '50000', maxFeeSats: '2000',
      evmBlockNumber: receipt.blockNumber, evmTxHash: tx.hash,
    });
    const streamed = await streamedWithdrawals();
    expect(streamed.count).toBe(streamedBefore + 1);
    expect(streamed.last).toEqual({
      withdrawalId: String(id), sender: user.address.toLowerCase(), btcScriptPubKey: P2WPKH.slice(2), amountSats: '50000', maxFeeSats: '2000',
      evmBlockNumber: receipt.blockNumber, evmBlockHash: receipt.blockHash, evmTxHash: tx.hash,
    });
    expect(await counter('tapbridge_evm_burns_total')).toBe(burnsBefore + 1);
  });

  it('a SIGKILL and restart publish nothing again', async () => {
    const id = await nextWithdrawalId();
    const tx = (await bridge.getFunction('withdraw')(P2WPKH, 1_000n, { value: 20_000n * WEI_PER_SAT })) as ContractTransactionResponse;
    expect((await tx.wait())!.status).toBe(1);
    await published(id);
    const outboxBefore = await outboxWithdrawals();
    const streamedBefore = (await streamedWithdrawals()).count;
    await gw.kill('SIGKILL');
    await gw.start();
    const head = await gw.provider.getBlockNumber();
    await waitFor('three more blocks', async () => (await gw.provider.getBlockNumber()) >= head + 3, 10_000);
    expect(await outboxWithdrawals()).toBe(outboxBefore);
    expect((await streamedWithdrawals()).count).toBe(streamedBefore);
    expect(await counter('tapbridge_evm_burns_total')).toBe(0); // this process found nothing new to burn
    expect((await gw.getJson<WithdrawalBody>(`/withdrawals/${id}`)).body.status).toBe('published');
    expect((await gw.getJson(`/withdrawals/${id + 1n}`)).status).toBe(404);
    expect((await gw.getJson('/withdrawals/-1')).status).toBe(400);
  });

  it('reverts fractional sats, dust and malformed scripts with the reason, on-chain as well as in calls', async () => {
    connectBridge();
    const withdraw = bridge.getFunction('withdraw');
    const revertOf = async (p: Promise<unknown>) => {
      try {
        await p;
      } catch (err) {
        if (!isError(err, 'CALL_EXCEPTION')) throw err;
        const decoded = err.revert ?? bridge.interface.parseError(err.data ?? '0x');
        return decoded === null || decoded === undefined ? `no reason (${err.message})` : `${decoded.name}(${decoded.args.join(',')})`;
      }
      return 'no revert';
    };
    expect(await revertOf(withdraw.staticCall(P2WPKH, 0n, { value: 1_000n * WEI_PER_SAT + 1n }))).toBe(`NotWholeSats(${1_000n * WEI_PER_SAT + 1n})`);
    expect(await revertOf(withdraw.staticCall(P2WPKH, 0n, { value: 545n * WEI_PER_SAT }))).toBe('BelowDust(545,546)');
    expect(await revertOf(withdraw.staticCall(`0x0014${'ab'.repeat(19)}`, 0n, { value: 1_000n * WEI_PER_SAT }))).toBe(`UnsupportedScriptPubKey(0x0014${'ab'.repeat(19)})`);
    expect(await revertOf(withdraw.staticCall('0x6a0401020304', 0n, { value: 1_000n * WEI_PER_SAT }))).toBe('UnsupportedScriptPubKey(0x6a0401020304)');
    // ethers estimates gas before sending; the estimate reverts with the same reason.
    expect(await revertOf(withdraw(P2WPKH, 0n, { value: 545n * WEI_PER_SAT }))).toBe('BelowDust(545,546)');

    // Sent with a fixed gas limit, so it is mined: it reverts on-chain, burns nothing and emits nothing.
    const before = await gw.provider.getBalance(BRIDGE_ADDRESS);
    const nextId = await nextWithdrawalId();
    const sent = (await withdraw(P2WPKH, 0n, { value: 999n * WEI_PER_SAT + 5n, gasLimit: 100_000n })) as ContractTransactionResponse;
    await expect(sent.wait()).rejects.toSatisfy((err: unknown) => isError(err, 'CALL_EXCEPTION'));
    const receipt = await gw.provider.getTransactionReceipt(sent.hash);
    expect(receipt?.status).toBe(0);
    expect(receipt?.logs).toHaveLength(0);
    expect(await gw.provider.getBalance(BRIDGE_ADDRESS)).toBe(before);
    expect(await nextWithdrawalId()).toBe(nextId);
  });

  it('answers bad JSON-RPC input with the right error codes and keeps serving', async () => {
    const post = async (body: string) => {
      const res = await fetch(gw.rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      return { http: res.status, reply: (await res.json()) as RpcReply | RpcReply[] };
    };
    const call = (method: string, params: unknown, id: number = 1) => JSON.stringify({ jsonrpc: '2.0', id, method, params });

    expect((await post('{"jsonrpc":"2.0", "method": ')).reply).toMatchObject({ id: null, error: { code: -32700 } });
    expect((await post(call('eth_getBalance', ['0xzz', 'latest']))).reply).toMatchObject({ id: 1, error: { code: -32602 } });
    expect((await post(call('eth_getBalance', { address: user.address }))).reply).toMatchObject({ error: { code: -32602 } });
    expect((await post(call('eth_mine_everything', []))).reply).toMatchObject({ id: 1, error: { code: -32601 } });
    expect((await post('"just a string"')).reply).toMatchObject({ error: { code: -32600 } });
    const batch = (n: number) => `[${Array.from({ length: n }, (_, i) => call('eth_blockNumber', [], i)).join(',')}]`;
    expect((await post(batch(MAX_BATCH + 1))).reply).toMatchObject({ error: { code: -32600, message: expect.stringMatching(/batch too large/) } });
    const huge = await post(call('eth_call', [{ to: BRIDGE_ADDRESS, data: `0x${'00'.repeat(MAX_BODY_BYTES)}` }, 'latest']));
    expect(huge.http).toBe(413);
    expect(huge.reply).toMatchObject({ error: { code: -32600 } });

    // Over WebSocket too, and the same connection carries on.
    const ws = new WebSocket(gw.rpcUrl.replace('http', 'ws'));
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const replies: RpcReply[] = [];
    ws.on('message', (data: Buffer) => replies.push(JSON.parse(data.toString('utf8')) as RpcReply));
    ws.send('not json at all');
    ws.send(call('eth_chainId', [], 7));
    await waitFor('two WebSocket replies', () => replies.length >= 2, 5_000);
    ws.close();
    expect(replies[0]).toMatchObject({ error: { code: -32700 } });
    expect(replies[1]).toMatchObject({ id: 7, result: `0x${gw.chainId.toString(16)}` });

    // Still serving: a full-size batch and a plain call.
    const ok = await post(batch(MAX_BATCH));
    expect(Array.isArray(ok.reply) && ok.reply.length).toBe(MAX_BATCH);
    expect(await gw.provider.getBlockNumber()).toBeGreaterThan(0);
  });
});
