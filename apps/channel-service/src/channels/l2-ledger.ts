// What the L2 made of a channel state's ledger call, asked of the sequencer (evm-gateway) over
// rpc.evm.system_call.get: the channel ledger's guard slot of `channel:<channelId>:<state>` says applied, refused
// (a burn beyond the balance) or nothing yet. The custody desk signs a return only once its burn is applied.
import type { L2Settlement } from '@tapbridge/channels';
import { request, type Messaging } from '@tapbridge/messaging';
import { z } from 'zod';

const answer = z.object({ id: z.string(), status: z.enum(['applied', 'refused', 'pending']) }).passthrough();

export class L2Ledger {
  constructor(private readonly o: { messaging: Messaging; rpcTimeoutMs: number; pollMs?: number }) {}

  async settled(channelId: string, stateNumber: number): Promise<L2Settlement> {
    const id = `channel:${channelId}:${stateNumber}`;
    const r = await request(this.o.messaging, 'evm.system_call.get', { id }, { response: answer, timeoutMs: this.o.rpcTimeoutMs });
    if (r.id !== id) throw new Error(`rpc.evm.system_call.get answered for ${r.id}, asked for ${id}`);
    return r.status;
  }

  /** Asks until the call is settled or `withinMs` passed (then 'pending'): the L2 seals a block within seconds. */
  async waitSettled(channelId: string, stateNumber: number, withinMs: number): Promise<L2Settlement> {
    const deadline = Date.now() + withinMs;
    for (;;) {
      const s = await this.settled(channelId, stateNumber);
      if (s !== 'pending' || Date.now() > deadline) return s;
      await new Promise((res) => setTimeout(res, this.o.pollMs ?? 250));
    }
  }
}
