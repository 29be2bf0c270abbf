// `tapbridge channel` (packages/cli) against the real channel service (in process, real Postgres/NATS/Redis, five
// FROST signers through the stand-in coordinator, devnet chain over Esplora): open from a key file, pay, return,
// status, a crash between the proposal and its acceptance resumed by the next command, cooperative close; and
// `channel watch` penalising a revoked custody state with the service stopped.
import { channelClose, channelOpen, channelStatus, channelUpdate, channelWatchOnce, channelAddress, readChannelFile, userKeysFrom } from '@tapbridge/cli';
import { buildCommitment, channelSeed, completeFundingSpend, ownPoint, propose, encodePartyState } from '@tapbridge/channels';
import { addressToOutputScript, encodeSegwitAddress, encodeTransactionHex, hexToBytes, taprootOutput } from '@tapbridge/bitcoin';
import { channelSigningRequestWire } from '@tapbridge/signing';
import { schnorr } from '@noble/curves/secp256k1.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mine, paidTo, setup, teardown, type Harness } from './support/harness.js';
import { secret } from './support/user.js';

let h: Harness;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-channel-cli-'));

beforeAll(async () => {
  h = await setup();
}, 900_000); // the stack (and the evm-gateway build, when not cached) under a loaded CI machine
afterAll(async () => {
  await teardown(h);
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('tapbridge channel (CLI functions) against the channel service', () => {
  it('open, pay, return, resume after a crash, status, cooperative close', async () => {
    const keys = userKeysFrom(secret('cli root'));
    const file = path.join(dir, 'coop.json');
    const payout = encodeSegwitAddress('bcrt', 1, taprootOutput(schnorr.getPublicKey(secret('cli payout'))).outputKey);
    const { address } = await channelAddress({ service: h.svc.base, keys });
    const txid = h.chain.node.sendToAddress(address, 50_000_000n);
    const vout = h.chain.node.lookupTransaction(txid)!.tx.outs.findIndex((o) => o.value === 50_000_000n);
    const f = await channelOpen({ service: h.svc.base, keys, file, funding: `${txid}:${vout}`, sats: 50_000_000n, evmAddress: '0x' + 'c1'.repeat(20), payoutAddress: payout });
    mine(h);
    await h.openUntilProven(f.channelId);
    await channelUpdate({ keys, file, sats: 5_000_000n, direction: 'pay' });
    await channelUpdate({ keys, file, sats: 5_000_000n, direction: 'pay' });
    await channelUpdate({ keys, file, sats: 2_000_000n, direction: 'return' });
    // A crash after the proposal was written but before its answer: the next command finishes it first.
    const g = readChannelFile(file);
    const next = { stateNumber: 4, user: g.state.latest.sheet.user - 1_000_000n, custody: g.state.latest.sheet.custody + 1_000_000n };
    const crashed = propose(g.params, g.state, keys.party, next).state;
    fs.writeFileSync(file, JSON.stringify({ ...JSON.parse(fs.readFileSync(file, 'utf8')), state: encodePartyState(crashed) }));
    const after = await channelUpdate({ keys, file, sats: 1_000_000n, direction: 'pay' });
    expect(after).toEqual({ stateNumber: 5, user: '40000000', custody: '10000000' });
    const status = (await channelStatus({ file })) as { local: { signedState: number }; service: { latest: { stateNumber: number }; l2: unknown } };
    expect(status.local.signedState).toBe(5);
    expect(status.service.latest.stateNumber).toBe(5);
    expect(status.service.l2).toEqual({ channelAccountSats: '40000000', creditedSats: '12000000', burnedSats: '2000000' });
    const closed = (await channelClose({ keys, file, fee: 800n })) as { txid: string; broadcast: string };
    expect(closed.broadcast).toBe('accepted');
    mine(h);
    expect(paidTo(h, closed.txid, addressToOutputScript(payout, 'regtest'))).toBe(40_000_000n - 800n);
  }, 600_000);

  it('`channel watch` penalises a revoked custody commitment, with the service stopped: the user takes it all', async () => {
    const keys = userKeysFrom(secret('cli watcher'));
    const file = path.join(dir, 'watch.json');
    const payout = encodeSegwitAddress('bcrt', 1, taprootOutput(schnorr.getPublicKey(secret('watch payout'))).outputKey);
    const { address } = await channelAddress({ service: h.svc.base, keys });
    const txid = h.chain.node.sendToAddress(address, 30_000_000n);
    const vout = h.chain.node.lookupTransaction(txid)!.tx.outs.findIndex((o) => o.value === 30_000_000n);
    const f = await channelOpen({ service: h.svc.base, keys, file, funding: `${txid}:${vout}`, sats: 30_000_000n, evmAddress: '0x' + 'c2'.repeat(20), payoutAddress: payout });
    mine(h);
    await h.openUntilProven(f.channelId);
    await channelUpdate({ keys, file, sats: 10_000_000n, direction: 'pay' });
    // Custody's commitment of state 1, as a compromised custody would keep it (signed by the user in the update).
    const g = readChannelFile(file);
    const point = ownPoint({ perCommitmentSeed: channelSeed(secret('seed'), f.channelId) }, 1);
    const custody1 = buildCommitment(g.params, 'custody', g.state.latest.sheet, point);
    const userSig = keys.party.sign(custody1.sighash);
    const groupSig = hexToBytes(h.svc.coordinator.outcomes.get(await h.svc.coordinator.sign(channelSigningRequestWire({ requestId: 'cli-custody-1', params: g.params, kind: 'custody-commitment', sheet: g.state.latest.sheet, tx: custody1.tx, holderPerCommitmentPoint: point })))!.signature!);
    const stale = completeFundingSpend(g.params, custody1.tx, { user: userSig, custody: groupSig });
    await channelUpdate({ keys, file, sats: 10_000_000n, direction: 'pay' }); // state 2: custody revoked state 1
    await h.stopService();
    const staleTxid = h.chain.node.sendRawTransaction(encodeTransactionHex(stale));
    mine(h);
    const [report] = await channelWatchOnce({ keys, file, esplora: h.chain.esploraUrl, penaltyFee: 500n });
    expect(report!.verdict).toMatchObject({ kind: 'revoked', holder: 'custody', stateNumber: 1 });
    mine(h);
    const [again] = await channelWatchOnce({ keys, file, esplora: h.chain.esploraUrl, penaltyFee: 500n });
    expect(again!.penaltyConfirmed).toBe(true);
    const payoutScript = addressToOutputScript(payout, 'regtest');
    expect(paidTo(h, staleTxid, payoutScript) + paidTo(h, again!.penaltyTxid!, payoutScript)).toBe(30_000_000n - g.params.commitmentFee - 500n);
  }, 600_000);
});
