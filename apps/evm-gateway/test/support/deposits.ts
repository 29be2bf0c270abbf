// deposit.* events as the deposit-indexer would publish them, with control over Nats-Msg-Id for redelivery tests.
import { randomBytes } from 'node:crypto';
import { depositConfirmed, depositReorged, encodeEvent, validatePayload, type EventDefinition, type EventPayload, type Messaging } from '@tapbridge/messaging';
import { Wallet } from 'ethers';
import { makeBlock, setBlock } from './headers.js';

export type DepositConfirmed = EventPayload<typeof depositConfirmed>;

export function randomTxid(): string {
  return randomBytes(32).toString('hex');
}

/** A fresh L2 address with no history, so its balance is exactly what was minted to it. */
export function freshRecipient(): string {
  return Wallet.createRandom().address;
}

/**
 * A deposit.confirmed as the indexer would publish it: its txid in a made-up Bitcoin block that the fake header-watcher
 * (support/headers.ts) holds on its best chain, with a valid merkle proof.
 */
export function confirmedDeposit(o: { amountSats: bigint; recipient: string; txid?: string; vout?: number; blockHeight?: number }): DepositConfirmed {
  const txid = o.txid ?? randomTxid();
  const blockHeight = o.blockHeight ?? 120;
  return {
    txid,
    vout: o.vout ?? 0,
    amountSats: o.amountSats.toString(),
    recipient: o.recipient,
    maxFeeSats: '1000',
    ...makeBlock(txid, blockHeight),
    blockHeight,
    confirmations: 6,
    kind: 'op_return',
  };
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
