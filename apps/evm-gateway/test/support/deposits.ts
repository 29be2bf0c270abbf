// deposit.* events as the deposit-indexer would publish them, with control over Nats-Msg-Id for redelivery tests.
import { randomBytes } from 'node:crypto';
import {
  buildDepositScript, buildOpReturnDepositScript, buildReclaimScript, decodeTransaction, depositTaprootOutput, encodeTransactionHex, hashToHex,
  bytesToHex, p2trScriptPubKey, type TxOutput,
} from '@tapbridge/bitcoin';
import { depositConfirmed, depositReorged, encodeEvent, validatePayload, type EventDefinition, type EventPayload, type Messaging } from '@tapbridge/messaging';
import { Wallet } from 'ethers';
import { FOREIGN_CUSTODY_SCRIPT, FOREIGN_GROUP_KEY, TEST_CUSTODY_SCRIPT, TEST_GROUP_KEY } from './custody.js';
import { makeBlock, setBlock } from './headers.js';

export type DepositConfirmed = EventPayload<typeof depositConfirmed>;

export function randomTxid(): string {
  return randomBytes(32).toString('hex');
}

/** A fresh L2 address with no history, so its balance is exactly what was minted to it. */
export function freshRecipient(): string {
  return Wallet.createRandom().address;
}

/** A valid x-only key for the made-up reclaim leaf. */
const SOME_KEY = Buffer.from(TEST_GROUP_KEY, 'hex');
const MAX_FEE = 1_000n;

/** An output to a random P2TR key: someone's ordinary payment. */
const randomOutput = (value: bigint): TxOutput => ({ value, scriptPubKey: p2trScriptPubKey(randomBytes(32)) });

/** A made-up transaction (one random input) with these outputs: its raw hex and txid. */
export function makeTransaction(outputs: TxOutput[]): { rawTx: string; txid: string } {
  const rawTx = encodeTransactionHex({
    version: 2,
    inputs: [{ prevout: { txid: randomBytes(32), vout: 0 }, scriptSig: new Uint8Array(0), sequence: 0xffffffff, witness: [] }],
    outputs,
    locktime: 0,
  });
  return { rawTx, txid: hashToHex(decodeTransaction(rawTx).txid) };
}

/**
 * The deposit transaction the event describes: output `vout` pays the amount (other outputs: change), locked to our
 * test custody (support/custody.ts), or to someone else's when `foreign`.
 */
function depositTransaction(kind: 'op_return' | 'taproot', amountSats: bigint, recipient: string, vout: number, foreign: boolean) {
  const change = Array.from({ length: vout }, () => randomOutput(5_000n));
  if (kind === 'op_return') {
    const custody = Buffer.from(foreign ? FOREIGN_CUSTODY_SCRIPT : TEST_CUSTODY_SCRIPT, 'hex');
    const outputs = [...change, { value: amountSats, scriptPubKey: custody }, { value: 0n, scriptPubKey: buildOpReturnDepositScript({ recipient }) }];
    return { ...makeTransaction(outputs), kind };
  }
  const groupKey = Buffer.from(foreign ? FOREIGN_GROUP_KEY : TEST_GROUP_KEY, 'hex');
  const depositScript = buildDepositScript({ maxFee: MAX_FEE, recipient, groupKey });
  const reclaimScript = buildReclaimScript({ lockBlocks: 144, depositorKey: SOME_KEY });
  const outputs = [...change, { value: amountSats, scriptPubKey: depositTaprootOutput(depositScript, reclaimScript).scriptPubKey }];
  return { ...makeTransaction(outputs), kind, depositScript: bytesToHex(depositScript), reclaimScript: bytesToHex(reclaimScript) };
}

/**
 * A deposit.confirmed as the indexer would publish it: a made-up deposit transaction (raw hex included) in a made-up
 * Bitcoin block that the fake header-watcher (support/headers.ts) holds on its best chain, with a valid merkle proof.
 * With `txid`: an event naming that txid, without a raw transaction (forgeries). With `foreignCustody`: a real deposit,
 * but locked to someone else's group key (taproot) or paying someone else's custody script (op_return).
 */
export function confirmedDeposit(o: {
  amountSats: bigint; recipient: string; txid?: string; vout?: number; blockHeight?: number; kind?: 'op_return' | 'taproot'; foreignCustody?: boolean;
}): DepositConfirmed {
  const vout = o.vout ?? 0;
  const tx = o.txid === undefined
    ? depositTransaction(o.kind ?? 'op_return', o.amountSats, o.recipient, vout, o.foreignCustody ?? false)
    : { txid: o.txid, kind: o.kind ?? 'op_return' };
  const blockHeight = o.blockHeight ?? 120;
  return {
    ...tx,
    vout,
    amountSats: o.amountSats.toString(),
    recipient: o.recipient,
    maxFeeSats: MAX_FEE.toString(),
    ...makeBlock(tx.txid, blockHeight),
    blockHeight,
    confirmations: 6,
  };
}

/** Someone's ordinary payment (no deposit) in a made-up block the fake watcher holds: its txid, raw hex and block. */
export function confirmedPayment(blockHeight = 120): { txid: string; rawTx: string; blockHash: string; merkleProof: string; blockHeight: number } {
  const tx = makeTransaction([randomOutput(21_000n), randomOutput(3_000n)]);
  return { ...tx, ...makeBlock(tx.txid, blockHeight), blockHeight };
}

/** The same deposit confirmed in another (made-up, valid) block, as after a reorg. */
export function inAnotherBlock(d: DepositConfirmed, blockHeight: number): DepositConfirmed {
  return { ...d, ...makeBlock(d.txid, blockHeight), blockHeight };
}

/**
 * Publishes straight to JetStream. `msgId` defaults to the event id (what the outbox relay uses); a different one
 * defeats JetStream's duplicate window, so the same event is stored, and delivered, again.
 */
export async function publishEvent<E extends EventDefinition>(messaging: Messaging, event: E, payload: EventPayload<E>, msgId?: string): Promise<number> {
  const valid = validatePayload(event, payload);
  const id = event.id(valid);
  const { data, headers } = encodeEvent({ id, subject: event.subject, version: event.version, payload: valid });
  const ack = await messaging.js.publish(messaging.naming.subject(event.subject), data, { msgID: msgId ?? id, headers });
  return ack.seq;
}

/** The deposit.reorged of `d`'s block; the fake header-watcher takes that block off its best chain first. */
export function reorgedDeposit(d: DepositConfirmed): EventPayload<typeof depositReorged> {
  setBlock(d.blockHash, { inBest: false });
  return { txid: d.txid, vout: d.vout, blockHash: d.blockHash, blockHeight: d.blockHeight, amountSats: d.amountSats, recipient: d.recipient };
}
