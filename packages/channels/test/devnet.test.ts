// The channel's transactions on a real (in-process) devnet chain that checks scripts, BIP340 signatures, BIP68/CSV
// and standardness: cooperative close, penalty of a revoked state within the challenge period, force close.
// Every transaction is also checked by bitcoinjs-lib: it must decode to the same bytes, and its own BIP341 sighash
// must verify the signatures we put in the witness.
import { schnorr } from '@noble/curves/secp256k1.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SIGHASH_DEFAULT, bytesToHex, encodeTransactionHex, type Transaction } from '@tapbridge/bitcoin';
import { DevnetChain } from '@tapbridge/devnet-chain';
import {
  buildCommitment,
  buildCooperativeClose,
  buildDelayedSweep,
  buildPenalty,
  commitmentStateNumber,
  completeDelayedSweep,
  completeFundingSpend,
  counterpartyRevocationSecret,
  fundingAddress,
  fundingOutput,
  openParty,
  openingPoints,
  openingSignature,
  ownPoint,
  propose,
  receiveAcceptance,
  receiveProposal,
  receiveRevocation,
  revocationSecretKey,
  toLocalOutput,
  type ChannelParams,
  type PartyKeys,
  type PartyState,
} from '../src/index.js';
import { custodyGroup } from './frost-group.js';
import { channelParams, custodyKeys, custodySeed, custodyPayoutScript, custodyRevocationBaseSecret, decodeIndependently, groupSecret, sheet, userKeys, userPayoutScript } from './helpers.js';

const BTC = 100_000_000n;
const CAPACITY = 1n * BTC;

let chain: DevnetChain;
beforeEach(() => {
  chain = DevnetChain.open();
  chain.generateToAddress(101, chain.getNewAddress('bech32'));
});
afterEach(() => chain.close());

interface Opened {
  params: ChannelParams;
  user: PartyState;
  custody: PartyState;
  custodyKeys: PartyKeys;
}

/** Funds the channel on the chain and runs the opening: both sign the other's state-0 commitment. */
function openChannel(custody: PartyKeys = custodyKeys, overrides: Partial<ChannelParams> = {}): Opened {
  const address = fundingAddress('regtest', channelParams({ txid: '00'.repeat(32), vout: 0 }, CAPACITY, overrides));
  const txid = chain.sendToAddress(address, CAPACITY);
  chain.generateToAddress(1, chain.getNewAddress('bech32'));
  const fundingTx = chain.lookupTransaction(txid)!.tx;
  const vout = fundingTx.outs.findIndex((o) => o.value === CAPACITY);
  const params = channelParams({ txid, vout }, CAPACITY, overrides);
  expect(bytesToHex(fundingTx.outs[vout]!.script)).toBe(bytesToHex(fundingOutput(params).scriptPubKey));
  const s0 = sheet(0, CAPACITY, 0n);
  const userPoints = openingPoints(userKeys);
  const custodyPoints = openingPoints(custody);
  const sigForUser = openingSignature(params, 'custody', custody, s0, userPoints[0]);
  const sigForCustody = openingSignature(params, 'user', userKeys, s0, custodyPoints[0]);
  return {
    params,
    user: openParty(params, 'user', userKeys, s0, custodyPoints, sigForUser),
    custody: openParty(params, 'custody', custody, s0, userPoints, sigForCustody),
    custodyKeys: custody,
  };
}

/** One full update, proposed by `from`. */
function update(o: Opened, from: 'user' | 'custody', user: bigint): void {
  const next = sheet((from === 'user' ? o.user : o.custody).latest.sheet.stateNumber + 1, user, CAPACITY - user);
  const [p, r] = from === 'user' ? (['user', 'custody'] as const) : (['custody', 'user'] as const);
  const pk = p === 'user' ? userKeys : o.custodyKeys;
  const rk = r === 'user' ? userKeys : o.custodyKeys;
  const a = propose(o.params, o[p], pk, next);
  o[p] = a.state;
  const b = receiveProposal(o.params, o[r], rk, a.message);
  o[r] = b.state;
  const c = receiveAcceptance(o.params, o[p], pk, b.message);
  o[p] = c.state;
  o[r] = receiveRevocation(o[r], c.message);
}

/** bitcoinjs-lib decodes it to the same bytes, and its BIP341 sighash verifies the witness signature for `key`. */
function checkIndependently(tx: Transaction, prevouts: { script: Uint8Array; value: bigint }[], sigs: { index: number; key: Uint8Array; leafHash?: Uint8Array }[]): void {
  const decoded = decodeIndependently(tx);
  for (const { index, key, leafHash } of sigs) {
    const hash = decoded.hashForWitnessV1(0, prevouts.map((p) => p.script), prevouts.map((p) => p.value), SIGHASH_DEFAULT, leafHash);
    expect(schnorr.verify(tx.inputs[0]!.witness[index]!, hash, key)).toBe(true);
  }
}

function broadcastAndMine(tx: Transaction): string {
  const txid = chain.sendRawTransaction(encodeTransactionHex(tx));
  chain.generateToAddress(1, chain.getNewAddress('bech32'));
  expect(chain.lookupTransaction(txid)?.entry).toBeDefined();
  return txid;
}

const paidTo = (txid: string, script: Uint8Array): bigint =>
  chain.lookupTransaction(txid)!.tx.outs.filter((o) => bytesToHex(o.script) === bytesToHex(script)).reduce((s, o) => s + o.value, 0n);

/** The holder's latest commitment, signed by both, ready to publish. */
function signedCommitment(o: Opened, holder: 'user' | 'custody'): { tx: Transaction; commitment: ReturnType<typeof buildCommitment> } {
  const party = holder === 'user' ? o.user : o.custody;
  const keys = holder === 'user' ? userKeys : o.custodyKeys;
  const s = party.latest.sheet;
  const commitment = buildCommitment(o.params, holder, s, ownPoint(keys, s.stateNumber));
  const own = keys.sign(commitment.sighash);
  const tx = completeFundingSpend(o.params, commitment.tx, holder === 'user' ? { user: own, custody: party.latest.counterpartySignature } : { user: party.latest.counterpartySignature, custody: own });
  const leafHash = fundingOutput(o.params).cooperativeLeaf.leafHash;
  checkIndependently(tx, [{ script: fundingOutput(o.params).scriptPubKey, value: CAPACITY }], [
    { index: 0, key: o.params.groupKey, leafHash },
    { index: 1, key: o.params.userKey, leafHash },
  ]);
  return { tx, commitment };
}

describe('channel on the devnet chain', () => {
  it('cooperative close after three user payments and one return pays both sides exactly', () => {
    const o = openChannel();
    update(o, 'user', 90_000_000n);
    update(o, 'user', 80_000_000n);
    update(o, 'user', 70_000_000n);
    update(o, 'user', 80_000_000n); // a return: the user burned 0.1 on the L2
    expect(o.user.latest.sheet).toEqual(sheet(4, 80_000_000n, 20_000_000n));
    expect(o.custody.latest.sheet).toEqual(o.user.latest.sheet);

    const close = buildCooperativeClose(o.params, { sheet: o.user.latest.sheet, fee: 500n, feePaidBy: 'custody' });
    const tx = completeFundingSpend(o.params, close.tx, { user: userKeys.sign(close.sighash), custody: custodyKeys.sign(close.sighash) });
    const leafHash = fundingOutput(o.params).cooperativeLeaf.leafHash;
    checkIndependently(tx, [{ script: fundingOutput(o.params).scriptPubKey, value: CAPACITY }], [
      { index: 0, key: o.params.groupKey, leafHash },
      { index: 1, key: o.params.userKey, leafHash },
    ]);
    const txid = broadcastAndMine(tx);
    expect(paidTo(txid, userPayoutScript)).toBe(80_000_000n);
    expect(paidTo(txid, custodyPayoutScript)).toBe(20_000_000n - 500n);
  });

  it('a close signed by one side only does not spend the funding output', () => {
    const o = openChannel();
    const close = buildCooperativeClose(o.params, { sheet: o.user.latest.sheet, fee: 500n, feePaidBy: 'user' });
    const sig = userKeys.sign(close.sighash);
    const leaf = fundingOutput(o.params).cooperativeLeaf;
    // The user's signature in both slots: the leaf's group CHECKSIG fails on the chain.
    const forged: Transaction = { ...close.tx, inputs: [{ ...close.tx.inputs[0]!, witness: [sig, sig, leaf.script, leaf.controlBlock] }] };
    expect(() => chain.sendRawTransaction(encodeTransactionHex(forged))).toThrow(/Invalid Schnorr signature/);
    expect(() => completeFundingSpend(o.params, close.tx, { user: sig, custody: sig })).toThrow(/custody signature .* does not verify/);
  });

  it('a revoked state published by the user is swept by the penalty within the challenge period; custody gets it all', () => {
    const o = openChannel();
    update(o, 'user', 90_000_000n);
    // The user keeps state 1's fully signed commitment before paying more.
    const revoked = signedCommitment(o, 'user');
    update(o, 'user', 60_000_000n);
    update(o, 'user', 50_000_000n);
    const commitmentTxid = broadcastAndMine(revoked.tx);

    // Watchtower: which state is this, and has the user revoked it?
    const stateNumber = commitmentStateNumber(o.params, revoked.tx);
    expect(stateNumber).toBe(1);
    const userSecretForState = counterpartyRevocationSecret(o.custody, stateNumber);
    expect(userSecretForState).toBeDefined();
    expect(counterpartyRevocationSecret(o.custody, o.custody.latest.sheet.stateNumber)).toBeUndefined();

    // The user cannot take its output before the challenge period ends...
    const sweep = buildDelayedSweep(o.params, { commitment: revoked.commitment, destinationScript: userPayoutScript, fee: 500n, holderPerCommitmentPoint: ownPoint(userKeys, 1) });
    const userSweep = completeDelayedSweep(sweep, userKeys.sign(sweep.sighash));
    expect(() => chain.sendRawTransaction(encodeTransactionHex(userSweep))).toThrow(/non-BIP68-final/);

    // ...and the custody's penalty takes it at once.
    const penalty = buildPenalty(o.params, {
      commitment: revoked.commitment,
      destinationScript: custodyPayoutScript,
      fee: 500n,
      holderPerCommitmentPoint: ownPoint(userKeys, 1),
      revocationSecretKey: revocationSecretKey(custodyRevocationBaseSecret, userSecretForState!),
    });
    const local = toLocalOutput(o.params, 'user', ownPoint(userKeys, 1));
    // Key path: the signature is for the tweaked output key.
    checkIndependently(penalty, [{ script: local.scriptPubKey, value: revoked.commitment.toLocal!.value }], [{ index: 0, key: local.scriptPubKey.slice(2) }]);
    const penaltyTxid = broadcastAndMine(penalty);
    const custodyTotal = paidTo(commitmentTxid, custodyPayoutScript) + paidTo(penaltyTxid, custodyPayoutScript);
    expect(custodyTotal).toBe(CAPACITY - o.params.commitmentFee - 500n);
    // The user's sweep now spends a spent output.
    chain.generateToAddress(o.params.challengePeriod, chain.getNewAddress('bech32'));
    expect(() => chain.sendRawTransaction(encodeTransactionHex(userSweep))).toThrow();
  });

  it('the user force-closes alone with the latest state and, after the challenge period, holds its balance', () => {
    const o = openChannel();
    update(o, 'user', 70_000_000n);
    update(o, 'user', 75_000_000n); // a return
    const { tx, commitment } = signedCommitment(o, 'user');
    const commitmentTxid = broadcastAndMine(tx);
    expect(paidTo(commitmentTxid, custodyPayoutScript)).toBe(25_000_000n);

    const sweep = buildDelayedSweep(o.params, { commitment, destinationScript: userPayoutScript, fee: 500n, holderPerCommitmentPoint: ownPoint(userKeys, 2) });
    const signed = completeDelayedSweep(sweep, userKeys.sign(sweep.sighash));
    checkIndependently(signed, [{ script: toLocalOutput(o.params, 'user', ownPoint(userKeys, 2)).scriptPubKey, value: commitment.toLocal!.value }], [
      { index: 0, key: o.params.userKey, leafHash: sweep.delayedLeaf.leafHash },
    ]);
    // The commitment has 1 confirmation; the CSV needs challengePeriod.
    chain.generateToAddress(o.params.challengePeriod - 2, chain.getNewAddress('bech32'));
    expect(() => chain.sendRawTransaction(encodeTransactionHex(signed))).toThrow(/non-BIP68-final/);
    chain.generateToAddress(1, chain.getNewAddress('bech32'));
    const sweepTxid = broadcastAndMine(signed);
    expect(paidTo(sweepTxid, userPayoutScript)).toBe(75_000_000n - o.params.commitmentFee - 500n);
  });

  it('custody settles alone: the user is paid at once, custody after the challenge period', () => {
    const o = openChannel();
    update(o, 'user', 60_000_000n);
    const { tx, commitment } = signedCommitment(o, 'custody');
    const commitmentTxid = broadcastAndMine(tx);
    expect(paidTo(commitmentTxid, userPayoutScript)).toBe(60_000_000n);
    const sweep = buildDelayedSweep(o.params, { commitment, destinationScript: custodyPayoutScript, fee: 500n, holderPerCommitmentPoint: ownPoint(custodyKeys, 1) });
    const signed = completeDelayedSweep(sweep, schnorr.sign(sweep.sighash, groupSecret, new Uint8Array(32)));
    chain.generateToAddress(o.params.challengePeriod - 1, chain.getNewAddress('bech32'));
    const sweepTxid = broadcastAndMine(signed);
    expect(paidTo(sweepTxid, custodyPayoutScript)).toBe(40_000_000n - o.params.commitmentFee - 500n);
  });

  it('works with a real 3-of-5 FROST custody group signing through ROAST (two signers offline)', () => {
    const group = custodyGroup(5, 3);
    const frostCustody: PartyKeys = { perCommitmentSeed: custodySeed, sign: (m) => group.sign(m, [1, 3, 4]) };
    const o = openChannel(frostCustody, { groupKey: group.groupKey });
    update(o, 'user', 70_000_000n);
    update(o, 'user', 75_000_000n); // a return
    // Custody settles alone with its latest commitment (group-signed funding spend), then sweeps after the period.
    const { tx, commitment } = signedCommitment(o, 'custody');
    const commitmentTxid = broadcastAndMine(tx);
    expect(paidTo(commitmentTxid, userPayoutScript)).toBe(75_000_000n);
    const sweep = buildDelayedSweep(o.params, { commitment, destinationScript: custodyPayoutScript, fee: 500n, holderPerCommitmentPoint: ownPoint(frostCustody, 2) });
    const signed = completeDelayedSweep(sweep, group.sign(sweep.sighash, [0, 1, 2]));
    checkIndependently(signed, [{ script: toLocalOutput(o.params, 'custody', ownPoint(frostCustody, 2)).scriptPubKey, value: commitment.toLocal!.value }], [
      { index: 0, key: group.groupKey, leafHash: sweep.delayedLeaf.leafHash },
    ]);
    chain.generateToAddress(o.params.challengePeriod - 1, chain.getNewAddress('bech32'));
    const sweepTxid = broadcastAndMine(signed);
    expect(paidTo(sweepTxid, custodyPayoutScript)).toBe(25_000_000n - o.params.commitmentFee - 500n);
  });
});
