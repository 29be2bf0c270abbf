// Fuzz tests for what the deposit indexer takes from outside: registrations (the REST body's scripts and vout,
// checked against the transaction a chain source returned, with the source's merkle block) must be refused with a
// DepositRegistrationError, never another exception. The transaction bytes stay valid here: packages/chain-source
// has already checked that they decode and hash to the txid asked for (its own fuzz tests cover that). And every merkle block the prover builds is one
// packages/bitcoin's parser accepts for exactly the index asked, for any block shape.
// FUZZ_RUNS scales the iterations; FUZZ_SEED / FUZZ_PATH replay a failure.
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { MerkleError, bytesToHex, computeMerkleRoot, encodeTransaction, hashToHex, verifyMerkleBlockProof } from '@tapbridge/bitcoin';
import { FUZZ_TIMEOUT_MS, fuzzParams, mutatedBytes, onlyErrorsAsync } from '../../testing/src/fuzz.js';
import { DepositIndexer, DepositRegistrationError, InMemoryDepositStore, merkleBlockProver, type DepositRules } from '../src/index.js';
import { CUSTODY_SPK, GROUP_KEY, mineBlock, payment, testDeposit, txidOf } from '../src/testing/index.js';

// Fuzzing is CPU-bound: on a loaded shared machine a property can take minutes (no timing is asserted).
vi.setConfig({ testTimeout: FUZZ_TIMEOUT_MS });

const rules: DepositRules = { confirmations: 2, groupKey: GROUP_KEY, custodyScriptPubKey: CUSTODY_SPK, opReturnMaxFeeSats: 1_000n };

describe('fuzz: deposit registrations', () => {
  const d = testDeposit();
  const fund = payment([{ value: 40_000n, scriptPubKey: d.scriptPubKey }]);
  const rawTx = encodeTransaction(fund);
  const block = mineBlock(undefined, [fund]);
  const request = { txid: txidOf(fund), vout: 0, depositScript: bytesToHex(d.depositLeaf.script), reclaimScript: bytesToHex(d.reclaimLeaf.script) };

  it('the unmutated registration is accepted (the corpus is valid)', async () => {
    const indexer = new DepositIndexer(new InMemoryDepositStore(), rules);
    expect((await indexer.register(request, { rawTx })).created).toBe(true);
  });

  it('mutated scripts, vouts and merkle blocks give DepositRegistrationError or a registration', async () => {
    const merkle = merkleBlockProver(block.raw.subarray(0, 80), [Buffer.from(txidOf(fund), 'hex').reverse()])(0);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.constant(d.depositLeaf.script), mutatedBytes([d.depositLeaf.script], 3, 200)),
        fc.oneof(fc.constant(d.reclaimLeaf.script), mutatedBytes([d.reclaimLeaf.script], 3, 200)),
        fc.option(fc.oneof(fc.constant(merkle), mutatedBytes([merkle], 2, 2_000)), { nil: undefined }),
        fc.oneof(fc.nat({ max: 3 }), fc.integer(), fc.double()),
        async (depositScript, reclaimScript, merkleBlock, vout) => {
          const indexer = new DepositIndexer(new InMemoryDepositStore(), rules);
          const r = { ...request, vout, depositScript: bytesToHex(depositScript), reclaimScript: bytesToHex(reclaimScript) };
          await onlyErrorsAsync(() => indexer.register(r, { rawTx, ...(merkleBlock ? { merkleBlock } : {}) }), [DepositRegistrationError]);
        },
      ),
      fuzzParams(800),
    );
  });
});

describe('fuzz: merkle blocks the prover builds', () => {
  it('parse back to the header, the block size and exactly the proven txid, for any block size and index', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 120 }).chain((n) => fc.tuple(fc.constant(n), fc.nat({ max: n - 1 }), fc.uint8Array({ minLength: 80, maxLength: 80 }))), ([n, index, header]) => {
        const txids = Array.from({ length: n }, (_, i) => {
          const t = new Uint8Array(32);
          new DataView(t.buffer).setUint32(0, i + 1);
          return t;
        });
        // Random header fields around the real merkle root of these txids.
        const withRoot = header.slice();
        withRoot.set(computeMerkleRoot(txids).root, 36);
        const prove = merkleBlockProver(withRoot, txids);
        const parsed = verifyMerkleBlockProof(prove(index));
        expect(parsed.txCount).toBe(n);
        expect(parsed.matches.map((m) => [m.index, hashToHex(m.txid)])).toEqual([[index, hashToHex(txids[index]!)]]);
        expect(() => prove(n)).toThrow(MerkleError);
        expect(() => prove(-1)).toThrow(MerkleError);
      }),
      fuzzParams(300),
    );
  });
});
