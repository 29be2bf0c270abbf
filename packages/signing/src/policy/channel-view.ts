// The signer's channel view: the channel ledger as the channel service (the L2 side of channels) serves it on
// rpc.channels.ledger.get. Until channel credits are L2 system transactions (issue 12 README "Not done"), this
// service's Postgres ledger IS the L2's record of executed channel states; the answer is validated here.
import { decodeChannelParams } from '@tapbridge/channels';
import { request, type Messaging } from '@tapbridge/messaging';
import { z } from 'zod';
import type { ChannelRecord, ChannelView } from './channel.js';

const sats = z.string().regex(/^(0|[1-9][0-9]{0,18})$/);
const ledgerSchema = z.object({
  channelId: z.string(),
  status: z.string(),
  params: z.unknown(),
  executed: z.array(z.object({ stateNumber: z.number().int().min(0), userSats: sats, custodySats: sats, kind: z.string(), amountSats: sats }).passthrough()),
}).passthrough();

export class RpcChannelView implements ChannelView {
  constructor(private readonly o: { messaging: Messaging; timeoutMs?: number }) {}

  async channel(channelId: string): Promise<ChannelRecord | undefined> {
    let answer: z.infer<typeof ledgerSchema>;
    try {
      answer = await request(this.o.messaging, 'channels.ledger.get', { channelId }, { response: ledgerSchema, timeoutMs: this.o.timeoutMs ?? 5_000 });
    } catch (err) {
      if ((err as { code?: string }).code === 'not_found') return undefined;
      throw err;
    }
    if (answer.channelId !== channelId) throw new Error(`the channel service answered for ${answer.channelId}, not ${channelId}`);
    const executed = new Map<number, { user: bigint; custody: bigint }>();
    for (const e of answer.executed) {
      if (executed.has(e.stateNumber)) throw new Error(`the ledger of ${channelId} lists state ${e.stateNumber} twice`);
      executed.set(e.stateNumber, { user: BigInt(e.userSats), custody: BigInt(e.custodySats) });
    }
    return { params: decodeChannelParams(answer.params), executed };
  }
}
