// The custody desk (the channel service's logic) with a user running the state machine, on the in-process devnet
// chain. The group signer here enforces the signers' channel policy (checkChannelSigningRequest) against the desk's
// own ledger, as every FROST signer does in the service; the policy inside real signers is tested in
// packages/signing (channel-policy.test.ts) and the service end to end in apps/channel-service.
import { schnorr } from '@noble/curves/secp256k1.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bytesToHex, encodeTransactionHex } from '@tapbridge/bitcoin';
import { DevnetChain } from '@tapbridge/devnet-chain';
import {
  buildCooperativeClose,
  checkChannelSigningRequest,
  CustodyDesk,
  fundingAddress,
  l2Balances,
  MemoryCustodyChannelStore,
  openParty,
  openingPoints,
  openingSignature,
  pointOf,
  propose,
  receiveAcceptance,
  type ChannelParams,
  type GroupSigner,
  type PartyState,
} from '../src/index.js';
import { channelParams, custodyPayoutScript, custodyRevocationBaseSecret, groupKey, groupSecret, sheet, userKeys, userPayoutScript } from './helpers.js';

const BTC = 100_000_000n;
let chain: DevnetChain;
beforeEach(() => {
  chain = DevnetChain.open();
  chain.generateToAddress(101, chain.getNewAddress('bech32'));
});
afterEach(() => chain.close());

function setup() {
  const store = new MemoryCustodyChannelStore();
  const signed: string[] = [];
  const highest = new Map<string, number>();
  // A signer that refuses what the channel policy refuses, checked against the desk's ledger.
  const sign: GroupSigner = async (r) => {
    const c = await store.get(r.channelId);
    if (!c) throw new Error('unknown channel');
    checkChannelSigningRequest(r.params, { channelId: r.channelId, kind: r.kind, sheet: r.sheet, sighash: r.sighash, ...(r.holderPerCommitmentPoint ? { holderPerCommitmentPoint: r.holderPerCommitmentPoint } : {}), ...(r.close ? { close: r.close } : {}) },
      { channelId: r.channelId, executed: new Map(c.executed.map((e) => [e.stateNumber, e])) }, { highestSignedState: highest.get(r.channelId) ?? 0, maxCustodyCloseFee: 5_000n });
    if (r.kind === 'user-commitment') highest.set(r.channelId, Math.max(highest.get(r.channelId) ?? 0, r.sheet.stateNumber));
    signed.push(`${r.kind}:${r.sheet.stateNumber}`);
    return schnorr.sign(r.sighash, groupSecret, new Uint8Array(32));
  };
  const desk = new CustodyDesk({
    store,
    sign,
    seedSecret: new Uint8Array(32).fill(7),
    terms: () => ({ groupKey, custodyRevocationBasepoint: pointOf(custodyRevocationBaseSecret), custodyPayoutScript, challengePeriod: 6, commitmentFee: 1_000n }),
    proveFunding: async (p) => (chain.lookupTransaction(p.funding.txid)?.entry ? { ok: true } : { ok: false, reason: 'not confirmed' }),
  });
  return { store, desk, signed };
}

/** The user's side: fund, register with the desk (state-0 signatures exchanged), broadcast, confirm. */
async function openWithDesk(desk: CustodyDesk): Promise<{ params: ChannelParams; user: PartyState; channelId: string }> {
  const address = fundingAddress('regtest', channelParams({ txid: '00'.repeat(32), vout: 0 }, BTC));
  const txid = chain.sendToAddress(address, BTC);
  const vout = chain.lookupTransaction(txid)!.tx.outs.findIndex((o) => o.value === BTC);
  const params = channelParams({ txid, vout }, BTC);
  const channelId = `${txid}:${vout}`;
  const custodyPoints = desk.openingPoints(channelId);
  const s0 = sheet(0, BTC, 0n);
  const userPoints = openingPoints(userKeys);
  const { signature } = await desk.register({ params, evmAddress: '0x' + 'ab'.repeat(20), userPoints, userSignature: openingSignature(params, 'user', userKeys, s0, custodyPoints[0]) });
  const user = openParty(params, 'user', userKeys, s0, custodyPoints, signature);
  expect((await desk.confirmFunding(channelId)).status).toBe('pending-funding');
  chain.generateToAddress(1, chain.getNewAddress('bech32'));
  expect((await desk.confirmFunding(channelId)).status).toBe('open');
  return { params, user, channelId };
}

async function pay(desk: CustodyDesk, o: { params: ChannelParams; user: PartyState; channelId: string }, userBalance: bigint): Promise<void> {
  const next = sheet(o.user.latest.sheet.stateNumber + 1, userBalance, BTC - userBalance);
  const a = propose(o.params, o.user, userKeys, next);
  o.user = a.state;
  const acceptance = await desk.receiveProposal(o.channelId, a.message);
  const b = receiveAcceptance(o.params, o.user, userKeys, acceptance);
  o.user = b.state;
  await desk.receiveRevocation(o.channelId, b.message);
}

describe('custody desk', () => {
  it('open 1 BTC, spend 0.3 in three updates, return 0.1, cooperative close: the user receives exactly its side; every L2 state executed once', async () => {
    const { desk, store, signed } = setup();
    const o = await openWithDesk(desk);
    await pay(desk, o, 90_000_000n);
    await pay(desk, o, 80_000_000n);
    await pay(desk, o, 70_000_000n);
    let c = (await store.get(o.channelId))!;
    expect(l2Balances(c)).toMatchObject({ channelAccount: 70_000_000n, l2Credited: 30_000_000n, l2Burned: 0n });
    // The return: the L2 burn first, then the user's proposal of that state.
    await expect(pay(desk, { ...o }, 80_000_000n)).rejects.toThrow(/no matching L2 burn/);
    await desk.burnForReturn(o.channelId, 4, 10_000_000n);
    await expect(desk.burnForReturn(o.channelId, 4, 20_000_000n)).rejects.toThrow(/already executed/);
    await desk.burnForReturn(o.channelId, 4, 10_000_000n); // the same burn again: idempotent
    await pay(desk, o, 80_000_000n);
    c = (await store.get(o.channelId))!;
    expect(c.executed.map((e) => [e.stateNumber, e.kind, e.amount])).toEqual([[0, 'open', 0n], [1, 'credit', 10_000_000n], [2, 'credit', 10_000_000n], [3, 'credit', 10_000_000n], [4, 'burn', 10_000_000n]]);
    expect(l2Balances(c)).toMatchObject({ channelAccount: 80_000_000n, l2Credited: 30_000_000n, l2Burned: 10_000_000n });
    expect(store.events.filter((e) => e.type === 'updated')).toHaveLength(4);

    const close = buildCooperativeClose(o.params, { sheet: o.user.latest.sheet, fee: 700n, feePaidBy: 'custody' });
    const { tx } = await desk.cooperativeClose(o.channelId, { fee: 700n, feePaidBy: 'custody', userSignature: userKeys.sign(close.sighash) });
    const txid = chain.sendRawTransaction(encodeTransactionHex(tx));
    chain.generateToAddress(1, chain.getNewAddress('bech32'));
    const outs = chain.lookupTransaction(txid)!.tx.outs;
    expect(outs.filter((x) => bytesToHex(x.script) === bytesToHex(userPayoutScript)).reduce((s, x) => s + x.value, 0n)).toBe(80_000_000n);
    expect(outs.filter((x) => bytesToHex(x.script) === bytesToHex(custodyPayoutScript)).reduce((s, x) => s + x.value, 0n)).toBe(20_000_000n - 700n);
    expect(signed).toEqual(['user-commitment:0', 'user-commitment:1', 'user-commitment:2', 'user-commitment:3', 'user-commitment:4', 'cooperative-close:4']);
  });

  it("a resent proposal and a resent revocation execute nothing twice; custody's own latest commitment is signable once executed", async () => {
    const { desk, store, signed } = setup();
    const o = await openWithDesk(desk);
    const next = sheet(1, 75_000_000n, 25_000_000n);
    const a = propose(o.params, o.user, userKeys, next);
    const acc1 = await desk.receiveProposal(o.channelId, a.message);
    const acc2 = await desk.receiveProposal(o.channelId, a.message);
    expect(bytesToHex(acc2.signature)).toBe(bytesToHex(acc1.signature));
    const b = receiveAcceptance(o.params, a.state, userKeys, acc1);
    await desk.receiveRevocation(o.channelId, b.message);
    await desk.receiveRevocation(o.channelId, b.message);
    const c = (await store.get(o.channelId))!;
    expect(c.executed.filter((e) => e.stateNumber === 1)).toHaveLength(1);
    expect(l2Balances(c).l2Credited).toBe(25_000_000n);
    expect(signed.filter((s) => s === 'user-commitment:1')).toHaveLength(1);
    // Custody's own commitment of the executed latest state is signable (the settle path).
    await desk.custodyForceClose(o.channelId);
    expect(signed.at(-1)).toBe('custody-commitment:1');
  });

  it('refuses a registration without custody\'s terms and a close of a state the L2 has not executed', async () => {
    const { desk } = setup();
    const params = channelParams({ txid: '11'.repeat(32), vout: 0 }, BTC, { challengePeriod: 2 });
    await expect(desk.register({ params, evmAddress: '0x' + 'ab'.repeat(20), userPoints: openingPoints(userKeys), userSignature: new Uint8Array(64) })).rejects.toThrow(/custody's terms: challenge period/);
    const o = await openWithDesk(desk);
    const a = propose(o.params, o.user, userKeys, sheet(1, 60_000_000n, 40_000_000n));
    await desk.receiveProposal(o.channelId, a.message);
    // The user never revoked state 0: nothing executed, no close of state 1.
    const close = buildCooperativeClose(o.params, { sheet: a.message.sheet, fee: 700n, feePaidBy: 'user' });
    await expect(desk.cooperativeClose(o.channelId, { fee: 700n, feePaidBy: 'user', userSignature: userKeys.sign(close.sighash) })).rejects.toThrow(/in flight/);
  });
});
