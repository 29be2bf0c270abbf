// The gateway's own check of deposit.confirmed: the merkle proof against the header chain, without servers.
import { NoRespondersError } from '@tapbridge/messaging';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { judgeProof, parseDepositProof, verifyDepositProof, type HeaderChain, type WatcherHeader } from '../src/deposit-proof.js';
import { confirmedDeposit, freshRecipient, randomTxid, type DepositConfirmed } from './support/deposits.js';
import { knownHeader, makeBlock, setBlock } from './support/headers.js';

/** The header chain as the fake watcher holds it, with a tip height. */
function chainOf(tip: number, overrides: Partial<WatcherHeader> = {}): HeaderChain {
  return {
    byHash: async (hash) => {
      const h = knownHeader(hash);
      return h === undefined ? undefined : { ...h, ...overrides };
    },
    tipHeight: async () => tip,
  };
}

const deposit = (): DepositConfirmed => confirmedDeposit({ amountSats: 10_000n, recipient: freshRecipient(), blockHeight: 200 });

describe('deposit proof check', () => {
  it('accepts a proof of the txid in a best-chain block at the stated height with enough confirmations', async () => {
    const d = deposit();
    const verdict = await verifyDepositProof(d, chainOf(205), 6);
    expect(verdict.verdict).toBe('valid');
  });

  it('refuses a proof that does not parse, is for another block, or does not commit to the txid', async () => {
    const d = deposit();
    expect(await verifyDepositProof({ ...d, merkleProof: 'ab'.repeat(100) }, chainOf(205), 6)).toMatchObject({ verdict: 'forged', reason: expect.stringMatching(/merkle proof is invalid/) });
    const other = makeBlock(d.txid, 200);
    expect(await verifyDepositProof({ ...d, blockHash: other.blockHash }, chainOf(205), 6)).toMatchObject({ verdict: 'forged', reason: expect.stringMatching(/merkle proof is for block/) });
    const someoneElses = makeBlock(randomTxid(), 200);
    expect(await verifyDepositProof({ ...d, ...someoneElses }, chainOf(205), 6)).toMatchObject({ verdict: 'forged', reason: expect.stringMatching(`does not commit to txid ${d.txid}`) });
  });

  it('refuses a block the header chain does not hold, holds off its best chain, or at another height', async () => {
    const txid = randomTxid();
    const unknown = { ...deposit(), txid, ...makeBlock(txid, 200, { known: false }) };
    expect(await verifyDepositProof(unknown, chainOf(250), 6)).toMatchObject({ verdict: 'forged', reason: expect.stringMatching(/unknown to the header chain/) });
    const d = deposit();
    expect(await verifyDepositProof({ ...d, blockHeight: 201 }, chainOf(250), 6)).toMatchObject({ verdict: 'forged', reason: expect.stringMatching(/at height 200, the event says 201/) });
    expect(await verifyDepositProof(d, chainOf(250, { merkleRoot: 'cd'.repeat(32) }), 6)).toMatchObject({ verdict: 'forged', reason: expect.stringMatching(/merkle root/) });
    setBlock(d.blockHash, { inBest: false });
    expect(await verifyDepositProof(d, chainOf(250), 6)).toMatchObject({ verdict: 'forged', reason: expect.stringMatching(/not on the best chain/) });
  });

  it('waits (retry) while the header chain is behind: block not reached yet, or too few confirmations, or no answer', async () => {
    const txid = randomTxid();
    const ahead = { ...deposit(), txid, ...makeBlock(txid, 300, { known: false }), blockHeight: 300 };
    expect(await verifyDepositProof(ahead, chainOf(299), 6)).toMatchObject({ verdict: 'not-yet' });
    const d = deposit();
    setBlock(d.blockHash, { confirmations: 5 });
    expect(await verifyDepositProof(d, chainOf(204), 6)).toMatchObject({ verdict: 'not-yet', reason: expect.stringMatching(/5 confirmations/) });
    const silent: HeaderChain = { byHash: async () => Promise.reject(new NoRespondersError('no service answers btc.headers.get')), tipHeight: async () => 0 };
    expect(await verifyDepositProof(deposit(), silent, 6)).toMatchObject({ verdict: 'not-yet' });
  });

  it('judges a header that differs from the proof\u2019s as forged', () => {
    const d = deposit();
    const proof = parseDepositProof(d);
    if (!proof.ok) throw new Error(proof.reason);
    const header = knownHeader(d.blockHash)!;
    expect(judgeProof(d, proof, { ...header, header: '00'.repeat(80) }, 205, 6)).toMatchObject({ verdict: 'forged' });
    expect(judgeProof(d, proof, header, 205, 6)).toMatchObject({ verdict: 'valid' });
  });

  it('never throws on arbitrary proof bytes: a clear "forged" verdict', async () => {
    const d = deposit();
    const chain = chainOf(205);
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 600 }), async (bytes) => {
        const verdict = await verifyDepositProof({ ...d, merkleProof: Buffer.from(bytes).toString('hex') }, chain, 6);
        expect(verdict.verdict).toBe('forged');
      }),
      { numRuns: 2_000 },
    );
    // Mutations of a valid proof: any single changed byte is refused or (if it hits only unused bits) still valid.
    const valid = Buffer.from(d.merkleProof, 'hex');
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: valid.length - 1 }), fc.integer({ min: 1, max: 255 }), async (at, xor) => {
        const mutated = Buffer.from(valid);
        mutated[at]! ^= xor;
        const verdict = await verifyDepositProof({ ...d, merkleProof: mutated.toString('hex') }, chain, 6);
        expect(['forged', 'valid']).toContain(verdict.verdict);
        if (at < 80) expect(verdict.verdict).toBe('forged'); // the header is pinned by the block hash
      }),
      { numRuns: 1_000 },
    );
  });
});
