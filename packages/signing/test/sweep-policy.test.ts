import { schnorr } from '@noble/curves/secp256k1.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { sweepCommitmentScript, type SweepBuild, type Transaction } from '@tapbridge/bitcoin';
import { describe, expect, it } from 'vitest';
import { PolicyRegistry, resolveSigningRequest } from '../src/index.js';
import { buildSweep, CUSTODY, seeded, SweepWorld, userScript, type WorldBurn, type WorldDeposit } from './sweep-fixtures.js';

/** A valid sweep: custody input, two deposit-leaf deposits and one simple-form deposit, three withdrawals. */
function scene(rules: ConstructorParameters<typeof SweepWorld>[0] = {}) {
  const world = new SweepWorld(rules);
  const custody = world.custodyUtxo(5_000_000n);
  const deposits = [world.deposit(400_000n), world.deposit(250_000n), world.simpleDeposit(150_000n)];
  const burns = [world.burn(7n, 100_000n), world.burn(8n, 60_000n, { maxFeeSats: 2_000n }), world.burn(11n, 30_000n)];
  const params = world.params({ custody, deposits, burns });
  const build = buildSweep(params);
  const context = SweepWorld.context(params, deposits);
  return { world, custody, deposits, burns, params, build, context };
}

const reasonOf = (d: { allow: boolean; reason?: string }) => (d.allow ? 'allowed' : d.reason);

/** The build with its transaction changed (for lies buildSweep itself would refuse to make). */
function tampered(build: SweepBuild, change: (tx: Transaction) => void): SweepBuild {
  const tx: Transaction = { ...build.tx, inputs: build.tx.inputs.map((i) => ({ ...i })), outputs: build.tx.outputs.map((o) => ({ ...o })) };
  change(tx);
  return { ...build, tx };
}

describe('sweep policy: an honest sweep', () => {
  it('is signed for every input, before the nonce and again before the partial signature, and recorded before the first nonce', async () => {
    const { world, build, context, custody } = scene();
    const first = await world.evaluate(world.request(build, context, 0));
    expect(reasonOf(first)).toBe('allowed');
    expect(world.signed.size).toBe(1);
    expect(reasonOf(await world.signAll(build, context))).toBe('allowed');
    const [record] = await world.signed.family(`${custody.txid}:0`);
    expect(record?.txid).toBe(build.txid);
    expect(record?.withdrawalIds).toEqual([7n, 8n, 11n]);
  });

  it('re-checks the view before the partial signature: a deposit reclaimed after the nonce is refused then', async () => {
    const { world, build, context, deposits } = scene();
    const wire = world.request(build, context, 1);
    expect(reasonOf(await world.evaluate(wire))).toBe('allowed');
    world.bitcoin.setSpend(deposits[0]!.txid, 0, { spent: true, spender: 'ff'.repeat(32), confirmed: true });
    expect(reasonOf(await world.evaluate(wire))).toMatch(/already spent on chain/);
  });

  it('accepts SIGHASH_ALL (0x01) as well as DEFAULT', async () => {
    const { world, build, context } = scene();
    expect(reasonOf(await world.evaluate(world.request(build, context, 0, { hashType: 1 })))).toBe('allowed');
  });

  it('signs the very first sweep (no custody input) and a sweep with no withdrawals', async () => {
    const world = new SweepWorld();
    const deposits = [world.deposit(300_000n)];
    const params = world.params({ deposits, burns: [], fee: 500n });
    expect(reasonOf(await world.signAll(buildSweep(params), SweepWorld.context(params, deposits)))).toBe('allowed');
  });

  it('is the policy registered for purpose sweep', async () => {
    const { world, build, context } = scene();
    const registry = new PolicyRegistry().register('sweep', world.policy);
    const verdict = await registry.evaluate(resolveSigningRequest(world.request(build, context, 2)));
    expect(verdict).toEqual({ policy: 'sweep', decision: { allow: true } });
  });
});

describe('sweep policy: a coordinator lying to the signer is refused', () => {
  it('a payout to an address nobody burned for', async () => {
    const { world, custody, deposits, burns } = scene();
    const lie = world.params({ custody, deposits, burns: [burns[0]!, { ...burns[1]!, scriptPubKey: userScript(99) }, burns[2]!] });
    const verdict = await world.signAll(buildSweep(lie), SweepWorld.context(lie, deposits));
    expect(reasonOf(verdict)).toMatch(/output 3 pays .* but withdrawal 8 was burned for/);
  });

  it('a payout for a withdrawal id nobody burned (or not yet final)', async () => {
    const { world, custody, deposits, burns } = scene();
    world.burn(12n, 50_000n, { block: 999n });
    const unburned: WorldBurn = { id: 20n, scriptPubKey: userScript(20), amountSats: 50_000n, maxFeeSats: 5_000n };
    for (const extra of [unburned, { ...unburned, id: 12n, scriptPubKey: userScript(12) }]) {
      const lie = world.params({ custody, deposits, burns: [...burns, extra] });
      expect(reasonOf(await world.signAll(buildSweep(lie), SweepWorld.context(lie, deposits)))).toMatch(new RegExp(`no final WithdrawalRequested log for withdrawal id ${extra.id}`));
    }
  });

  it('an amount above the burn', async () => {
    const { world, custody, deposits, burns } = scene();
    const lie = world.params({ custody, deposits, burns: [burns[0]!, { ...burns[1]!, amountSats: burns[1]!.amountSats + 10_000n }, burns[2]!] });
    expect(reasonOf(await world.signAll(buildSweep(lie), SweepWorld.context(lie, deposits)))).toMatch(/output 3 pays \d+ sat, but withdrawal 8 is due its burn of 60000 sat minus its fee share/);
  });

  it('change to another script', async () => {
    const { world, custody, deposits, burns } = scene();
    const lie = { ...world.params({ custody, deposits, burns }), custodyScriptPubKey: userScript(66) };
    // The custody input keeps paying the real custody script; only the change goes elsewhere.
    lie.custodyInput = { ...custody, scriptPubKey: hexToSpk(CUSTODY.scriptPubKey) };
    expect(reasonOf(await world.signAll(buildSweep(lie), SweepWorld.context(lie, deposits)))).toMatch(/not a sweep \(custody-output\): output 0 does not pay the custody script/);
  });

  it('a fee above the max fee', async () => {
    const { world, custody, deposits, burns } = scene();
    // The pipeline claims a max fee of 50,000 for withdrawal 8; its burn says 2,000. A high fee makes its share exceed it.
    const lie = world.params({ custody, deposits, burns: [burns[0]!, { ...burns[1]!, maxFeeSats: 50_000n }, burns[2]!], fee: 40_000n });
    expect(reasonOf(await world.signAll(buildSweep(lie), SweepWorld.context(lie, deposits)))).toMatch(/withdrawal 8: fee share \d+ sat exceeds its max fee 2000 sat/);
  });

  it('a withdrawal paid twice across two transactions (unresolved, then paid, then dropped by the confirmed version)', async () => {
    const { world, build, context, burns } = scene();
    expect(reasonOf(await world.signAll(build, context))).toBe('allowed');
    // A second sweep spending other inputs, paying withdrawal 7 again.
    const other = [world.deposit(500_000n)];
    const again = world.params({ deposits: other, burns: [burns[0]!], fee: 1_000n });
    const againBuild = buildSweep(again);
    const againContext = SweepWorld.context(again, other);
    expect(reasonOf(await world.signAll(againBuild, againContext))).toMatch(new RegExp(`withdrawal 7 is already in sweep ${build.txid} .* could pay it twice`));
    world.confirmSweep(build, 201);
    world.bitcoin.tip = 202;
    // A new request for the same transaction may reuse a whole-transaction verdict for up to a minute (its own second
    // evaluation never does); past that, the signer looks again.
    world.clock += 61_000;
    expect(reasonOf(await world.signAll(againBuild, againContext))).toMatch(new RegExp(`withdrawal 7 was already paid by sweep ${build.txid}`));
  });

  it('a withdrawal whose earlier sweep was replaced by a confirmed version without it may be paid again', async () => {
    const { world, custody, deposits, burns, build, context } = scene();
    expect(reasonOf(await world.signAll(build, context))).toBe('allowed');
    const subset = world.params({ custody, deposits, burns: [burns[0]!, burns[2]!], fee: 3_100n });
    const subsetBuild = buildSweep(subset);
    expect(reasonOf(await world.signAll(subsetBuild, SweepWorld.context(subset, deposits)))).toBe('allowed');
    world.confirmSweep(subsetBuild, 201);
    world.bitcoin.tip = 202;
    // Withdrawal 8 was in the first version only; the family resolved without it, so the next sweep may pay it.
    const next = [world.deposit(200_000n, 150)];
    const later = world.params({ custody: { txid: subsetBuild.txid, vout: 0, value: subsetBuild.custodyValue }, deposits: next, burns: [burns[1]!], fee: 1_500n });
    expect(reasonOf(await world.signAll(buildSweep(later), SweepWorld.context(later, next)))).toBe('allowed');
  });

  it('a deposit that is not confirmed on the signer\'s own chain (absent, or not deep enough)', async () => {
    const { world, custody, deposits, burns } = scene();
    const ghost = world.deposit(300_000n, null);
    const lie = world.params({ custody, deposits: [...deposits, ghost], burns });
    expect(reasonOf(await world.signAll(buildSweep(lie), SweepWorld.context(lie, [...deposits, ghost])))).toMatch(/deposit 3 \(input 4\) [0-9a-f]{64}:0: transaction [0-9a-f]{64} is not confirmed on the signer's own chain/);
    const shallow = world.deposit(300_000n, 198);
    const lie2 = world.params({ custody, deposits: [...deposits, shallow], burns });
    expect(reasonOf(await world.signAll(buildSweep(lie2), SweepWorld.context(lie2, [...deposits, shallow])))).toMatch(/has 3 confirmations on the signer's chain, needs 6/);
  });

  it('a non-default sighash type', async () => {
    const { world, build, context } = scene();
    for (const hashType of [0x02, 0x03, 0x81, 0x83]) {
      expect(reasonOf(await world.evaluate(world.request(build, context, 1, { hashType })))).toMatch(/is not DEFAULT \(0x00\) or ALL \(0x01\)/);
    }
  });

  it('an extra output', async () => {
    const { world, build, context } = scene();
    const lie = tampered(build, (tx) => tx.outputs.push({ value: 10_000n, scriptPubKey: userScript(5) }));
    expect(reasonOf(await world.evaluate(world.request(lie, context, 0)))).toMatch(/not a sweep \(commitment-count\): the commitment counts 3 withdrawals but there are 4 payout outputs/);
    // The same extra output with a commitment counting it: more outputs than the withdrawals the request names.
    const recommitted = tampered(build, (tx) => {
      tx.outputs[0]!.value -= 10_000n;
      tx.outputs.push({ value: 10_000n, scriptPubKey: userScript(5) });
      tx.outputs[1] = { value: 0n, scriptPubKey: sweepCommitmentScript([7n, 8n, 11n, 12n]) };
    });
    expect(reasonOf(await world.evaluate(world.request(recommitted, context, 0)))).toMatch(/6 outputs: a sweep paying 3 withdrawals has exactly 5/);
  });

  it('a commitment to other ids than those paid', async () => {
    const { world, build, context } = scene();
    const lie = tampered(build, (tx) => (tx.outputs[1] = { value: 0n, scriptPubKey: sweepCommitmentScript([7n, 8n, 12n]) }));
    expect(reasonOf(await world.evaluate(world.request(lie, context, 0)))).toMatch(/output 1 is not the 0-sat OP_RETURN commitment/);
    // And ids in the context that the outputs do not pay in that order.
    expect(reasonOf(await world.evaluate(world.request(build, { ...context, withdrawalIds: ['8', '7', '11'] }, 0)))).toMatch(/strictly ascending/);
  });

  it('a leaf hash that is not the deposit leaf (or any leaf hash on a key-path input)', async () => {
    const { world, build, context } = scene();
    expect(reasonOf(await world.evaluate(world.request(build, context, 1, { leafHash: bytesToHex(seeded('other leaf')) })))).toMatch(/is not the deposit leaf's/);
    expect(reasonOf(await world.evaluate(world.request(build, context, 1, { leafHash: null })))).toMatch(/must name the deposit leaf's hash/);
    expect(reasonOf(await world.evaluate(world.request(build, context, 0, { leafHash: bytesToHex(seeded('other leaf')) })))).toMatch(/no leaf hash/);
  });

  it('a tweak that is not the input kind\'s own', async () => {
    const { world, build, context } = scene();
    expect(reasonOf(await world.evaluate(world.request(build, context, 1, { tweak: CUSTODY.tweak })))).toMatch(/signed by the untweaked group key \(tweak none\)/);
    expect(reasonOf(await world.evaluate(world.request(build, context, 0, { tweak: { kind: 'none' } })))).toMatch(/the tweak must be custody's own/);
    expect(reasonOf(await world.evaluate(world.request(build, context, 3, { tweak: { kind: 'key-path-only' } })))).toMatch(/the tweak must be custody's own/);
  });

  it('an outflow above the configured share of the reserve in 24 h', async () => {
    const { world, build, context } = scene({ outflowLimitBps: 100 });
    // Reserve 5,800,000 sat (the inputs); 1% = 58,000 sat; the sweep pays about 187,000.
    expect(reasonOf(await world.signAll(build, context))).toMatch(/outflow limit: \d+ sat paid out in 24 h with this sweep exceeds 1% of the reserve 5800000 sat \(58000 sat\)/);
  });

  it('an outflow that only exceeds the limit together with earlier sweeps of the last 24 h', async () => {
    const world = new SweepWorld({ outflowLimitBps: 1_000 });
    const first = world.custodyUtxo(1_000_000n);
    const burnA = world.burn(1n, 60_000n);
    const burnB = world.burn(2n, 60_000n);
    const p1 = world.params({ custody: first, deposits: [], burns: [burnA], fee: 400n });
    expect(reasonOf(await world.signAll(buildSweep(p1), SweepWorld.context(p1, [])))).toBe('allowed');
    const second = world.custodyUtxo(1_000_000n);
    const p2 = world.params({ custody: second, deposits: [], burns: [burnB], fee: 400n });
    expect(reasonOf(await world.signAll(buildSweep(p2), SweepWorld.context(p2, [])))).toMatch(/outflow limit/);
    world.clock += 25 * 3600_000;
    expect(reasonOf(await world.signAll(buildSweep(p2), SweepWorld.context(p2, [])))).toBe('allowed');
  });

  it('an RBF version paying a superset is refused; the same set or a subset is signed', async () => {
    const { world, custody, deposits, burns, build, context } = scene();
    expect(reasonOf(await world.signAll(build, context))).toBe('allowed');
    world.broadcastSweep(build);
    const extra = world.burn(12n, 40_000n);
    const superset = world.params({ custody, deposits, burns: [...burns, extra], fee: 4_000n });
    expect(reasonOf(await world.signAll(buildSweep(superset), SweepWorld.context(superset, deposits)))).toMatch(
      new RegExp(`conflicts with sweep ${build.txid} .* pays withdrawal 12, which that sweep does not`),
    );
    const same = world.params({ custody, deposits, burns, fee: 4_000n });
    expect(reasonOf(await world.signAll(buildSweep(same), SweepWorld.context(same, deposits)))).toBe('allowed');
    const subset = world.params({ custody, deposits, burns: [burns[0]!], fee: 4_500n });
    expect(reasonOf(await world.signAll(buildSweep(subset), SweepWorld.context(subset, deposits)))).toBe('allowed');
    // Every version since is a subset of the last: withdrawal 8 cannot come back into this family.
    const back = world.params({ custody, deposits, burns: [burns[0]!, burns[1]!], fee: 5_000n });
    expect(reasonOf(await world.signAll(buildSweep(back), SweepWorld.context(back, deposits)))).toMatch(/pays withdrawal 8, which that sweep does not/);
  });
});

describe('sweep policy: the other rules', () => {
  it('a deposit within 3 blocks of its reclaim lock', async () => {
    const world = new SweepWorld({}, { tip: 200 });
    const near = world.deposit(300_000n, 100, { lockBlocks: 103 });
    const params = world.params({ deposits: [near], burns: [], fee: 500n });
    expect(reasonOf(await world.signAll(buildSweep(params), SweepWorld.context(params, [near])))).toMatch(/within 3 blocks of its reclaim lock \(confirmed at 100, lock 103 blocks, tip 200\)/);
    const far = world.deposit(300_000n, 100, { lockBlocks: 104 });
    const ok = world.params({ deposits: [far], burns: [], fee: 500n });
    expect(reasonOf(await world.signAll(buildSweep(ok), SweepWorld.context(ok, [far])))).toBe('allowed');
  });

  it('a deposit reclaimed (spent) in the mempool by someone else', async () => {
    const { world, build, context, deposits } = scene();
    world.bitcoin.setSpend(deposits[1]!.txid, 0, { spent: true, confirmed: false });
    expect(reasonOf(await world.signAll(build, context))).toMatch(/in the mempool by a transaction this signer did not sign/);
  });

  it('a deposit for another group key, and a fake simple-form deposit', async () => {
    const world = new SweepWorld();
    const foreign = world.deposit(300_000n, 100, { groupKey: seededKey('someone else') });
    const p = world.params({ deposits: [foreign], burns: [], fee: 500n });
    expect(reasonOf(await world.signAll(buildSweep(p), SweepWorld.context(p, [foreign])))).toMatch(/names key .*, not this group's/);
    const plain = world.custodyUtxo(300_000n, 100);
    const fake: WorldDeposit = { ...plain, kind: 'custody-key-path', maxFeeSats: 10_000n };
    const p2 = world.params({ deposits: [fake], burns: [], fee: 500n });
    expect(reasonOf(await world.signAll(buildSweep(p2), SweepWorld.context(p2, [fake])))).toMatch(/is not a simple-form deposit/);
  });

  it('a fee rate outside the configured bounds', async () => {
    const { world, custody, deposits, burns } = scene();
    const greedy = world.params({ custody, deposits, burns, fee: 200n });
    expect(reasonOf(await world.signAll(buildSweep(greedy), SweepWorld.context(greedy, deposits)))).toMatch(/fee rate 0\.\d+ sat\/vB .* is outside the signer's bounds \[1, 500\]/);
  });

  it('prevouts that are not what the chain says', async () => {
    const { world, build, context } = scene();
    const lie = { ...build, prevouts: build.prevouts.map((p, i) => (i === 1 ? { ...p, value: p.value + 1n } : p)) };
    expect(reasonOf(await world.evaluate(world.request(lie, context, 0)))).toMatch(/the request's prevout .* is not the chain's/);
  });

  it('a request without the sweep context, or with a context that does not match the inputs', async () => {
    const { world, build, context } = scene();
    const bare = world.request(build, context, 0);
    delete bare.context;
    expect(reasonOf(await world.evaluate(bare))).toMatch(/must carry context.sweep/);
    const swapped = { ...context, deposits: [context.deposits[1]!, context.deposits[0]!, context.deposits[2]!] };
    expect(reasonOf(await world.evaluate(world.request(build, swapped, 0)))).toMatch(/input 1 spends .*, not deposit 0 of the context/);
    expect(() => resolveSigningRequest({ ...world.request(build, context, 0), context: { sweep: { ...context, extra: 1 } } })).toThrow(/context/);
  });
});

function hexToSpk(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

function seededKey(label: string): Uint8Array {
  return schnorr.getPublicKey(seeded(label));
}
