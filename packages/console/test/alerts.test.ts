// The console's alert rules and formatting, without a browser: each rule fires on its condition and stays quiet
// on a healthy snapshot (the browser test in apps/api-gateway/test/stack.e2e.test.ts sees them drawn).
import { describe, expect, it } from 'vitest';
import type { ChainStatus, Fees, Reserves, SignerSet } from '@tapbridge/client';
import { ago, alertsOf, btc, STALE_TIP_SECONDS, type Snapshot } from '../src/alerts.js';

const NOW = 1_796_300_000;
const chain: ChainStatus = {
  bitcoin: { network: 'regtest', tipHeight: 120, tipHash: 'ab'.repeat(32), tipTime: NOW - 60, sources: [{ name: 'core@a', height: 120, lag: 0 }] },
  l2: { chainId: 29794, height: 50, headHash: '0x' + 'ef'.repeat(32), finalizedHeight: 47, finalityDepth: 3, bridgeAddress: '0x0000000000000000000000000000000000b71d6E' },
};
/** A body as the API serves it, typed as the client's types say (nullable fields are `T | null`). */
const served = <T,>(body: T): T => JSON.parse(JSON.stringify(body)) as T;
const reserves = (holds: boolean | null, discrepancy: string | null): Reserves => served<Reserves>({
  custodySats: '100000', custodyUtxos: 1, utxos: [], l2SupplySats: '100000', pendingWithdrawalsSats: '0', feesPaidSats: '0', discrepancySats: discrepancy,
  invariantHolds: holds, invariant: 'custody = supply + pending - fees', checkedAt: '2026-12-03T13:00:00.000Z',
});
const fees = (over: object = {}): Fees => served<Fees>({
  feeRateSatPerVb: 2, pipeline: 'idle', waitingWithdrawals: 0, stuckWithdrawals: [], outflow: { limitBps: 10_000, windowHours: 24, heldBack: [] }, l2SupplySats: '100000',
  capacity: { status: 'open', capacitySats: '5000000', stakeUnits: '3000000000000000000000', stakeValueSats: '3000000', obligationsSats: '100000', collateralRatioBps: 15_000, ratioBps: '300000', priceSatsPerToken: '1000', reason: null, at: '2026-12-03T13:00:00.000Z' },
  ...over,
});
const member = (index: number, live = true, misbehaviourCount = 0) => ({ index, live, ready: live, lastSeen: '2026-12-03T13:00:00.000Z', misbehaviourCount, lastMisbehaviour: misbehaviourCount ? '2026-12-03T12:00:00.000Z' : null });
const signers = (members = [1, 2, 3].map((i) => member(i))): SignerSet => served<SignerSet>({ groupKey: 'aa', custodyAddress: 'bcrt1p…', signers: members.length, live: members.filter((m) => m.live).length, ready: 3, members, stake: null });
const healthy = (): Snapshot => ({ chain, reserves: reserves(true, '0'), fees: fees(), signers: signers(), errors: {} });
const ids = (s: Snapshot) => alertsOf(s, NOW).map((a) => `${a.severity}:${a.id}`);

describe('console alerts', () => {
  it('says nothing about a healthy bridge', () => {
    expect(alertsOf(healthy(), NOW)).toEqual([]);
  });

  it('pages on reserves not matching supply, a halted pipeline, stuck withdrawals and under-collateralisation', () => {
    expect(ids({ ...healthy(), reserves: reserves(false, '-5000') })).toEqual(['page:reserves']);
    expect(alertsOf({ ...healthy(), reserves: reserves(false, '-5000') }, NOW)[0]!.text).toContain('-5000');
    expect(ids({ ...healthy(), fees: fees({ pipeline: 'halted' }) })).toEqual(['page:sweep-halted']);
    expect(ids({ ...healthy(), fees: fees({ stuckWithdrawals: ['4', '9'] }) })).toEqual(['page:withdrawals-stuck']);
    const capacity = fees().capacity!;
    const under = fees({ capacity: { ...capacity, capacitySats: '-250', ratioBps: '14000' } });
    expect(ids({ ...healthy(), fees: under })).toEqual(['page:under-collateralised', 'warn:ratio-near-limit']);
  });

  it('warns on a ratio near its limit, frozen capacity, held deposits, signers down or misbehaving', () => {
    const capacity = fees().capacity!;
    const near = fees({ capacity: { ...capacity, ratioBps: String(15_000 * 1.05) } });
    expect(ids({ ...healthy(), fees: near })).toEqual(['warn:ratio-near-limit']);
    const frozen = fees({ capacity: { ...capacity, status: 'frozen', capacitySats: '0', ratioBps: null, reason: 'no fresh price' } });
    expect(alertsOf({ ...healthy(), fees: frozen }, NOW)).toEqual([{ severity: 'warn', id: 'capacity-frozen', text: 'capacity frozen: no fresh price' }]);
    const pipeline = { deposits: [{ status: 'held_capacity', count: 500, more: true, oldest: null }], withdrawals: { pipeline: 'idle', waiting: 0, stuck: [], heldBack: [] }, at: '' };
    expect(alertsOf({ ...healthy(), pipeline }, NOW).map((a) => a.text)).toEqual(['500+ deposits held back for stake capacity']);
    expect(ids({ ...healthy(), signers: signers([member(1), member(2, false), member(3, true, 2)]) })).toEqual(['warn:signer-down:2', 'warn:misbehaviour:3']);
  });

  it('warns on a stale tip, a failing source, a disagreeing source and a read that failed', () => {
    expect(ids({ ...healthy(), chain: { ...chain, bitcoin: { ...chain.bitcoin, tipTime: NOW - STALE_TIP_SECONDS - 1 } } })).toEqual(['warn:stale-tip']);
    expect(ids({ ...healthy(), chain: { ...chain, bitcoin: { ...chain.bitcoin, sources: [{ name: 'core@a', height: 120 }, { name: 'esplora@b', height: 118, lag: -2 }, { name: 'esplora@c', lastError: 'ECONNREFUSED' }] } } }))
      .toEqual(['warn:source-disagrees:esplora@b', 'warn:source-error:esplora@c']);
    expect(alertsOf({ ...healthy(), errors: { reserves: '503 no service answers rpc.sweeps.reserves.get right now' } }, NOW)).toEqual([
      { severity: 'warn', id: 'unavailable:reserves', text: 'reserves: 503 no service answers rpc.sweeps.reserves.get right now' },
    ]);
  });
});

describe('console formatting', () => {
  it('shows sats as BTC without floats, durations as an operator reads them', () => {
    expect(btc('0')).toBe('0.00000000');
    expect(btc('2100000000000001')).toBe('21000000.00000001');
    expect(btc('-546')).toBe('-0.00000546');
    expect([ago(-3), ago(59), ago(61), ago(3 * 3600 + 5 * 60), ago(2 * 86_400 + 4 * 3600)]).toEqual(['0s', '59s', '1m', '3h 5m', '2d 4h']);
  });
});
