/** Drives a RoastCoordinator with simulated signers over a seeded, shuffled message schedule. */
import {
  type RoastEvent,
  RoastCoordinator,
  type SecNonce,
  type SessionContext,
  keyPathOnlyCustodyTweak,
  nonceGen,
  sign,
} from '../../src/index.js';
import type { DealtKey } from './dealer.js';
import type { SeededRandom } from './prng.js';

export type Behaviour = 'honest' | 'silent' | 'bad-psig';

export interface RunResult {
  coordinator: RoastCoordinator;
  events: RoastEvent[];
  outputKey: Uint8Array;
  /** Sessions each signer was asked to join. */
  sessionsOf: Map<number, number[]>;
}

/** `firstReady` signers announce readiness first, in that order; everything else is delivered in random order. */
export function runRoast(key: DealtKey, behaviours: Behaviour[], msg: Uint8Array, rng: SeededRandom, firstReady: number[] = []): RunResult {
  const { groupKey, secshares } = key;
  const { tweak, outputKey } = keyPathOnlyCustodyTweak(groupKey.xonly);
  const coordinator = new RoastCoordinator({ groupKey, msg, tweaks: [tweak], isXonly: [true] });
  const secnonces = new Map<number, SecNonce>();
  const sessionsOf = new Map<number, number[]>();
  const events: RoastEvent[] = [];
  const fresh = (id: number): Uint8Array => {
    const { secnonce, pubnonce } = nonceGen({ secshare: secshares[id] });
    secnonces.set(id, secnonce);
    return pubnonce;
  };
  // Messages in flight to the coordinator, delivered in random order.
  const inflight: (() => RoastEvent[])[] = behaviours.map((_b, id) => id).filter((id) => !firstReady.includes(id)).map((id) => () => coordinator.onReady(id, fresh(id)));
  const respond = (id: number, sessionId: number, session: SessionContext): void => {
    const b = behaviours[id];
    if (b === 'silent') return;
    inflight.push(() => {
      const psig = sign(secnonces.get(id) as SecNonce, secshares[id] as Uint8Array, id, session);
      if (b === 'bad-psig') psig[31] = (psig[31] as number) ^ 0x01;
      return coordinator.onPartialSig(id, sessionId, psig, fresh(id));
    });
  };
  const handle = (evs: RoastEvent[]): void => {
    for (const ev of evs) {
      events.push(ev);
      if (ev.type === 'session-started') {
        for (const id of ev.signers) {
          sessionsOf.set(id, [...(sessionsOf.get(id) ?? []), ev.sessionId]);
          respond(id, ev.sessionId, ev.session);
        }
      }
    }
  };
  for (const id of firstReady) handle(coordinator.onReady(id, fresh(id)));
  while (inflight.length > 0 && coordinator.signature === null) {
    const [deliver] = inflight.splice(rng.int(inflight.length), 1);
    handle(deliver?.() ?? []);
  }
  return { coordinator, events, outputKey, sessionsOf };
}
