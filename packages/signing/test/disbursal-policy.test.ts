// Issue 11's escape hatch at the signer: the disbursal policy signs only the disbursal it rebuilds from its own view,
// and the sweep policy refuses any sweep until the disbursal of the custody output it creates is fully signed and
// stored. One policy registry routes both purposes.
import { schnorr } from '@noble/curves/secp256k1.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import {
  buildSweep,
  disbursalSighashes,
  disbursalTransactions,
  finalizeDisbursal,
  taprootTweakSecretKey,
  witnessScript,
  type DisbursalBuild,
  type SweepBuild,
} from '@tapbridge/bitcoin';
import { describe, expect, it } from 'vitest';
import {
  DISBURSAL_PURPOSE,
  DisbursalChecker,
  DisbursalPolicy,
  FixedRecoveryView,
  MemoryDisbursalStore,
  PolicyRegistry,
  SWEEP_PURPOSE,
  SweepPolicy,
  rebuildDisbursal,
  resolveSigningRequest,
  type DisbursalRules,
  type DisbursalTerms,
  type RecoveryAccount,
  type SigningRequestWire,
  type SweepContext,
} from '../src/index.js';
import { CUSTODY_SETTINGS, seeded, SweepWorld } from './sweep-fixtures.js';

const GROUP_SECRET = seeded('group secret');
const RULES: DisbursalRules = { lockBlocks: 6, lockToleranceBlocks: 2, minFeeRate: 1, maxFeeRate: 100, maxCheckpointAgeBlocks: 20n };
const accountOf = (i: number) => `0x${bytesToHex(seeded(`account ${i}`)).slice(0, 40)}`;
const ACCOUNTS: RecoveryAccount[] = Array.from({ length: 10 }, (_, i) => ({
  account: accountOf(i),
  balanceSats: 50_000n * BigInt(i + 1),
  scriptPubKey: witnessScript(0, seeded(`recovery ${i}`).subarray(0, 20)),
}));

function scene() {
  const world = new SweepWorld();
  const custodyUtxo = world.custodyUtxo(5_000_000n);
  const deposits = [world.deposit(400_000n)];
  const burns = [world.burn(7n, 100_000n)];
  const params = world.params({ custody: custodyUtxo, deposits, burns });
  const sweep = buildSweep(params);
  const context = SweepWorld.context(params, deposits);
  const recovery = new FixedRecoveryView(100n).set(95n, ACCOUNTS);
  const store = new MemoryDisbursalStore();
  const checker = new DisbursalChecker({ groupKey: () => world.groupKey, custody: CUSTODY_SETTINGS, bitcoin: world.bitcoin, recovery, store, rules: RULES, now: () => world.clock });
  const sweepPolicy = new SweepPolicy({ groupKey: () => world.groupKey, custody: CUSTODY_SETTINGS, bitcoin: world.bitcoin, l2: world.l2, signed: world.signed, rules: world.rules, now: () => world.clock, disbursal: checker });
  const registry = new PolicyRegistry().register(SWEEP_PURPOSE, sweepPolicy).register(DISBURSAL_PURPOSE, new DisbursalPolicy(checker, store));
  const output = { txid: sweep.txid, vout: 0, value: sweep.custodyValue };
  const terms: DisbursalTerms = { l2Block: '95', lockHeight: 200 + RULES.lockBlocks, feeRate: 10, maxTxWeight: 1_200 };
  return { world, params, sweep, context, recovery, store, checker, registry, output, terms };
}

type Scene = ReturnType<typeof scene>;
const reasonOf = (d: { allow: boolean; reason?: string }) => (d.allow ? 'allowed' : d.reason);

/** The coordinator's disbursal: the same builder over (here) the same L2 view. */
const coordinatorBuild = (s: Scene, terms = s.terms, recovery = s.recovery) => rebuildDisbursal({ custody: CUSTODY_SETTINGS, recovery }, s.world.custody, s.output, terms);

function disbursalRequest(s: Scene, build: DisbursalBuild, i: number, terms = s.terms): SigningRequestWire {
  const t = disbursalTransactions(build)[i]!;
  return {
    requestId: `disbursal-${i}`,
    purpose: DISBURSAL_PURPOSE,
    payload: { kind: 'taproot-sighash', transaction: t.hex, inputIndex: 0, prevouts: [{ value: t.prevout.value.toString(), scriptPubKey: bytesToHex(t.prevout.scriptPubKey) }] },
    tweak: s.world.custody.tweak,
    context: { disbursal: { custody: { txid: s.output.txid, vout: 0, value: s.output.value.toString() }, terms } },
  };
}

function sweepRequest(s: Scene, sweep: SweepBuild, context: SweepContext, inputIndex: number): SigningRequestWire {
  return { ...s.world.request(sweep, context, inputIndex), purpose: SWEEP_PURPOSE };
}

/** What the group's threshold signature would be: the custody key-path key signs each sighash. */
const custodySecret = (s: Scene) => taprootTweakSecretKey(GROUP_SECRET, hexToBytes(s.world.custody.merkleRoot!));
const signAll = (s: Scene, build: DisbursalBuild) => disbursalSighashes(build).map((h) => bytesToHex(schnorr.sign(h, custodySecret(s))));

describe('disbursal policy', () => {
  it('signs every transaction of the disbursal it rebuilds from its own view (10 accounts, several batches)', async () => {
    const s = scene();
    const build = await coordinatorBuild(s);
    expect(build.finals.length).toBeGreaterThan(1);
    expect(build.payouts).toHaveLength(10);
    for (let i = 0; i < 1 + build.finals.length; i++) expect(reasonOf((await s.registry.evaluate(resolveSigningRequest(disbursalRequest(s, build, i)))).decision)).toBe('allowed');
  });

  it('refuses a disbursal that pays anyone differently from its own L2 view', async () => {
    const s = scene();
    const lying = new FixedRecoveryView(100n).set(95n, ACCOUNTS.map((a, i) => (i === 3 ? { ...a, balanceSats: a.balanceSats * 3n } : a)));
    const build = await coordinatorBuild(s, s.terms, lying);
    const verdicts = await Promise.all(disbursalTransactions(build).map((_, i) => s.registry.evaluate(resolveSigningRequest(disbursalRequest(s, build, i)))));
    expect(verdicts.some((v) => /is not part of the disbursal this signer builds/.test(reasonOf(v.decision) ?? ''))).toBe(true);
    expect(verdicts.every((v) => !v.decision.allow)).toBe(true);
  });

  it('refuses terms outside its rules: lock not tip + D, checkpoint not final or too old, fee rate out of bounds', async () => {
    const s = scene();
    const ask = async (terms: DisbursalTerms) => reasonOf((await s.registry.evaluate(resolveSigningRequest(disbursalRequest(s, await coordinatorBuild({ ...s, recovery: new FixedRecoveryView(1_000n).set(BigInt(terms.l2Block), ACCOUNTS) }, terms, new FixedRecoveryView(1_000n).set(BigInt(terms.l2Block), ACCOUNTS)), 0, terms)))).decision);
    expect(await ask({ ...s.terms, lockHeight: 201 })).toMatch(/lock height 201 is not tip 200 \+ 6/);
    expect(await ask({ ...s.terms, l2Block: '101' })).toMatch(/not final/);
    expect(await ask({ ...s.terms, l2Block: '70' })).toMatch(/blocks behind the final block/);
    expect(await ask({ ...s.terms, feeRate: 101 })).toMatch(/fee rate 101 sat\/vB is outside/);
  });

  it('refuses a disbursal transaction asked with another tweak', async () => {
    const s = scene();
    const build = await coordinatorBuild(s);
    const wire = { ...disbursalRequest(s, build, 0), tweak: { kind: 'key-path-only' as const } };
    expect(reasonOf((await s.registry.evaluate(resolveSigningRequest(wire))).decision)).toMatch(/custody's own tweak/);
  });
});

describe('sweep policy with the escape hatch on', () => {
  it('refuses a sweep whose custody output has no signed disbursal', async () => {
    const s = scene();
    const verdict = await s.registry.evaluate(resolveSigningRequest(sweepRequest(s, s.sweep, s.context, 0)));
    expect(reasonOf(verdict.decision)).toMatch(/has no signed emergency disbursal/);
    expect(s.world.signed.size).toBe(0);
  });

  it('signs the sweep once the disbursal is fully signed, and stores the signed transactions first', async () => {
    const s = scene();
    const build = await coordinatorBuild(s);
    const signatures = signAll(s, build);
    const context: SweepContext = { ...s.context, disbursal: { terms: s.terms, signatures } };
    for (let i = 0; i < s.sweep.tx.inputs.length; i++) expect(reasonOf((await s.registry.evaluate(resolveSigningRequest(sweepRequest(s, s.sweep, context, i)))).decision)).toBe('allowed');
    const stored = await s.store.signed(`${s.sweep.txid}:0`);
    expect(stored?.signedHex).toEqual(finalizeDisbursal(build, signatures.map((x) => hexToBytes(x))).map((x) => x.hex));
    expect((await s.store.latestSigned())?.custody).toBe(`${s.sweep.txid}:0`);
    expect(s.world.signed.size).toBe(1);
  });

  it('refuses a sweep whose disbursal signatures do not verify or are missing one', async () => {
    const s = scene();
    const build = await coordinatorBuild(s);
    const good = signAll(s, build);
    const untweaked = disbursalSighashes(build).map((h) => bytesToHex(schnorr.sign(h, GROUP_SECRET)));
    const ask = async (signatures: string[]) =>
      reasonOf((await s.registry.evaluate(resolveSigningRequest(sweepRequest(s, s.sweep, { ...s.context, disbursal: { terms: s.terms, signatures } }, 0)))).decision);
    expect(await ask(untweaked)).toMatch(/signature 0 does not verify under the custody key/);
    expect(await ask(good.slice(1))).toMatch(/signatures for its \d+ transactions/);
    expect(await ask([good[0]!, ...good.slice(1).reverse()])).toMatch(/does not verify/);
    expect(await s.store.latestSigned()).toBeUndefined();
  });

  it('ties the disbursal to this sweep: signatures for another version of it (an RBF bump) do not count', async () => {
    const s = scene();
    const signatures = signAll(s, await coordinatorBuild(s));
    const bumped = buildSweep({ ...s.params, fee: 3_500n });
    expect(bumped.txid).not.toBe(s.sweep.txid);
    const verdict = await s.registry.evaluate(resolveSigningRequest(sweepRequest(s, bumped, { ...s.context, disbursal: { terms: s.terms, signatures } }, 0)));
    expect(reasonOf(verdict.decision)).toMatch(/does not verify/);
  });
});
