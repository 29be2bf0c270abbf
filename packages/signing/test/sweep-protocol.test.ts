// The sweep policy inside five real signers (SignerProtocol, 3-of-5 key from the DKG): every input of an honest sweep
// gets a BIP340 signature that verifies for its spend (custody key path under the custody output key, deposit leaf
// under the untweaked group key with the leaf's sighash), each signer records the sweep before its nonce, and a lying
// request is refused by every signer with the reason the coordinator's attempt keeps.
import { schnorr } from '@noble/curves/secp256k1.js';
import { hexToBytes } from '@noble/hashes/utils.js';
import { finalizeSweep, sweepSighashes, taprootOutput } from '@tapbridge/bitcoin';
import { describe, expect, it } from 'vitest';
import { hostPublicKey, MemorySignedSweepStore, PolicyRegistry, SignerProtocol, SWEEP_PURPOSE } from '../src/index.js';
import { groupKeyOf, runAttempt } from './attempt.js';
import { Group } from './helpers.js';
import { buildSweep, SweepWorld, userScript } from './sweep-fixtures.js';

async function sweepGroup() {
  const group = new Group(5, 3);
  await group.runDkg();
  const world = new SweepWorld({}, { groupKey: groupKeyOf(group).xonly });
  const records: MemorySignedSweepStore[] = [];
  // Every signer restarts with the sweep policy over its own record (the chain and L2 data are shared fixtures).
  for (let i = 1; i <= group.n; i++) {
    const signed = new MemorySignedSweepStore();
    records.push(signed);
    group.signers[i - 1] = new SignerProtocol({
      index: i,
      n: group.n,
      t: group.t,
      hostSeckey: group.hostKeys[i - 1]!,
      coordinatorKey: hostPublicKey(group.coordinatorKey),
      trust: group.trustOf(i),
      policies: new PolicyRegistry().register(SWEEP_PURPOSE, world.newPolicy(signed)),
      saveShare: async () => undefined,
      share: group.saved.get(i)!,
    });
  }
  return { group, world, records };
}

describe('the sweep policy in the signer protocol (3-of-5, in process)', () => {
  it('signs every input of an honest sweep; the signatures verify for their spends and the sweep is recorded by every signer before its nonce', async () => {
    const { group, world, records } = await sweepGroup();
    const custody = world.custodyUtxo(2_000_000n);
    const deposits = [world.deposit(300_000n), world.deposit(200_000n)];
    const burns = [world.burn(4n, 80_000n), world.burn(9n, 50_000n)];
    const params = world.params({ custody, deposits, burns });
    const build = buildSweep(params);
    const context = SweepWorld.context(params, deposits);
    const sighashes = sweepSighashes(build);
    const signatures: Uint8Array[] = [];
    for (let i = 0; i < build.tx.inputs.length; i++) {
      const out = await runAttempt(group, world.request(build, context, i));
      expect(out.refusals.size).toBe(0);
      expect(out.signature).not.toBeNull();
      const key = i === 0 ? hexToBytes(world.custody.outputKey) : world.groupKey;
      expect(schnorr.verify(out.signature!, sighashes[i]!, key)).toBe(true);
      signatures.push(out.signature!);
    }
    // The custody output key is the group key tweaked with custody's merkle root; the deposit inputs use the plain key.
    expect(world.custody.outputKey).toBe(Buffer.from(taprootOutput(world.groupKey, { script: hexToBytes(world.custody.recoveryLeaf!.script) }).outputKey).toString('hex'));
    const signed = finalizeSweep(build, signatures);
    expect(signed.txid).toBe(build.txid);
    for (const r of records) expect((await r.payingAny([4n])).map((s) => s.txid)).toEqual([build.txid]);
  }, 120_000);

  it('a lying request (a payout nobody burned for) is refused by every signer, each with its reason', async () => {
    const { group, world, records } = await sweepGroup();
    const deposits = [world.deposit(300_000n)];
    const burn = world.burn(4n, 80_000n);
    const params = world.params({ deposits, burns: [{ ...burn, scriptPubKey: userScript(77) }], fee: 800n });
    const build = buildSweep(params);
    const out = await runAttempt(group, world.request(build, SweepWorld.context(params, deposits), 0));
    expect(out.signature).toBeNull();
    expect([...out.refusals.keys()].sort()).toEqual([1, 2, 3, 4, 5]);
    for (const reason of out.refusals.values()) expect(reason).toMatch(/^sweep: output 2 pays .* but withdrawal 4 was burned for /);
    for (const r of records) expect(r.size).toBe(0);
  }, 120_000);
});
