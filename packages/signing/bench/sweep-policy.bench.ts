// One signer validating a sweep of 25 deposits and 100 withdrawals with the sweep policy, in-process over the
// in-memory views (FixedBitcoinView, FixedL2View, MemorySignedSweepStore).
//
// Included: decoding each input's request and computing its BIP341 sighash (resolveSigningRequest, once per input,
// as the signer does on a nonce request), the per-input checks (sighash type, leaf hash, tweak), and the
// whole-transaction check run twice (nonce phase and partial-signature phase): layout, 126 view lookups (custody
// input + 25 deposits proven, spends asked), 100 burn lookups, deposit leaf/address rebuilds (25 taproot commitments),
// fee split, commitment, fee rate, conflict rules and outflow over the record, and the record write.
// Excluded: network and disk (a real source answers each proof over HTTP; the EVM node the logs; Postgres the
// record), header sync, message authentication and the FROST nonce/partial-signature arithmetic
// (see signing.bench.ts), and building the sweep (packages/bitcoin sweep.bench.ts).
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { buildSweep, type SweepBuild } from '@tapbridge/bitcoin';
import { checkSweep, resolveSigningRequest, type SweepContext } from '../src/index.js';
import { CUSTODY_SPK, GROUP_KEY, RULES, SweepWorld } from '../test/sweep-fixtures.js';

console.log(`machine: ${os.cpus()[0]?.model ?? 'unknown'}, ${os.cpus().length} cores, node ${process.version}`);

function report(name: string, ms: number, per: string): void {
  console.log(`${name.padEnd(60)} ${ms.toFixed(2).padStart(10)} ms ${per}`);
}

/** A fresh signer (empty record) and a valid 25-deposit, 100-withdrawal sweep with a custody input. */
function setUp(): { world: SweepWorld; build: SweepBuild; context: SweepContext } {
  const world = new SweepWorld();
  const custody = world.custodyUtxo(5_000_000_000n);
  const deposits = Array.from({ length: 25 }, (_, i) => world.deposit(1_000_000n + BigInt(i)));
  const burns = Array.from({ length: 100 }, (_, i) => world.burn(BigInt(1_000 + i), 100_000n + BigInt(i)));
  const params = world.params({ custody, deposits, burns, fee: 20_000n });
  const build = buildSweep(params);
  return { world, build, context: SweepWorld.context(params, deposits) };
}

const rounds = 8;
let full = 0;
let cold = 0;
let resolve = 0;
for (let r = 0; r < rounds + 1; r++) {
  const { world, build, context } = setUp();
  const wires = build.tx.inputs.map((_, i) => world.request(build, context, i));

  // The whole-transaction check alone, once (no cache, no record).
  const t0 = performance.now();
  const first = resolveSigningRequest(wires[0]!);
  const verdict = await checkSweep({
    tx: first.transaction!.tx,
    prevouts: first.transaction!.prevouts,
    context,
    groupKey: GROUP_KEY,
    custodyScriptPubKey: CUSTODY_SPK,
    bitcoin: world.bitcoin,
    l2: world.l2,
    signed: world.signed,
    rules: RULES,
    now: new Date(world.clock),
  });
  const t1 = performance.now();
  if (!verdict.allow) throw new Error(`benchmark sweep refused: ${verdict.reason}`);

  // What the signer does for the whole sweep: every input's request resolved once, evaluated at nonce and again at
  // the partial signature.
  const t2 = performance.now();
  const requests = wires.map((w) => resolveSigningRequest(w));
  const t3 = performance.now();
  for (const phase of [0, 1]) {
    void phase;
    for (const req of requests) {
      const d = await world.policy.evaluate(req);
      if (!d.allow) throw new Error(`refused: ${d.reason}`);
    }
  }
  const t4 = performance.now();
  if (r === 0) continue; // warm-up
  cold += t1 - t0;
  resolve += t3 - t2;
  full += t4 - t2;
}

console.log(`sweep: 1 custody input + 25 deposit-leaf inputs, 100 payouts (${setUp().build.vsize} vB); in-memory views, ${rounds} rounds`);
report('whole-transaction check once (resolve input 0 + checkSweep)', cold / rounds, 'per sweep');
report('resolve 126 requests (decode + BIP341 sighash each)', resolve / rounds, 'per sweep');
report('one signer approves every input, nonce + partial phase', full / rounds, 'per sweep (incl. resolving; 2 whole-tx checks)');
