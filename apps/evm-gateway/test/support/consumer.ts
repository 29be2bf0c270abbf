import type { Messaging } from '@tapbridge/messaging';
import { waitFor } from '@tapbridge/testing';
import { MINT_CONSUMER } from '../../src/mint/deposit-minter.js';

/** Waits until the gateway's mint consumer has acked (or dead-lettered) everything on the DEPOSIT stream. */
export async function mintConsumerDrained(messaging: Messaging, timeoutMs = 20_000): Promise<void> {
  const stream = messaging.naming.stream('DEPOSIT');
  await waitFor(
    'the mint consumer to work through the DEPOSIT stream',
    async () => {
      const last = (await messaging.jsm.streams.info(stream)).state.last_seq;
      const info = await messaging.jsm.consumers.info(stream, MINT_CONSUMER);
      return info.ack_floor.stream_seq >= last && info.num_ack_pending === 0;
    },
    timeoutMs,
    50,
  );
}

/** Drops the durable, so the next start re-reads the whole stream from the beginning: every event redelivered. */
export async function deleteMintConsumer(messaging: Messaging): Promise<void> {
  await messaging.jsm.consumers.delete(messaging.naming.stream('DEPOSIT'), MINT_CONSUMER);
}
