// The pipeline's side of "a held deposit is not swept" (pipeline.service.ts sweepableDeposits, peers.ts), over real
// NATS with a stand-in for the evm-gateway's rpc.evm.deposits.state and the in-memory sweep store: with capacity
// enforced only minted deposits may be swept; unlimited changes nothing; a silent gateway lets no deposit be swept.
import { connectMessaging, serveRequests, type Messaging } from '@tapbridge/messaging';
import type { ServiceRuntime } from '@tapbridge/runtime';
import { InMemorySweepStore, outpointKey, type PlanningRules } from '@tapbridge/sweeps';
import { addDeposit, mine } from '@tapbridge/sweeps/testing';
import { uniquePrefix } from '@tapbridge/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { SweepCoordinatorConfig } from '../src/config.js';
import { Peers } from '../src/peers.js';
import { PipelineService } from '../src/pipeline.service.js';

const prefix = uniquePrefix('swheld');
let messaging: Messaging;

beforeAll(async () => {
  messaging = await connectMessaging({ url: process.env.NATS_URL ?? 'nats://127.0.0.1:4222', prefix });
}, 60_000);
afterAll(async () => {
  await messaging?.close();
});

describe('sweep-coordinator: deposits held for capacity', () => {
  it('passes the planner only minted deposits when capacity is enforced, all when not, none when the gateway is silent', async () => {
    const store = new InMemorySweepStore();
    await mine(store, 1, 1);
    await addDeposit(store, 1, 200_000n);
    await addDeposit(store, 2, 150_000n);
    const [a, b] = (await store.transaction((tx) => tx.depositsByState(['available']))).map(outpointKey) as [string, string];
    const peers = new Peers({ messaging } as unknown as ServiceRuntime, { RPC_TIMEOUT_MS: 1_000 } as SweepCoordinatorConfig);
    // Only what sweepableDeposits reads: the store and the peers.
    const pipeline = new PipelineService(store as never, undefined as never, undefined as never, peers, undefined as never, undefined as never, {} as SweepCoordinatorConfig);
    const sweepable = () => (pipeline as unknown as { sweepableDeposits(): Promise<Pick<PlanningRules, 'sweepableDeposits'>> }).sweepableDeposits();

    expect(await sweepable()).toEqual({ sweepableDeposits: new Set() }); // nobody answers: no deposit this pass

    let enforced = true;
    const sub = serveRequests(messaging, 'evm.deposits.state', z.object({ depositIds: z.array(z.string()) }), ({ depositIds }) =>
      Promise.resolve({ enforced, states: Object.fromEntries(depositIds.map((id) => [id, id === a ? 'minted' : 'held_capacity'])) }),
    );
    try {
      expect(await sweepable()).toEqual({ sweepableDeposits: new Set([a]) });
      expect(b).not.toBe(a);
      enforced = false; // EVM_MINT_CAPACITY=unlimited: nothing is ever held, the planner is not limited
      expect(await sweepable()).toEqual({});
    } finally {
      sub.unsubscribe();
    }
  }, 60_000);
});
