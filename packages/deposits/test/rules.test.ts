// The deposit rules over the in-memory store, on synthetic blocks: sightings, confirmations, reorgs, spends,
// the simple form, the custody UTXO set, and refusal of a block that is not the validated one.
import { describe, expect, it } from 'vitest';
import { bytesToHex, buildOpReturnDepositScript, decodeTransaction, encodeTransaction, hashToHex, hexToBytes, verifyMerkleBlockProof } from '@tapbridge/bitcoin';
import { BlockMismatchError, ChainOrderError, DepositIndexer, buildMerkleBlockProof, InMemoryDepositStore, type DepositRules } from '../src/index.js';
import { CUSTODY_SPK, GROUP_KEY, RECIPIENT, mineBlock, payment, spend, testDeposit, txidOf, type MinedBlock } from '../src/testing/index.js';

function setup(confirmations: number) {
  const store = new InMemoryDepositStore();
  const rules: DepositRules = { confirmations, groupKey: GROUP_KEY, custodyScriptPubKey: CUSTODY_SPK, opReturnMaxFeeSats: 2_000n };
  return { store, indexer: new DepositIndexer(store, rules) };
}

/** A paid, registered deposit: the funding tx is known to the "source" but not yet mined. */
async function registeredDeposit(indexer: DepositIndexer, amount = 50_000n) {
  const d = testDeposit();
  const fund = payment([{ value: 7_000n, scriptPubKey: Uint8Array.of(0x51) }, { value: amount, scriptPubKey: d.scriptPubKey }]);
  const request = { txid: txidOf(fund), vout: 1, depositScript: bytesToHex(d.depositLeaf.script), reclaimScript: bytesToHex(d.reclaimLeaf.script) };
  const result = await indexer.register(request, { rawTx: encodeTransaction(fund) });
  return { d, fund, request, result, ref: { txid: request.txid, vout: 1 } };
}

async function connect(indexer: DepositIndexer, block: MinedBlock) {
  return indexer.connectBlock(block.ref, block.raw);
}

const events = (store: InMemoryDepositStore, subject?: string) => store.outbox.filter((e) => subject === undefined || e.subject === subject);

describe('taproot deposits', () => {
  it('registered → seen → confirmed at the threshold, announced once with amount, recipient, fee and a merkle proof', async () => {
    const { store, indexer } = setup(3);
    const { fund, request, result, ref } = await registeredDeposit(indexer);
    expect(result.created).toBe(true);
    expect(result.deposit.status).toBe('registered');

    const b1 = mineBlock(undefined, [payment([{ value: 1n, scriptPubKey: Uint8Array.of(0x51) }]), fund]);
    expect((await connect(indexer, b1)).depositOutputs).toBe(1);
    expect(store.deposit(ref)?.status).toBe('seen');
    const b2 = mineBlock(b1.ref, []);
    await connect(indexer, b2);
    expect(events(store)).toHaveLength(0);
    const b3 = mineBlock(b2.ref, []);
    await connect(indexer, b3);
    // Redelivery of the tip and a later block announce nothing new.
    expect((await connect(indexer, b3)).outcome).toBe('already-applied');
    await connect(indexer, mineBlock(b3.ref, []));

    const confirmed = events(store, 'deposit.confirmed');
    expect(confirmed).toHaveLength(1);
    const p = confirmed[0]!.payload as Record<string, unknown>;
    expect(p).toMatchObject({ txid: ref.txid, vout: 1, amountSats: '50000', recipient: RECIPIENT, maxFeeSats: '1000', blockHash: b1.ref.hash, blockHeight: b1.ref.height, confirmations: 3, kind: 'taproot' });
    expect(confirmed[0]!.id).toBe(`deposit.confirmed:${ref.txid}:1:${b1.ref.hash}`);
    const proof = verifyMerkleBlockProof(p.merkleProof as string);
    expect(hashToHex(proof.blockHash)).toBe(b1.ref.hash);
    expect(proof.matches.map((m) => [m.index, hashToHex(m.txid)])).toEqual([[2, ref.txid]]);
    // What the gateway checks the proven txid against: the transaction itself and the registered leaf scripts.
    const raw = decodeTransaction(p.rawTx as string);
    expect(hashToHex(raw.txid)).toBe(ref.txid);
    expect(raw.outputs[1]!.value).toBe(50_000n);
    expect(p).toMatchObject({ depositScript: request.depositScript, reclaimScript: request.reclaimScript });
    expect(store.history(ref).map((h) => h.status)).toEqual(['registered', 'seen', 'confirmed']);
  });

  it('with one confirmation required, confirms in the block that carries it', async () => {
    const { store, indexer } = setup(1);
    const { fund, ref } = await registeredDeposit(indexer);
    const b1 = mineBlock(undefined, [fund]);
    expect((await connect(indexer, b1)).announced).toBe(1);
    expect(store.deposit(ref)?.status).toBe('confirmed');
    expect(events(store, 'deposit.confirmed')[0]!.payload).toMatchObject({ confirmations: 1, blockHash: b1.ref.hash });
  });

  it('a reorg before the threshold drops it without an event; re-mined elsewhere it confirms there', async () => {
    const { store, indexer } = setup(2);
    const { fund, ref } = await registeredDeposit(indexer);
    const b0 = mineBlock(undefined, []);
    await connect(indexer, b0);
    const b1 = mineBlock(b0.ref, [fund]);
    await connect(indexer, b1);
    expect((await indexer.disconnectBlock(b1.ref)).depositOutputs).toBe(1);
    expect(store.deposit(ref)?.status).toBe('dropped');
    expect(store.tipBlock()?.hash).toBe(b0.ref.hash);
    const b1b = mineBlock(b0.ref, [], 1);
    await connect(indexer, b1b);
    const b2b = mineBlock(b1b.ref, [fund]);
    await connect(indexer, b2b);
    await connect(indexer, mineBlock(b2b.ref, []));
    expect(events(store).map((e) => e.id)).toEqual([`deposit.confirmed:${ref.txid}:1:${b2b.ref.hash}`]);
    expect(store.history(ref).map((h) => h.status)).toEqual(['registered', 'seen', 'dropped', 'seen', 'confirmed']);
  });

  it('a reorg after the threshold emits deposit.reorged', async () => {
    const { store, indexer } = setup(2);
    const { fund, ref } = await registeredDeposit(indexer);
    const b1 = mineBlock(undefined, [fund]);
    await connect(indexer, b1);
    const b2 = mineBlock(b1.ref, []);
    await connect(indexer, b2);
    expect(store.deposit(ref)?.status).toBe('confirmed');
    await indexer.disconnectBlock(b2.ref);
    expect(store.deposit(ref)?.status).toBe('confirmed');
    await indexer.disconnectBlock(b1.ref);
    expect(store.deposit(ref)?.status).toBe('reorged');
    expect(events(store).map((e) => e.subject)).toEqual(['deposit.confirmed', 'deposit.reorged']);
    expect(events(store, 'deposit.reorged')[0]!.payload).toMatchObject({ txid: ref.txid, vout: 1, blockHash: b1.ref.hash, amountSats: '50000', recipient: RECIPIENT });
  });

  it('the same block leaving and rejoining the best chain re-announces with a counter: distinct event ids each time', async () => {
    const { store, indexer } = setup(2);
    const { fund, ref } = await registeredDeposit(indexer);
    const b1 = mineBlock(undefined, [fund]);
    const b2 = mineBlock(b1.ref, []);
    const cycle = async () => {
      await connect(indexer, b1);
      await connect(indexer, b2);
      await indexer.disconnectBlock(b2.ref);
      await indexer.disconnectBlock(b1.ref);
    };
    await cycle(); // confirmed, reorged
    await cycle(); // confirmed again in b1 (reconsiderblock), reorged again
    await connect(indexer, b1);
    await connect(indexer, b2); // and confirmed a third time
    const base = `${ref.txid}:1:${b1.ref.hash}`;
    expect(events(store).map((e) => e.id)).toEqual([
      `deposit.confirmed:${base}`, `deposit.reorged:${base}`,
      `deposit.confirmed:${base}:1`, `deposit.reorged:${base}:1`,
      `deposit.confirmed:${base}:2`,
    ]);
    expect(events(store, 'deposit.confirmed')[2]!.payload).toMatchObject({ reconfirmation: 2, blockHash: b1.ref.hash });
    expect(store.deposit(ref)?.status).toBe('confirmed');
  });

  it('classifies spends by the executed leaf: reclaim → deposit.reclaimed, deposit leaf → deposit.swept; undone with their block', async () => {
    const { store, indexer } = setup(1);
    const a = await registeredDeposit(indexer);
    const b = await registeredDeposit(indexer, 60_000n);
    const b1 = mineBlock(undefined, [a.fund, b.fund]);
    await connect(indexer, b1);
    const reclaim = spend(a.ref, [new Uint8Array(64), a.d.reclaimLeaf.script, a.d.reclaimLeaf.controlBlock], 10);
    const sweep = spend(b.ref, [new Uint8Array(64), b.d.depositLeaf.script, b.d.depositLeaf.controlBlock]);
    const b2 = mineBlock(b1.ref, [reclaim, sweep]);
    expect((await connect(indexer, b2)).depositSpends).toBe(2);
    expect(store.deposit(a.ref)?.status).toBe('reclaimed');
    expect(store.deposit(b.ref)?.status).toBe('swept');
    expect(events(store, 'deposit.reclaimed').map((e) => e.payload)).toEqual([{ txid: a.ref.txid, vout: 1, spendTxid: txidOf(reclaim), blockHash: b2.ref.hash, blockHeight: b2.ref.height }]);
    expect(events(store, 'deposit.swept').map((e) => e.payload)).toEqual([{ txid: b.ref.txid, vout: 1, sweepTxid: txidOf(sweep), blockHash: b2.ref.hash, blockHeight: b2.ref.height }]);
    await indexer.disconnectBlock(b2.ref);
    expect(store.deposit(a.ref)?.status).toBe('confirmed');
    expect(store.deposit(b.ref)?.status).toBe('confirmed');
    expect(store.history(a.ref).map((h) => h.status)).toEqual(['registered', 'seen', 'confirmed', 'reclaimed', 'reclaimed', 'confirmed']);
  });

  it('sees an output created and spent in the same block', async () => {
    const { store, indexer } = setup(1);
    const a = await registeredDeposit(indexer);
    const reclaim = spend(a.ref, [new Uint8Array(64), a.d.reclaimLeaf.script, a.d.reclaimLeaf.controlBlock]);
    await connect(indexer, mineBlock(undefined, [a.fund, reclaim]));
    expect(store.deposit(a.ref)?.status).toBe('reclaimed');
    expect(events(store).map((e) => e.subject)).toEqual(['deposit.confirmed', 'deposit.reclaimed']);
  });
});

describe('simple-form deposits and the custody UTXO set', () => {
  it('recognises custody payment + OP_RETURN recipient, tracks custody outputs and their spends, and undoes them', async () => {
    const { store, indexer } = setup(1);
    const recipient = '0x' + '12'.repeat(20);
    const simple = payment([{ value: 30_000n, scriptPubKey: CUSTODY_SPK }, { value: 0n, scriptPubKey: buildOpReturnDepositScript({ recipient }) }]);
    const plain = payment([{ value: 5_000n, scriptPubKey: CUSTODY_SPK }]);
    const b1 = mineBlock(undefined, [simple, plain]);
    const r1 = await connect(indexer, b1);
    expect(r1).toMatchObject({ depositOutputs: 1, custodyCreated: 2 });
    const ref = { txid: txidOf(simple), vout: 0 };
    expect(store.deposit(ref)).toMatchObject({ kind: 'op_return', amountSats: 30_000n, recipient, maxFeeSats: 2_000n, status: 'confirmed' });
    const announced = events(store, 'deposit.confirmed')[0]!.payload as Record<string, unknown>;
    expect(announced).toMatchObject({ kind: 'op_return', amountSats: '30000', recipient });
    expect(hashToHex(decodeTransaction(announced.rawTx as string).txid)).toBe(ref.txid);
    expect(announced.depositScript).toBeUndefined();
    expect(store.unspentCustody().map((u) => u.amountSats).sort()).toEqual([30_000n, 5_000n].sort());

    // The signers' sweep: spends both custody outputs by key path, pays a new custody output. Not a deposit itself.
    const sweep = { ...spend(ref, [new Uint8Array(64)]), outputs: [{ value: 34_000n, scriptPubKey: CUSTODY_SPK }, { value: 0n, scriptPubKey: hexToBytes('6a0554420100ff') }] };
    sweep.inputs.push({ prevout: { txid: hexToBytes(txidOf(plain)).reverse(), vout: 0 }, scriptSig: new Uint8Array(0), sequence: 0xffffffff, witness: [new Uint8Array(64)] });
    const b2 = mineBlock(b1.ref, [sweep]);
    expect(await connect(indexer, b2)).toMatchObject({ depositSpends: 1, custodySpent: 2, custodyCreated: 1, depositOutputs: 0 });
    expect(store.deposit(ref)?.status).toBe('swept');
    expect(store.unspentCustody().map((u) => [u.txid, u.amountSats])).toEqual([[txidOf(sweep), 34_000n]]);
    await indexer.disconnectBlock(b2.ref);
    expect(store.unspentCustody()).toHaveLength(2);
    expect(store.deposit(ref)?.status).toBe('confirmed');
    await indexer.disconnectBlock(b1.ref);
    expect(store.unspentCustody()).toHaveLength(0);
    expect(store.deposit(ref)?.status).toBe('reorged');
  });

  it('ignores ambiguous or dust payments to custody as deposits, but still tracks them as custody outputs', async () => {
    const { store, indexer } = setup(1);
    const op = buildOpReturnDepositScript({ recipient: RECIPIENT });
    const twoMarkers = payment([{ value: 30_000n, scriptPubKey: CUSTODY_SPK }, { value: 0n, scriptPubKey: op }, { value: 0n, scriptPubKey: op }]);
    const dust = payment([{ value: 545n, scriptPubKey: CUSTODY_SPK }, { value: 0n, scriptPubKey: op }]);
    expect(await connect(indexer, mineBlock(undefined, [twoMarkers, dust]))).toMatchObject({ depositOutputs: 0, custodyCreated: 2 });
    expect(store.outbox).toHaveLength(0);
  });
});

describe('blocks that are not the validated block', () => {
  it('refuses an altered byte, another header, or a body the header does not commit to, recording nothing', async () => {
    const { store, indexer } = setup(1);
    const { fund, ref } = await registeredDeposit(indexer);
    const b1 = mineBlock(undefined, [fund]);
    const flipped = b1.raw.slice();
    flipped[flipped.length - 10]! ^= 1;
    await expect(indexer.connectBlock(b1.ref, flipped)).rejects.toMatchObject({ name: 'BlockMismatchError', code: 'commitment-mismatch' });
    const other = mineBlock(undefined, [fund], 5);
    await expect(indexer.connectBlock(b1.ref, other.raw)).rejects.toBeInstanceOf(BlockMismatchError);
    const truncated = b1.raw.subarray(0, b1.raw.length - 1);
    await expect(indexer.connectBlock(b1.ref, truncated)).rejects.toMatchObject({ code: 'unparseable' });
    expect(store.tipBlock()).toBeUndefined();
    expect(store.deposit(ref)?.status).toBe('registered');
  });

  it('refuses events out of chain order', async () => {
    const { indexer } = setup(1);
    const b1 = mineBlock(undefined, []);
    await connect(indexer, b1);
    const b2 = mineBlock(b1.ref, []);
    const b3 = mineBlock(b2.ref, []);
    await expect(connect(indexer, b3)).rejects.toBeInstanceOf(ChainOrderError);
    await connect(indexer, b2);
    await expect(indexer.disconnectBlock(b1.ref)).rejects.toBeInstanceOf(ChainOrderError);
    expect((await indexer.disconnectBlock(b3.ref)).outcome).toBe('unknown-block');
  });
});

describe('registration', () => {
  const d = testDeposit();
  const scripts = { depositScript: bytesToHex(d.depositLeaf.script), reclaimScript: bytesToHex(d.reclaimLeaf.script) };
  const fund = payment([{ value: 50_000n, scriptPubKey: d.scriptPubKey }, { value: 500n, scriptPubKey: d.scriptPubKey }]);
  const observed = { rawTx: encodeTransaction(fund) };
  const base = { txid: txidOf(fund), vout: 0, ...scripts };

  it('is idempotent and refuses other scripts for a registered outpoint', async () => {
    const { indexer } = setup(1);
    expect((await indexer.register(base, observed)).created).toBe(true);
    const again = await indexer.register(base, observed);
    expect(again.created).toBe(false);
    expect(again.deposit).toMatchObject({ status: 'registered', amountSats: 50_000n, maxFeeSats: 1_000n, recipient: RECIPIENT, lockBlocks: 10 });
    const other = testDeposit(2_000n);
    await expect(indexer.register({ ...base, depositScript: bytesToHex(other.depositLeaf.script) }, observed)).rejects.toMatchObject({ code: 'script-mismatch' });
  });

  it.each([
    ['bad-deposit-script', { depositScript: scripts.depositScript.slice(0, -2) + 'ad' }, /^deposit leaf: /],
    ['bad-reclaim-script', { reclaimScript: '00' + scripts.reclaimScript.slice(2) }, /^reclaim leaf: /],
    ['output-not-found', { vout: 2 }, /has 2 outputs; output 2 does not exist/],
    ['dust', { vout: 1 }, /500 sat, below the 546 sat dust limit/],
  ] as const)('rejects %s', async (code, change, message) => {
    const { indexer } = setup(1);
    await expect(indexer.register({ ...base, ...change }, observed)).rejects.toMatchObject({ name: 'DepositRegistrationError', code, message: expect.stringMatching(message) });
  });

  it('rejects a deposit leaf naming another group key, and a max fee not below the amount', async () => {
    const { indexer } = setup(1);
    const foreign = testDeposit();
    const { depositScript } = { depositScript: bytesToHex(foreign.depositLeaf.script).replace(bytesToHex(GROUP_KEY), bytesToHex(CUSTODY_SPK.subarray(2))) };
    await expect(indexer.register({ ...base, depositScript }, observed)).rejects.toMatchObject({ code: 'wrong-group-key' });
    const greedy = testDeposit(50_000n);
    const tx = payment([{ value: 50_000n, scriptPubKey: greedy.scriptPubKey }]);
    await expect(
      indexer.register({ txid: txidOf(tx), vout: 0, depositScript: bytesToHex(greedy.depositLeaf.script), reclaimScript: bytesToHex(greedy.reclaimLeaf.script) }, { rawTx: encodeTransaction(tx) }),
    ).rejects.toMatchObject({ code: 'max-fee-not-below-amount' });
  });

  it('registered after it was mined: seen in that block through the merkle block, confirmed at once when deep enough', async () => {
    const { store, indexer } = setup(2);
    const b1 = mineBlock(undefined, [fund]);
    await connect(indexer, b1);
    await connect(indexer, mineBlock(b1.ref, []));
    const merkleBlock = buildMerkleBlockProof(hexToBytes(b1.ref.header), b1.txids.map((t) => hexToBytes(t).reverse()), 1);
    const r = await indexer.register(base, { ...observed, merkleBlock });
    expect(r.deposit.status).toBe('confirmed');
    expect(events(store, 'deposit.confirmed')[0]!.payload).toMatchObject({ blockHash: b1.ref.hash, confirmations: 2 });
    // A proof for a block the indexer does not hold changes nothing.
    const { indexer: fresh } = setup(2);
    expect((await fresh.register(base, { ...observed, merkleBlock })).deposit.status).toBe('registered');
  });
});
