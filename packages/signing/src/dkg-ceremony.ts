/**
 * The coordinator's side of one ChillDKG ceremony, transport-free: collect round-1 messages, aggregate, collect the
 * certificate signatures, finalise, then check every signer confirmed the same even-y group key. Faults name the
 * signer (1-based index).
 */
import { bytesToHex } from '@noble/hashes/utils.js';
import {
  coordinatorFinalize,
  coordinatorStep1,
  FaultyParticipantError,
  GroupKey,
  normalizeToEvenY,
  type CoordinatorState,
  type DKGOutput,
} from '@tapbridge/frost';

/** A ceremony failed because of a signer (index 1..n) or for a reason nobody could be blamed for (null). */
export class DkgCeremonyError extends Error {
  override readonly name = 'DkgCeremonyError';
  constructor(
    readonly signer: number | null,
    message: string,
  ) {
    super(signer === null ? message : `signer ${signer}: ${message}`);
  }
}

export interface DkgResult {
  groupKey: GroupKey;
  /** Even-y output (no secret share on the coordinator). */
  output: DKGOutput;
  recoveryData: Uint8Array;
}

export class DkgCeremony {
  readonly n: number;
  #state: CoordinatorState | undefined;
  #result: DkgResult | undefined;

  constructor(
    readonly id: string,
    readonly hostPubkeys: readonly Uint8Array[],
    readonly t: number,
  ) {
    this.n = hostPubkeys.length;
  }

  /** The finalised group key and recovery data, once finalize() succeeded. */
  get result(): DkgResult | undefined {
    return this.#result;
  }

  get params() {
    return { hostpubkeys: this.hostPubkeys, t: this.t };
  }

  /** Round 1 messages by signer index (1..n) → cmsg1. */
  aggregateRound1(pmsgs1: ReadonlyMap<number, Uint8Array>): Uint8Array {
    const list = this.#ordered(pmsgs1, 'round-1 message');
    try {
      const { state, cmsg1 } = coordinatorStep1(list, this.params);
      this.#state = state;
      return cmsg1;
    } catch (err) {
      throw blame(err, 'round-1 message');
    }
  }

  /** Certificate signatures by signer index → cmsg2 (the certificate) and the group key. */
  finalize(pmsgs2: ReadonlyMap<number, Uint8Array>): { cmsg2: Uint8Array; result: DkgResult } {
    if (!this.#state) throw new DkgCeremonyError(null, 'round 1 has not been aggregated');
    const list = this.#ordered(pmsgs2, 'certificate signature');
    let fin: ReturnType<typeof coordinatorFinalize>;
    try {
      fin = coordinatorFinalize(this.#state, list);
    } catch (err) {
      throw blame(err, 'certificate signature');
    }
    const output = normalizeToEvenY(fin.output);
    const groupKey = GroupKey.fromShares({ n: this.n, t: this.t, threshPk: output.threshPk, pubshares: output.pubshares });
    this.#result = { groupKey, output, recoveryData: fin.recoveryData };
    return { cmsg2: fin.cmsg2, result: this.#result };
  }

  /** Checks a signer's dkg.done: same group key, and its public share as the transcript says. */
  confirm(index: number, threshPk: string, pubshare: string): void {
    const result = this.#result;
    if (!result) throw new DkgCeremonyError(null, 'the ceremony is not finalised');
    if (threshPk !== bytesToHex(result.groupKey.threshPk)) throw new DkgCeremonyError(index, `confirmed group key ${threshPk}, the transcript gives ${bytesToHex(result.groupKey.threshPk)}`);
    if (pubshare !== bytesToHex(result.groupKey.pubshares[index - 1] as Uint8Array)) throw new DkgCeremonyError(index, 'confirmed a public share that is not its own');
  }

  #ordered(byIndex: ReadonlyMap<number, Uint8Array>, what: string): Uint8Array[] {
    return Array.from({ length: this.n }, (_, i) => {
      const m = byIndex.get(i + 1);
      if (!m) throw new DkgCeremonyError(i + 1, `no ${what}`);
      return m;
    });
  }
}

function blame(err: unknown, what: string): DkgCeremonyError {
  if (err instanceof FaultyParticipantError) return new DkgCeremonyError(err.participant + 1, err.reason);
  const message = (err as Error).message;
  // Length checks in the coordinator steps name the participant by 0-based position.
  const m = /participant (\d+)/.exec(message);
  if (m) return new DkgCeremonyError(Number(m[1]) + 1, `invalid ${what}: ${message}`);
  return new DkgCeremonyError(null, message);
}

