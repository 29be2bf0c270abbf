// held_capacity in the indexer's API (src/capacity-status.ts), over real NATS with a stand-in for the evm-gateway's
// rpc.evm.deposits.state: a confirmed deposit the gateway holds is shown as held_capacity, a minted or unknown one
// stays confirmed, other statuses are never asked about, and a gateway that does not answer changes nothing.
import { connectMessaging, serveRequests, type Messaging } from '@tapbridge/messaging';
import { uniquePrefix } from '@tapbridge/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CapacityStatus } from '../src/capacity-status.js';

const prefix = uniquePrefix('dicap');
let messaging: Messaging;
const asked: string[][] = [];

beforeAll(async () => {
  messaging = await connectMessaging({ url: process.env.NATS_URL ?? 'nats://127.0.0.1:4222', prefix });
}, 60_000);
afterAll(async () => {
  await messaging?.close();
});

const id = (b: string) => `${b.repeat(32)}`;
const views = [
  { txid: id('aa'), vout: 0, status: 'confirmed' as const },
  { txid: id('bb'), vout: 1, status: 'confirmed' as const },
  { txid: id('cc'), vout: 0, status: 'seen' as const },
  { txid: id('dd'), vout: 2, status: 'confirmed' as const },
];

describe('held_capacity in the indexer API', () => {
  it('shows held_capacity for what the gateway holds, and the indexer status otherwise or when the gateway is silent', async () => {
    const capacity = new CapacityStatus({ messaging }, 1_000);
    expect(await capacity.mark(views)).toEqual(views); // nobody answers: unchanged

    const sub = serveRequests(messaging, 'evm.deposits.state', z.object({ depositIds: z.array(z.string()) }), ({ depositIds }) => {
      asked.push(depositIds);
      return Promise.resolve({ enforced: true, states: { [`${id('aa')}:0`]: 'held_capacity', [`${id('bb')}:1`]: 'minted', [`${id('dd')}:2`]: 'unknown' } });
    });
    try {
      expect((await capacity.mark(views)).map((v) => v.status)).toEqual(['held_capacity', 'confirmed', 'seen', 'confirmed']);
      expect(asked.at(-1)).toEqual([`${id('aa')}:0`, `${id('bb')}:1`, `${id('dd')}:2`]); // only confirmed ones
      const none = views.filter((v) => v.status !== 'confirmed');
      const before = asked.length;
      expect(await capacity.mark(none)).toEqual(none);
      expect(asked.length).toBe(before);
    } finally {
      sub.unsubscribe();
    }
  }, 60_000);
});
