// The gateway's own check of deposit.confirmed (packages/evm deposit-check.ts, and its NATS wiring): the merkle proof against the header chain, without servers.
import { NoRespondersError } from '@tapbridge/messaging';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkDepositPayment, judgeProof, parseDepositProof, type HeaderChain, type WatcherHeader } from '@tapbridge/evm';
import { verifyDeposit, verifyDepositProof } from '../src/mint/deposit-proof.js';
import { FOREIGN_GROUP_KEY, TEST_CUSTODY, TEST_GROUP_KEY } from './support/custody.js';
import { confirmedDeposit, confirmedPayment, freshRecipient, randomTxid, type DepositConfirmed } from './support/deposits.js';
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

  describe('what the proven transaction pays (rawTx)', () => {
    const strict = { acceptUnproven: false, custody: TEST_CUSTODY };

    it('accepts honest op_return and taproot deposits, at vout 0 and beyond', async () => {
      for (const kind of ['op_return', 'taproot'] as const) {
        for (const vout of [0, 2]) {
          const d = confirmedDeposit({ amountSats: 12_345n, recipient: freshRecipient(), vout, kind, blockHeight: 200 });
          expect(checkDepositPayment(d, strict)).toEqual({ ok: true });
          expect((await verifyDeposit(d, chainOf(205), 6, strict)).verdict).toBe('valid');
        }
      }
    });

    it('refuses a real confirmed non-deposit txid with an invented output, amount and recipient, though its proof is valid', async () => {
      const payment = confirmedPayment(200);
      const forged: DepositConfirmed = { ...deposit(), ...payment, vout: 0, amountSats: '5000000000' };
      expect((await verifyDepositProof(forged, chainOf(205), 6)).verdict).toBe('valid'); // the gap the raw tx closes
      expect(await verifyDeposit(forged, chainOf(205), 6, strict)).toMatchObject({ verdict: 'forged', reason: 'output 0 pays 21000 sat, the event says 5000000000' });
      // Even with the output's real amount: it is no deposit (it does not pay our custody; no deposit leaf scripts).
      expect(checkDepositPayment({ ...forged, amountSats: '21000' }, strict)).toMatchObject({ ok: false, foreignCustody: true, reason: expect.stringMatching(/not our custody script/) });
      const taproot = confirmedDeposit({ amountSats: 21_000n, recipient: forged.recipient, kind: 'taproot' });
      expect(checkDepositPayment({ ...forged, amountSats: '21000', kind: 'taproot', depositScript: taproot.depositScript!, reclaimScript: taproot.reclaimScript! }, strict))
        .toMatchObject({ ok: false, reason: expect.stringMatching(/output 0 is not the P2TR of the event's leaf scripts/) });
      // Without the raw transaction: refused unless EVM_ACCEPT_UNPROVEN_DEPOSITS.
      const { rawTx: _, ...bare } = forged;
      expect(await verifyDeposit(bare, chainOf(205), 6, strict)).toMatchObject({ verdict: 'forged', reason: expect.stringMatching(/carries no raw transaction/) });
      expect((await verifyDeposit(bare, chainOf(205), 6, { acceptUnproven: true, custody: TEST_CUSTODY })).verdict).toBe('valid');
    });

    it('refuses an honest deposit\u2019s event with another amount, recipient, max fee, vout, kind or a raw tx of another txid', () => {
      for (const kind of ['op_return', 'taproot'] as const) {
        const d = confirmedDeposit({ amountSats: 40_000n, recipient: freshRecipient(), vout: 1, kind });
        const refused = (e: DepositConfirmed, why: RegExp | string) => expect(checkDepositPayment(e, strict)).toMatchObject({ ok: false, reason: expect.stringMatching(why) });
        refused({ ...d, amountSats: '40001' }, 'output 1 pays 40000 sat, the event says 40001');
        refused({ ...d, recipient: freshRecipient() }, /names recipient/);
        refused({ ...d, vout: 7 }, /has no output 7/);
        refused({ ...d, vout: 0 }, /pays 5000 sat/);
        refused({ ...d, txid: randomTxid() }, /raw transaction is [0-9a-f]{64}, the event names/);
        refused({ ...d, rawTx: '00ff' }, /raw transaction does not parse/);
        if (kind === 'taproot') {
          refused({ ...d, maxFeeSats: '999' }, /caps the fee at 1000 sat, the event says 999/);
          refused({ ...d, kind: 'op_return' }, /not our custody script/);
          const { depositScript: _, ...noScripts } = d;
          refused(noScripts, /without its leaf scripts/);
          refused({ ...d, depositScript: d.reclaimScript! }, /leaf scripts are invalid/);
        } else {
          refused({ ...d, kind: 'taproot' }, /without its leaf scripts/);
        }
      }
    });

    it('refuses a deposit locked to a group key or custody script that is not ours, with both named', async () => {
      const taproot = confirmedDeposit({ amountSats: 30_000n, recipient: freshRecipient(), kind: 'taproot', foreignCustody: true, blockHeight: 200 });
      expect(checkDepositPayment(taproot, strict)).toEqual({
        ok: false, foreignCustody: true, reason: `the deposit leaf is locked to group key ${FOREIGN_GROUP_KEY}, not our custody key ${TEST_GROUP_KEY}`,
      });
      expect(await verifyDeposit(taproot, chainOf(205), 6, strict)).toMatchObject({ verdict: 'forged', foreignCustody: true });
      const simple = confirmedDeposit({ amountSats: 30_000n, recipient: freshRecipient(), kind: 'op_return', foreignCustody: true, vout: 1 });
      expect(checkDepositPayment(simple, strict)).toMatchObject({ ok: false, foreignCustody: true, reason: expect.stringMatching(`output 1 pays script [0-9a-f]+, not our custody script ${TEST_CUSTODY.scriptPubKey}`) });
      // The same deposits are fine for whoever holds that key: the check is the custody, nothing else.
      expect(checkDepositPayment(taproot, { ...strict, custody: { ...TEST_CUSTODY, groupKey: FOREIGN_GROUP_KEY } })).toEqual({ ok: true });
    });

    it('never throws on arbitrary raw transaction bytes: a clear refusal', () => {
      const d = confirmedDeposit({ amountSats: 10_000n, recipient: freshRecipient() });
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
          expect(checkDepositPayment({ ...d, rawTx: Buffer.from(bytes).toString('hex') }, strict).ok).toBe(false);
        }),
        { numRuns: 1_000 },
      );
    });
  });
});
