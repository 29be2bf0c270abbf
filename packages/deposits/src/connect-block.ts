import { DUST_LIMIT, bytesToHex, encodeTransactionHex, findOpReturnDeposit, hashToHex, hexToBytes, scanBlock, type Block } from '@tapbridge/bitcoin';
import { announceConfirmed } from './confirmations.js';
import type { DepositRules } from './config.js';
import { ChainOrderError } from './errors.js';
import { merkleBlockProver } from './merkle-block-proof.js';
import { spendPath } from './spend-path.js';
import { refreshStatus } from './status.js';
import type { DepositStoreTx } from './store.js';
import { outpointKey, type ChainBlock, type DepositRecord, type OutpointRef } from './types.js';

export interface BlockReport {
  /** `applied`; `already-applied` for a block the indexer holds already (a redelivery). */
  outcome: 'applied' | 'already-applied' | 'unknown-block';
  depositOutputs: number;
  depositSpends: number;
  custodyCreated: number;
  custodySpent: number;
  /** Sightings that reached the confirmation depth at this tip and were announced. */
  announced: number;
}

export const emptyReport = (outcome: BlockReport['outcome']): BlockReport => ({
  outcome,
  depositOutputs: 0,
  depositSpends: 0,
  custodyCreated: 0,
  custodySpent: 0,
  announced: 0,
});

/**
 * Applies a verified block that extends the indexer's chain: records every registered deposit output and
 * simple-form deposit it pays, every deposit it spends (and through which leaf), and its changes to the custody
 * UTXO set, all keyed by its hash; then announces whatever the new tip confirms. Transactions are walked in
 * block order, so an output created and spent in the same block is seen both times.
 */
export async function applyConnectedBlock(tx: DepositStoreTx, rules: DepositRules, ref: ChainBlock, block: Block): Promise<BlockReport> {
  if (await tx.getBlock(ref.hash)) return emptyReport('already-applied');
  const tip = await tx.tip();
  if (tip && (tip.hash !== ref.prevHash || tip.height + 1 !== ref.height))
    throw new ChainOrderError(`block ${ref.hash} at ${ref.height} does not extend the indexer's tip ${tip.hash} at ${tip.height}`);
  await tx.putBlock(ref);
  const report = emptyReport('applied');
  const at = { blockHash: ref.hash, blockHeight: ref.height };

  const custodyHex = bytesToHex(rules.custodyScriptPubKey);
  const watch = await tx.watchedScriptPubKeys();
  watch.add(custodyHex);
  const outputsByTx = new Map<number, ReturnType<typeof scanBlock>>();
  for (const found of scanBlock(block, watch)) {
    const list = outputsByTx.get(found.txIndex) ?? [];
    list.push(found);
    outputsByTx.set(found.txIndex, list);
  }

  // Prevouts of every input, looked up in one go; outputs created earlier in this block are added as we walk.
  const prevouts: OutpointRef[][] = block.txs.map((t, i) => (i === 0 ? [] : t.inputs.map((input) => ({ txid: hashToHex(input.prevout.txid), vout: input.prevout.vout }))));
  const all = prevouts.flat();
  const deposits = new Map((await tx.findDeposits(all)).map((d) => [outpointKey(d), d]));
  const custody = new Set((await tx.findUnspentCustody(all)).map(outpointKey));
  const touched = new Map<string, DepositRecord>();
  let prover: ((index: number) => Uint8Array) | undefined;
  const proofFor = (txIndex: number): string => bytesToHex((prover ??= merkleBlockProver(hexToBytes(ref.header), block.txs.map((t) => t.txid)))(txIndex));

  for (let t = 0; t < block.txs.length; t++) {
    const transaction = block.txs[t]!;
    let spendsCustody = false;
    let txid: string | undefined;
    for (let i = 0; i < prevouts[t]!.length; i++) {
      const key = outpointKey(prevouts[t]![i]!);
      const deposit = deposits.get(key);
      if (deposit) {
        txid ??= hashToHex(transaction.txid);
        await tx.putSighting({ kind: 'spend', txid: deposit.txid, vout: deposit.vout, ...at, spendTxid: txid, path: spendPath(transaction.inputs[i]!.witness, deposit), announced: false });
        touched.set(key, deposit);
        report.depositSpends++;
      }
      if (custody.has(key)) {
        txid ??= hashToHex(transaction.txid);
        await tx.spendCustodyUtxo(prevouts[t]![i]!, ref.hash, txid);
        custody.delete(key);
        spendsCustody = true;
        report.custodySpent++;
      }
    }
    const found = outputsByTx.get(t);
    if (!found) continue;
    let paysCustody = false;
    for (const out of found) {
      const key = outpointKey(out);
      if (out.scriptPubKey === custodyHex) {
        await tx.putCustodyUtxo({ txid: out.txid, vout: out.vout, amountSats: out.value, ...at });
        custody.add(key);
        paysCustody = true;
        report.custodyCreated++;
        continue;
      }
      const deposit = await tx.getDeposit(out);
      // A payment to a deposit address at an outpoint nobody registered is not a deposit (yet): registration names the outpoint.
      if (!deposit || deposit.kind !== 'taproot' || deposit.scriptPubKey !== out.scriptPubKey) continue;
      await tx.putSighting({ kind: 'output', txid: out.txid, vout: out.vout, ...at, txIndex: t, merkleProof: proofFor(t), rawTx: encodeTransactionHex(transaction, { witness: false }), announced: false });
      deposits.set(key, deposit);
      touched.set(key, deposit);
      report.depositOutputs++;
    }
    // The simple form: a payment to the custody address with an OP_RETURN recipient. The signers' own
    // transactions (which spend custody) are never deposits.
    if (!paysCustody || spendsCustody) continue;
    const simple = findOpReturnDeposit(transaction.outputs, rules.custodyScriptPubKey);
    if (!simple || simple.value < DUST_LIMIT) continue;
    const simpleRef = { txid: found[0]!.txid, vout: simple.vout };
    let deposit = await tx.getDeposit(simpleRef);
    if (!deposit) {
      deposit = {
        ...simpleRef,
        kind: 'op_return',
        scriptPubKey: custodyHex,
        amountSats: simple.value,
        recipient: simple.recipient,
        maxFeeSats: simpleFormMaxFee(simple.value, rules.opReturnMaxFeeSats),
        status: 'registered',
      };
      await tx.insertDeposit(deposit);
    }
    await tx.putSighting({ kind: 'output', ...simpleRef, ...at, txIndex: t, merkleProof: proofFor(t), rawTx: encodeTransactionHex(transaction, { witness: false }), announced: false });
    deposits.set(outpointKey(simpleRef), deposit);
    touched.set(outpointKey(simpleRef), deposit);
    report.depositOutputs++;
  }

  for (const deposit of touched.values()) await refreshStatus(tx, deposit, deposit.status, { ...at, detail: `${deposit.kind === 'op_return' ? 'simple-form deposit ' : ''}in block ${ref.height}` });
  report.announced = await announceConfirmed(tx, ref, rules.confirmations);
  return report;
}

/** The simple form states no fee cap: the signers may take up to the configured cap, always leaving at least dust. */
export function simpleFormMaxFee(amount: bigint, cap: bigint): bigint {
  const room = amount - DUST_LIMIT;
  return room < cap ? (room < 0n ? 0n : room) : cap;
}
