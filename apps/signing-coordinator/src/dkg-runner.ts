// First start: wait until all n signers announced their host keys, then run a ChillDKG ceremony over them
// (packages/signing DkgCeremony). A failed ceremony is retried with a new id; a signer at fault is reported.
import { bytesToHex, hexToBytes, randomBytes } from '@noble/hashes/utils.js';
import { DkgCeremony, DkgCeremonyError, hostPublicKey, type MessageBody, type ProtocolMessage } from '@tapbridge/signing';
import type { Logger } from '@tapbridge/observability';
import type { SignerNetwork, ReplyType } from './signer-network.js';
import type { CoordinatorStore, StoredGroupKey } from './store.js';

export interface DkgRunnerOptions {
  network: SignerNetwork;
  store: CoordinatorStore;
  logger: Logger;
  t: number;
  coordinatorSeckey: Uint8Array;
  /** Per-round timeout: a DKG round waits for every signer. */
  roundTimeoutMs: number;
  retryDelayMs?: number;
}

export class DkgRunner {
  #stopped = false;

  constructor(private readonly o: DkgRunnerOptions) {}

  stop(): void {
    this.#stopped = true;
  }

  /** Resolves with the group key once a ceremony succeeded (or undefined if stopped first). */
  async run(): Promise<StoredGroupKey | undefined> {
    const { network, logger } = this.o;
    let waitingLogged = false;
    while (!this.#stopped) {
      const hostKeys = network.hostKeys();
      if (!hostKeys || network.live().length < network.n) {
        if (!waitingLogged) logger.info({ n: network.n }, 'no group key yet: waiting for every signer to announce itself');
        waitingLogged = true;
        await sleep(500);
        continue;
      }
      const id = `dkg-${bytesToHex(randomBytes(8))}`;
      try {
        return await this.ceremony(id, hostKeys);
      } catch (err) {
        const e = err as Error;
        logger.error({ ceremony: id, err: e.message }, 'DKG ceremony failed; retrying');
        if (e instanceof DkgCeremonyError && e.signer !== null)
          await this.o.store.recordMisbehaviour({ sessionId: id, signerId: e.signer, reason: 'invalid_dkg_message', detail: e.message.slice(0, 500) });
        await sleep(this.o.retryDelayMs ?? 2_000);
      }
    }
    return undefined;
  }

  private async ceremony(id: string, hostKeys: Uint8Array[]): Promise<StoredGroupKey> {
    const { network, logger, t } = this.o;
    logger.info({ ceremony: id, n: hostKeys.length, t }, 'DKG ceremony starting');
    const ceremony = new DkgCeremony(id, hostKeys, t);
    const start = { t, hostPubkeys: hostKeys.map(bytesToHex), coordinatorPubkey: bytesToHex(hostPublicKey(this.o.coordinatorSeckey)) };
    const r1 = await this.round(id, 'dkg.start', () => start, 'dkg.round1');
    const cmsg1 = ceremony.aggregateRound1(new Map([...r1].map(([i, m]) => [i, hexToBytes((m.body as MessageBody<'dkg.round1'>).pmsg1)])));
    const r2 = await this.round(id, 'dkg.cmsg1', () => ({ cmsg1: bytesToHex(cmsg1) }), 'dkg.round2');
    const { cmsg2, result } = ceremony.finalize(new Map([...r2].map(([i, m]) => [i, hexToBytes((m.body as MessageBody<'dkg.round2'>).pmsg2)])));
    const done = await this.round(id, 'dkg.cmsg2', () => ({ cmsg2: bytesToHex(cmsg2) }), 'dkg.done');
    for (const [i, m] of done) {
      const body = m.body as MessageBody<'dkg.done'>;
      ceremony.confirm(i, body.threshPk, body.pubshare);
    }
    const stored: StoredGroupKey = { ceremonyId: id, groupKey: result.groupKey, hostPubkeys: hostKeys, recoveryData: bytesToHex(result.recoveryData) };
    await this.o.store.saveGroupKey(stored);
    await network.lock(hostKeys);
    logger.info({ ceremony: id, groupKey: bytesToHex(result.groupKey.threshPk) }, 'DKG complete');
    return stored;
  }

  /** One DKG round: the same request to every signer; every one must answer with `expected`. */
  private async round<T extends 'dkg.start' | 'dkg.cmsg1' | 'dkg.cmsg2'>(id: string, type: T, body: () => MessageBody<T>, expected: ReplyType): Promise<Map<number, ProtocolMessage>> {
    const { network } = this.o;
    const indices = Array.from({ length: network.n }, (_, i) => i + 1);
    const replies = await Promise.all(
      indices.map(async (i) => {
        let reply: ProtocolMessage;
        try {
          reply = await network.ask(i, type, id, body(), this.o.roundTimeoutMs);
        } catch (err) {
          throw new DkgCeremonyError(null, `signer ${i} did not complete ${type}: ${(err as Error).message}`);
        }
        if (reply.type === 'protocol.error') throw new DkgCeremonyError(null, `signer ${i} refused ${type}: ${(reply.body as MessageBody<'protocol.error'>).message}`);
        if (reply.type !== expected) throw new DkgCeremonyError(i, `answered ${type} with ${reply.type}`);
        return [i, reply] as const;
      }),
    );
    return new Map(replies);
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
