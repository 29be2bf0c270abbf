// First start: wait until all n signers are known (pinned or announced), then run ChillDKG over them
// (packages/signing runDkg). The recovery data is stored before the certificate goes out, so a DKG that was
// certified always completes: signers that missed the certificate, and a restarted coordinator, finish it through
// ChillDKG recovery. A ceremony that fails before its certificate is retried with a new id; a signer at fault is
// reported.
import { bytesToHex, randomBytes } from '@noble/hashes/utils.js';
import { DkgCeremonyError, finishDkg, hostPublicKey, runDkg, type CompletedDkg, type DkgDriverOptions, type DkgTransport } from '@tapbridge/signing';
import type { Logger } from '@tapbridge/observability';
import type { SignerNetwork } from './signer-network.js';
import type { CoordinatorStore, StoredGroupKey } from './store.js';

export interface DkgRunnerOptions {
  network: SignerNetwork;
  store: CoordinatorStore;
  logger: Logger;
  t: number;
  coordinatorSeckey: Uint8Array;
  /** Per-request timeout within a DKG round. */
  roundTimeoutMs: number;
  retryDelayMs?: number;
}

export class DkgRunner {
  #stopped = false;

  constructor(private readonly o: DkgRunnerOptions) {}

  stop(): void {
    this.#stopped = true;
  }

  /** Resolves with the group key once a ceremony completed (or undefined if stopped first). */
  async run(): Promise<StoredGroupKey | undefined> {
    const { network, logger, store } = this.o;
    const certified = await store.certifiedDkg();
    if (certified) {
      // We crashed after certifying a DKG: finish that one, never start another (its shares may already exist).
      logger.warn({ ceremony: certified.ceremonyId }, 'finishing a certified DKG from its stored recovery data');
      const done = await finishDkg({ ...this.driver(), ceremonyId: certified.ceremonyId, recoveryData: certified.recoveryData, hostPubkeys: certified.hostPubkeys, t: certified.t });
      return done ? this.complete(done) : undefined;
    }
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
        logger.info({ ceremony: id, n: hostKeys.length, t: this.o.t }, 'DKG ceremony starting');
        const done = await runDkg({ ...this.driver(), ceremonyId: id, hostPubkeys: hostKeys, t: this.o.t, coordinatorPubkey: hostPublicKey(this.o.coordinatorSeckey) });
        return done ? await this.complete(done) : undefined;
      } catch (err) {
        const e = err as Error;
        logger.error({ ceremony: id, err: e.message }, 'DKG ceremony failed; retrying');
        if (e instanceof DkgCeremonyError && e.signer !== null)
          await store.recordMisbehaviour({ sessionId: id, signerId: e.signer, reason: 'invalid_dkg_message', detail: e.message.slice(0, 500) });
        await sleep(this.o.retryDelayMs ?? 2_000);
      }
    }
    return undefined;
  }

  private driver(): DkgDriverOptions {
    const { network, logger, store } = this.o;
    const transport: DkgTransport = { ask: (i, type, sessionId, body) => network.ask(i, type, sessionId, body, this.o.roundTimeoutMs) };
    return {
      transport,
      persistCertified: async ({ ceremonyId, recoveryData, hostPubkeys, t }) => {
        await store.saveCertifiedDkg({ ceremonyId, t, hostPubkeys: [...hostPubkeys], recoveryData });
        logger.info({ ceremony: ceremonyId }, 'DKG certified: recovery data stored before the certificate is sent');
      },
      retryDelayMs: this.o.retryDelayMs ?? 2_000,
      stopped: () => this.#stopped,
      onUnconfirmed: (missing) =>
        logger.warn({ unconfirmed: Object.fromEntries(missing) }, 'DKG certified but not confirmed by every signer; sending them the recovery data again'),
    };
  }

  private async complete(done: CompletedDkg): Promise<StoredGroupKey> {
    const stored: StoredGroupKey = { ceremonyId: done.ceremonyId, groupKey: done.result.groupKey, hostPubkeys: [...done.hostPubkeys], recoveryData: bytesToHex(done.result.recoveryData) };
    await this.o.store.saveGroupKey(stored, done.attestations);
    await this.o.network.lock(done.hostPubkeys);
    this.o.logger.info({ ceremony: done.ceremonyId, groupKey: bytesToHex(done.result.groupKey.threshPk) }, 'DKG complete');
    return stored;
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
