// The pipeline's Bitcoin sources (BitcoinService) against a devnet chain's real JSON-RPC and Esplora servers:
// - the fee rate follows the sources' estimates (estimatesmartfee, GET /fee-estimates) clamped to
//   FEE_RATE_MIN_SAT_VB..FEE_RATE_MAX_SAT_VB, the floor when no source answers, exported as a metric;
// - a signed transaction is sent to every source (sendrawtransaction and Esplora POST /tx); a source that already
//   has it counts as accepted, and a transaction every source refuses is reported with each source's reason.
import { btcSourcesSetting } from '@tapbridge/chain-source';
import { startTestDevnetChain, type TestDevnetChain } from '@tapbridge/devnet-chain/testing';
import { metricsRegistry } from '@tapbridge/observability';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BitcoinService } from '../src/bitcoin.service.js';
import type { SweepCoordinatorConfig } from '../src/config.js';

let chain: TestDevnetChain;
let both: BitcoinService;

const service = (sources: string) =>
  new BitcoinService({ BTC_SOURCES: btcSourcesSetting().parse(sources), FEE_TARGET_BLOCKS: 2, FEE_RATE_MIN_SAT_VB: 2, FEE_RATE_MAX_SAT_VB: 40 } as SweepCoordinatorConfig);

beforeAll(async () => {
  chain = await startTestDevnetChain(110);
  both = service(`esplora+${chain.esploraUrl},core+${chain.rpcUrl}#cookie=${chain.cookieFile}`);
}, 120_000);
afterAll(async () => {
  chain?.node.setMempoolMinFee(0);
  await chain?.close();
});

const rateGauge = async () => (await metricsRegistry.getSingleMetric('tapbridge_sweep_fee_rate_sat_vb')!.get()).values[0]?.value;

describe('BitcoinService', () => {
  it('follows the sources\u2019 estimate, clamped to the configured bounds; the floor when no source answers', async () => {
    // An idle devnet estimates 1 sat/vB: raised to the floor of 2.
    expect(await both.feeRate()).toBe(2);
    expect(both.cachedFeeRate).toBe(2);
    // A full mempool (min fee raised): both sources follow it, and so does the rate, within the bounds.
    chain.node.setMempoolMinFee(25);
    expect(await both.feeRate()).toBe(25);
    expect(await rateGauge()).toBe(25);
    // Above the ceiling: clamped to it.
    chain.node.setMempoolMinFee(300);
    expect(await both.feeRate()).toBe(40);
    // One source down: the other still answers.
    const oneDown = service(`esplora+http://127.0.0.1:9,core+${chain.rpcUrl}#cookie=${chain.cookieFile}`);
    expect(await oneDown.feeRate()).toBe(40);
    // None answers: the floor, never a guess from nothing.
    expect(await service('esplora+http://127.0.0.1:9').feeRate()).toBe(2);
    chain.node.setMempoolMinFee(0);
  }, 60_000);

  it('sends a transaction to every source; "already have it" is success; a refusal names each source\u2019s reason', async () => {
    const raw = Buffer.from(chain.node.createSignedTransaction(chain.node.getNewAddress('bech32m'), 100_000n, { feeRateSatPerVb: 3 })).toString('hex');
    const first = await both.broadcast(raw);
    expect(first.refused).toEqual([]);
    expect(first.accepted).toHaveLength(2);
    expect(chain.node.mempool.size).toBeGreaterThanOrEqual(1);
    // Again (the rebroadcast job): both sources already have it, still accepted.
    const again = await both.broadcast(raw);
    expect(again.refused).toEqual([]);
    expect(again.accepted).toHaveLength(2);
    // Under a raised mempool min fee, a cheap transaction is refused by both, each with Core's reason.
    chain.node.setMempoolMinFee(50);
    const cheap = Buffer.from(chain.node.createSignedTransaction(chain.node.getNewAddress('bech32m'), 100_000n, { feeRateSatPerVb: 3 })).toString('hex');
    const refused = await both.broadcast(cheap);
    expect(refused.accepted).toEqual([]);
    expect(refused.refused).toHaveLength(2);
    for (const r of refused.refused) expect(r.error).toMatch(/mempool min fee not met/);
    chain.node.setMempoolMinFee(0);
  }, 60_000);
});
