// Bad input to the sweep policy gets a clear refusal, never a crash: random byte changes to a valid sweep request's
// transaction, random prevouts and random contexts either fail to resolve with a SigningRequestError or are judged
// (allowed or refused with a reason); a context naming other withdrawal ids than the outputs pay is never signed.
import fc from 'fast-check';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { resolveSigningRequest, SigningRequestError, type SigningRequestWire, type SweepContext } from '../src/index.js';
import { buildSweep, SweepWorld } from './sweep-fixtures.js';

function scene() {
  const world = new SweepWorld();
  const custody = world.custodyUtxo(3_000_000n);
  const deposits = [world.deposit(400_000n), world.simpleDeposit(150_000n)];
  const burns = [world.burn(7n, 100_000n), world.burn(8n, 60_000n)];
  const params = world.params({ custody, deposits, burns });
  const build = buildSweep(params);
  return { world, build, context: SweepWorld.context(params, deposits) };
}

/** Resolves and evaluates; returns the decision, or 'unresolvable' for a request that is refused before any policy. */
async function judge(world: SweepWorld, wire: SigningRequestWire): Promise<{ allow: boolean; reason?: string } | 'unresolvable'> {
  let request;
  try {
    request = resolveSigningRequest(wire);
  } catch (err) {
    expect(err).toBeInstanceOf(SigningRequestError);
    return 'unresolvable';
  }
  const decision = await world.policy.evaluate(request);
  if (!decision.allow) expect(typeof decision.reason === 'string' && decision.reason.length > 0).toBe(true);
  return decision;
}

describe('sweep policy under random input', () => {
  it('a transaction with random bytes changed resolves with a clear error or is judged, never crashes', async () => {
    const { world, build, context } = scene();
    const valid = world.request(build, context, 1);
    const tx = hexToBytes((valid.payload as { transaction: string }).transaction);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.nat({ max: tx.length - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), async (edits) => {
        const bytes = tx.slice();
        for (const [at, value] of edits) bytes[at] = value;
        await judge(world, { ...valid, requestId: `fuzz-${bytesToHex(bytes).slice(0, 16)}`, payload: { ...valid.payload, transaction: bytesToHex(bytes) } as SigningRequestWire['payload'] });
      }),
      { numRuns: 150, seed: 0x5eed9 },
    );
  }, 120_000);

  it('random prevout values and scripts are refused (the chain says otherwise) or rejected, never signed', async () => {
    const { world, build, context } = scene();
    const valid = world.request(build, context, 0);
    const payload = valid.payload as Extract<SigningRequestWire['payload'], { kind: 'taproot-sighash' }>;
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: payload.prevouts.length - 1 }), fc.bigInt({ min: 0n, max: 10n ** 16n }), fc.uint8Array({ minLength: 0, maxLength: 40 }), async (i, value, script) => {
        const prevouts = payload.prevouts.map((p, k) => (k === i ? { value: value.toString(), scriptPubKey: bytesToHex(script) } : p));
        const verdict = await judge(world, { ...valid, payload: { ...payload, prevouts } });
        expect(verdict === 'unresolvable' || verdict.allow === false).toBe(true);
      }),
      { numRuns: 100, seed: 0x5eeda },
    );
  }, 120_000);

  it('a context naming other withdrawal ids (or random deposit scripts) is never signed', async () => {
    const { world, build, context } = scene();
    const valid = world.request(build, context, 0);
    const ids = fc.array(fc.bigInt({ min: 0n, max: (1n << 256n) - 1n }), { maxLength: 4 }).map((a) => a.map(String));
    const script = fc.uint8Array({ minLength: 0, maxLength: 80 }).map(bytesToHex);
    await fc.assert(
      fc.asyncProperty(ids, fc.option(script), fc.option(script), async (withdrawalIds, depositScript, reclaimScript) => {
        const deposits = context.deposits.map((d, k) =>
          k === 0 && d.kind === 'deposit-leaf' ? { ...d, ...(depositScript !== null ? { depositScript } : {}), ...(reclaimScript !== null ? { reclaimScript } : {}) } : d,
        );
        const ctx: SweepContext = { withdrawalIds, deposits };
        const same = withdrawalIds.join() === context.withdrawalIds.join() && depositScript === null && reclaimScript === null;
        const verdict = await judge(world, { ...valid, requestId: `ctx-${withdrawalIds.join('-').slice(0, 60)}`, context: { sweep: ctx } });
        if (!same) expect(verdict === 'unresolvable' || verdict.allow === false).toBe(true);
      }),
      { numRuns: 150, seed: 0x5eedb },
    );
  }, 120_000);
});
