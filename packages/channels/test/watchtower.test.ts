// The watchtower against a real devnet chain served over HTTP (startTestDevnetChain: script interpreter, BIP68/CSV,
// mempool policy) read through @tapbridge/chain-source's Esplora client: it finds the transaction that spent the
// funding outpoint, recognises a revoked state and broadcasts the penalty, which confirms inside the challenge
// period; the latest state, its own commitment and a cooperative close are recognised and left alone.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bytesToHex, encodeTransactionHex, type Transaction } from '@tapbridge/bitcoin';
import { EsploraSource } from '@tapbridge/chain-source';
import { startTestDevnetChain, type TestDevnetChain } from '@tapbridge/devnet-chain/testing';
import { buildCooperativeClose, completeFundingSpend, fundingAddress, Watchtower, type ChannelParams, type WatchedChannel } from '../src/index.js';
import { channelParams, custodyKeys, custodyPayoutScript, custodyRevocationBaseSecret, custodySeed, userKeys, userPayoutScript, userRevocationBaseSecret, userSeed } from './helpers.js';
import { open, signedCommitment, update, type TwoParties } from './two-party.js';

const CAPACITY = 100_000_000n;
const PENALTY_FEE = 600n;
let chain: TestDevnetChain;
let source: EsploraSource;

beforeEach(async () => {
  chain = await startTestDevnetChain(101);
  source = new EsploraSource({ url: chain.esploraUrl });
});
afterEach(async () => {
  await chain.close();
});

const mine = (n = 1): void => void chain.node.generateToAddress(n, chain.address);

function fundedChannel(): TwoParties {
  const address = fundingAddress('regtest', channelParams({ txid: '00'.repeat(32), vout: 0 }, CAPACITY));
  const txid = chain.node.sendToAddress(address, CAPACITY);
  mine();
  const vout = chain.node.lookupTransaction(txid)!.tx.outs.findIndex((o) => o.value === CAPACITY);
  const params: ChannelParams = channelParams({ txid, vout }, CAPACITY, { challengePeriod: 10 });
  return open(params, userKeys, custodyKeys);
}

const custodyWatch = (o: TwoParties): WatchedChannel => ({
  channelId: `${o.params.funding.txid}:${o.params.funding.vout}`,
  params: o.params,
  side: 'custody',
  state: o.custody,
  perCommitmentSeed: custodySeed,
  revocationBasepointSecret: custodyRevocationBaseSecret,
  penaltyScript: custodyPayoutScript,
});
const userWatch = (o: TwoParties): WatchedChannel => ({
  channelId: `${o.params.funding.txid}:${o.params.funding.vout}`,
  params: o.params,
  side: 'user',
  state: o.user,
  perCommitmentSeed: userSeed,
  revocationBasepointSecret: userRevocationBaseSecret,
  penaltyScript: userPayoutScript,
});

async function publish(tx: Transaction): Promise<string> {
  const { txid } = await source.broadcastTransaction(encodeTransactionHex(tx));
  mine();
  return txid;
}

const paidTo = (txid: string, script: Uint8Array): bigint =>
  chain.node.lookupTransaction(txid)!.tx.outs.filter((o) => bytesToHex(o.script) === bytesToHex(script)).reduce((s, o) => s + o.value, 0n);

describe('watchtower on the devnet chain (Esplora)', () => {
  it('penalises a revoked user state inside the challenge period: custody ends with the whole channel but fees', async () => {
    const o = fundedChannel();
    const tower = new Watchtower({ chain: source, penaltyFee: PENALTY_FEE });
    expect(await tower.pass([custodyWatch(o)])).toEqual([]);
    update(o, 90_000_000n);
    const revoked = signedCommitment(o, 'user'); // state 1, kept by a cheating user
    update(o, 70_000_000n);
    update(o, 60_000_000n);
    const commitmentTxid = await publish(revoked.tx);

    const [report] = await tower.pass([custodyWatch(o)]);
    expect(report!.verdict).toMatchObject({ kind: 'revoked', holder: 'user', stateNumber: 1, txid: commitmentTxid });
    expect(report!.broadcastError).toBeUndefined();
    expect(report!.penaltyConfirmed).toBe(false);
    expect(report!.blocksLeft).toBeGreaterThan(0);
    mine();
    const [again] = await tower.pass([custodyWatch(o)]);
    expect(again!.penaltyConfirmed).toBe(true);
    const penaltyTxid = again!.penaltyTxid!;
    const penaltyStatus = await source.txStatus(penaltyTxid);
    const commitmentStatus = await source.txStatus(commitmentTxid);
    // Confirmed before the user's CSV path could have opened.
    expect(penaltyStatus.blockHeight! - commitmentStatus.blockHeight!).toBeLessThan(o.params.challengePeriod);
    expect(paidTo(commitmentTxid, custodyPayoutScript) + paidTo(penaltyTxid, custodyPayoutScript)).toBe(CAPACITY - o.params.commitmentFee - PENALTY_FEE);
    expect(paidTo(commitmentTxid, userPayoutScript) + paidTo(penaltyTxid, userPayoutScript)).toBe(0n);
  }, 120_000);

  it("`channel watch` for the user: a revoked custody commitment is penalised and the user takes it all", async () => {
    const o = fundedChannel();
    update(o, 40_000_000n);
    const revoked = signedCommitment(o, 'custody'); // custody's state 1 (60M on its side)
    update(o, 30_000_000n);
    const commitmentTxid = await publish(revoked.tx);
    const tower = new Watchtower({ chain: source, penaltyFee: PENALTY_FEE });
    const [report] = await tower.pass([userWatch(o)]);
    expect(report!.verdict).toMatchObject({ kind: 'revoked', holder: 'custody', stateNumber: 1 });
    mine();
    const [again] = await tower.pass([userWatch(o)]);
    expect(again!.penaltyConfirmed).toBe(true);
    expect(paidTo(commitmentTxid, userPayoutScript) + paidTo(again!.penaltyTxid!, userPayoutScript)).toBe(CAPACITY - o.params.commitmentFee - PENALTY_FEE);
  }, 120_000);

  it('the latest state, its own commitment and a cooperative close are recognised and not contested', async () => {
    const latest = fundedChannel();
    update(latest, 80_000_000n);
    await publish(signedCommitment(latest, 'user').tx);
    const tower = new Watchtower({ chain: source, penaltyFee: PENALTY_FEE });
    const [exit] = await tower.pass([custodyWatch(latest)]);
    expect(exit!.verdict).toMatchObject({ kind: 'counterparty-latest', holder: 'user', stateNumber: 1 });
    expect(exit!.penaltyTxid).toBeUndefined();
    const [ownView] = await tower.pass([userWatch(latest)]);
    expect(ownView!.verdict).toMatchObject({ kind: 'own-commitment', stateNumber: 1, toLocal: { value: 80_000_000n - latest.params.commitmentFee } });

    const coop = fundedChannel();
    update(coop, 50_000_000n);
    const close = buildCooperativeClose(coop.params, { sheet: coop.user.latest.sheet, fee: 500n, feePaidBy: 'user' });
    await publish(completeFundingSpend(coop.params, close.tx, { user: userKeys.sign(close.sighash), custody: custodyKeys.sign(close.sighash) }));
    const [closed] = await tower.pass([custodyWatch(coop), custodyWatch(latest)]);
    expect(closed!.verdict.kind).toBe('cooperative-close');
  }, 120_000);
});
