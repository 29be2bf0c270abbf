// Full-RBF replacement as Bitcoin Core v28+ enforces it (validation.cpp PreChecks/ReplacementChecks,
// policy/rbf.cpp): each rule is tripped on its own, with Core's reject reason and message, and its boundary
// is shown to pass.
import { Transaction } from 'bitcoinjs-lib';
import { beforeEach, describe, expect, it } from 'vitest';
import { hexToHash, witnessScript } from '@tapbridge/bitcoin';
import { RPC_ERROR, signP2wpkhInput, type DevnetChain } from '../src/index.js';
import { keyedCoin, outputOf, rejection, signedSpend, spendWithFee, testNode, type KeyedCoin } from './helpers.js';

const burn = witnessScript(0, new Uint8Array(20).fill(1));
const burn2 = witnessScript(0, new Uint8Array(20).fill(2));

let node: DevnetChain;
let miner: string;

beforeEach(() => {
  ({ node } = testNode());
  miner = node.getNewAddress();
  node.generateToAddress(101, miner);
});

const coin = (value?: bigint): KeyedCoin => keyedCoin(node, miner, value);
const build = signedSpend;
const total = (coins: readonly KeyedCoin[]): bigint => coins.reduce((s, c) => s + c.value, 0n);
const payFee = (inputs: readonly KeyedCoin[], fee: bigint, script = burn): Transaction => spendWithFee(inputs, fee, script);
const send = (tx: Transaction): string => node.sendRawTransaction(tx.toHex());
const refusal = (tx: Transaction) => rejection(() => send(tx));
const feeOf = (txid: string): bigint => node.mempool.entries.get(txid)!.fee;
const vsizeOf = (txid: string): number => node.mempool.entries.get(txid)!.vsize;
/** Core's CFeeRate::ToString for fee/vsize: truncated sat/kvB as BTC with 8 decimals. */
const rateString = (fee: bigint, vsize: number): string => {
  const perKvB = (fee * 1000n) / BigInt(vsize);
  return `${perKvB / 100_000_000n}.${(perKvB % 100_000_000n).toString().padStart(8, '0')} BTC/kvB`;
};

/** Core's FormatMoney: 8 decimals, trailing zeros trimmed down to two ("0.0000011", "1.00"). */
const money = (sats: bigint): string =>
  `${sats / 100_000_000n}.${(sats % 100_000_000n).toString().padStart(8, '0')}`.replace(/0+$/, '').replace(/\.(\d?)$/, (_, d: string) => `.${d.padEnd(2, '0')}`);

describe('full RBF (BIP125 rules as Core applies them to every transaction)', () => {
  it('replaces a conflicting transaction and its descendants when every rule is met', () => {
    const c = coin();
    // The original signals nothing (sequence final): under full RBF it is replaceable anyway.
    const original = new Transaction();
    original.version = 2;
    original.addInput(hexToHash(c.txid), c.vout, 0xffffffff);
    original.addOutput(c.script, c.value - 1_000n);
    original.setWitness(0, signP2wpkhInput(original, 0, c.secret, c.value));
    const originalId = send(original);
    const child = payFee([outputOf(original, 0, c)], 1_000n);
    const childId = send(child);
    const replacement = payFee([c], 1_000n + 1_000n + 200n);
    const replacementId = send(replacement);
    expect([...node.mempool.entries.keys()]).toEqual([replacementId]);
    expect(node.mempool.entries.has(originalId) || node.mempool.entries.has(childId)).toBe(false);
    node.generateToAddress(1, miner);
    expect(node.tip.txids).toContain(replacementId);
  });

  it('rule 6: the new fee rate must beat each direct conflict\'s, an equal one is refused', () => {
    const c = coin();
    const originalId = send(payFee([c], 2_000n));
    // More fee in total, but two outputs make it larger: a lower fee rate.
    const wider = build([c], [
      { script: burn, value: c.value / 2n },
      { script: burn2, value: c.value - c.value / 2n - 2_100n },
    ]);
    const e = refusal(wider);
    expect(e.code).toBe(RPC_ERROR.VERIFY_REJECTED);
    expect(e.message).toBe(
      `insufficient fee, rejecting replacement ${wider.getId()}; new feerate ${rateString(2_100n, wider.virtualSize())} <= old feerate ${rateString(2_000n, vsizeOf(originalId))}`,
    );
    // An equal fee rate is not enough either.
    expect(refusal(payFee([c], 2_000n, burn2)).message).toMatch(/^insufficient fee, rejecting replacement [0-9a-f]{64}; new feerate 0\.000\d+ BTC\/kvB <= old feerate/);
  });

  it('rule 3: the replacement pays at least the fees of everything it evicts, descendants included', () => {
    const c = coin();
    const original = build([c], [{ script: c.script, value: c.value - 1_000n }]);
    send(original);
    // A child paying a lot: evicting it costs its fee too.
    const childId = send(payFee([outputOf(original, 0, c)], 50_000n));
    const replacement = payFee([c], 5_000n);
    // Its rate beats the original's (rule 6 passes), its absolute fee does not cover original + child.
    expect(5_000 / replacement.virtualSize()).toBeGreaterThan(1_000 / vsizeOf(original.getId()));
    expect(refusal(replacement).message).toBe(`insufficient fee, rejecting replacement ${replacement.getId()}, less fees than conflicting txs; 0.00005 < 0.00051`);
    expect(node.mempool.entries.has(childId)).toBe(true);
  });

  it('rule 4: the extra fee pays for the replacement\'s own relay at the incremental relay fee (1 sat/vB)', () => {
    const c = coin();
    send(payFee([c], 1_000n));
    // A replacement whose extra fee is one sat short of its own vsize. The vsize can move by 1 vB with the fee (an
    // ECDSA signature is 71 or 72 bytes), so look for a fee that lands exactly one short.
    const probe = payFee([c], 1_001n, burn2).virtualSize();
    const vsize = [probe - 1, probe, probe + 1].find((v) => payFee([c], 1_000n + BigInt(v) - 1n, burn2).virtualSize() === v)!;
    expect(vsize).toBeDefined();
    const short = payFee([c], 1_000n + BigInt(vsize) - 1n, burn2);
    expect(refusal(short).message).toBe(
      `insufficient fee, rejecting replacement ${short.getId()}, not enough additional fees to relay; ${money(BigInt(vsize - 1))} < ${money(BigInt(vsize))}`,
    );
    // Exactly old fee + vsize × 1 sat/vB is enough.
    const exactVsize = [vsize - 1, vsize, vsize + 1].find((v) => payFee([c], 1_000n + BigInt(v), burn2).virtualSize() === v)!;
    expect(exactVsize).toBeDefined();
    const exact = payFee([c], 1_000n + BigInt(exactVsize), burn2);
    expect(send(exact)).toBe(exact.getId());
    expect(feeOf(exact.getId())).toBe(1_000n + BigInt(exactVsize));
  });

  it('rule 2: no new unconfirmed inputs, except outputs of a transaction a conflict already spends', () => {
    const [a, b, d] = [coin(), coin(), coin()];
    // An unrelated mempool transaction whose output the replacement must not add.
    const unrelated = build([b], [{ script: b.script, value: b.value - 1_000n }]);
    send(unrelated);
    send(payFee([a], 1_000n));
    const adds = payFee([a, outputOf(unrelated, 0, b)], 20_000n);
    const e = refusal(adds);
    expect(e.message).toBe(`replacement-adds-unconfirmed, replacement ${adds.getId()} adds unconfirmed input, idx 1`);

    // A parent in the mempool with two outputs; the original spends one, the replacement may spend the other.
    const parent = build([d], [
      { script: d.script, value: 1_000_000n },
      { script: d.script, value: d.value - 1_000_000n - 1_000n },
    ]);
    send(parent);
    const e2 = coin();
    send(payFee([e2, outputOf(parent, 0, d)], 1_000n));
    const sibling = payFee([e2, outputOf(parent, 1, d)], 30_000n);
    expect(send(sibling)).toBe(sibling.getId());
  });

  it('refuses a replacement that spends the transaction it replaces (bad-txns-spends-conflicting-tx)', () => {
    const [a, b] = [coin(), coin()];
    const original = build([a, b], [
      { script: a.script, value: 1_000_000n },
      { script: burn, value: total([a, b]) - 1_000_000n - 2_000n },
    ]);
    send(original);
    const selfSpend = payFee([a, outputOf(original, 0, a)], 50_000n);
    expect(refusal(selfSpend).message).toBe(`bad-txns-spends-conflicting-tx, ${selfSpend.getId()} spends conflicting transaction ${original.getId()}`);
  });

  it('rule 5: at most 100 transactions evicted, counting each conflict with its descendants', () => {
    const c = coin(10_000_000n);
    const fanOut = build(
      [c],
      Array.from({ length: 100 }, () => ({ script: c.script, value: 99_000n })),
    );
    // 100 outputs of 99,000 and the rest (100,000) as fee.
    expect(c.value - 100n * 99_000n).toBe(100_000n);
    send(fanOut);
    for (let vout = 0; vout < 99; vout++) send(payFee([outputOf(fanOut, vout, c)], 1_000n));
    const replacement = payFee([c], 300_000n);
    // 1 + 99 = 100 candidates: allowed (checked without adding it).
    expect(node.testMempoolAccept([replacement.toHex()])[0]).toMatchObject({ allowed: true });
    send(payFee([outputOf(fanOut, 99, c)], 1_000n));
    const e = refusal(replacement);
    expect(e.code).toBe(RPC_ERROR.VERIFY_REJECTED);
    expect(e.message).toBe(`too many potential replacements, rejecting replacement ${replacement.getId()}; too many potential replacements (101 > 100)`);
    expect(node.testMempoolAccept([replacement.toHex()])[0]).toMatchObject({ allowed: false, rejectReason: 'too many potential replacements' });
    expect(node.mempool.size).toBe(101);
  });

  it('takes the same transaction again as already known, also with another witness (signed again)', () => {
    const c = coin();
    const tx = payFee([c], 1_000n);
    const txid = send(tx);
    expect(send(tx)).toBe(txid);
    expect(node.testMempoolAccept([tx.toHex()])[0]).toMatchObject({ allowed: false, rejectReason: 'txn-already-in-mempool' });
    // Another witness for the same txid (as when a transaction is signed again with fresh nonces). The mempool
    // answers before any script runs, so any other witness bytes show it.
    const resigned = tx.clone();
    const [sig, pubkey] = resigned.ins[0]!.witness as [Uint8Array, Uint8Array];
    resigned.setWitness(0, [Uint8Array.of(...sig, 0x00), pubkey]);
    expect(resigned.getId()).toBe(txid);
    expect(node.testMempoolAccept([resigned.toHex()])[0]).toMatchObject({ allowed: false, rejectReason: 'txn-same-nonwitness-data-in-mempool' });
    expect(send(resigned)).toBe(txid);
    // The pooled version stays.
    expect(node.mempool.entries.get(txid)!.tx.toHex()).toBe(tx.toHex());
  });
});
