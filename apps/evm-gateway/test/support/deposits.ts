// deposit.* events as the deposit-indexer would publish them, with control over Nats-Msg-Id for redelivery tests.
import { randomBytes } from 'node:crypto';
import { depositConfirmed, depositReorged, encodeEvent, validatePayload, type EventDefinition, type EventPayload, type Messaging } from '@tapbridge/messaging';
import { Wallet } from 'ethers';

export type DepositConfirmed = EventPayload<typeof depositConfirmed>;

export function randomTxid(): string {
  return randomBytes(32).toString('hex');
}

/** A fresh L2 address with no history, so its balance is exactly what was minted to it. */
export function freshRecipient(): string {
  return Wallet.createRandom().address;
}

export function confirmedDeposit(o: { amountSats: bigint; recipient: string; txid?: string; vout?: number; blockHash?: string }): DepositConfirmed {
  return {
    txid: o.txid ?? randomTxid(),
    vout: o.vout ?? 0,
    amountSats: o.amountSats.toString(),
    recipient: o.recipient,
    maxFeeSats: '1000',
    blockHash: o.blockHash ?? randomBytes(32).toString('hex'),
    blockHeight: 120,
    confirmations: 1,
    merkleProof: randomBytes(64).toString('hex'),
    kind: 'op_return',
  };
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

export function reorgedDeposit(d: DepositConfirmed): EventPayload<typeof depositReorged> {
  return { txid: d.txid, vout: d.vout, blockHash: d.blockHash, blockHeight: d.blockHeight, amountSats: d.amountSats, recipient: d.recipient };
}
