/**
 * The coordinator's side of one ChillDKG ceremony, transport-free: collect round-1 messages, aggregate, collect the
 * certificate signatures, finalise, then check every signer confirmed the same even-y group key. Faults name the
 * signer (1-based index).
 */
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import {
  coordinatorFinalize,
  coordinatorRecover,
  coordinatorStep1,
  FaultyParticipantError,
  GroupKey,
  normalizeToEvenY,
  type CoordinatorState,
  type DKGOutput,
} from '@tapbridge/frost';
import type { MessageBody, ProtocolMessage } from './messages.js';

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


// ---------------------------------------------------------------- driving a ceremony to the end

/** The requests the coordinator sends in a DKG. */
export type DkgRequestType = 'dkg.start' | 'dkg.cmsg1' | 'dkg.cmsg2' | 'dkg.recover';

/** How the coordinator reaches one signer: resolves with its authenticated reply, rejects when it does not answer. */
export interface DkgTransport {
  ask<T extends DkgRequestType>(index: number, type: T, sessionId: string, body: MessageBody<T>): Promise<ProtocolMessage>;
}

export interface DkgDriverOptions {
  transport: DkgTransport;
  /**
   * Persists the certified recovery data. It resolves before the certificate (the last message) goes out, so a
   * coordinator that crashes afterwards finishes the same DKG on restart (finishDkg) instead of starting another.
   */
  persistCertified: (certified: { ceremonyId: string; recoveryData: Uint8Array; hostPubkeys: readonly Uint8Array[]; t: number }) => Promise<void>;
  /** Pause between rounds that re-send the recovery data to signers that have not confirmed. */
  retryDelayMs: number;
  stopped?: () => boolean;
  /** Called after each round that left signers unconfirmed (for logs). */
  onUnconfirmed?: (missing: ReadonlyMap<number, string>) => void;
  sleep?: (ms: number) => Promise<void>;
}

export interface CompletedDkg {
  ceremonyId: string;
  result: DkgResult;
  hostPubkeys: readonly Uint8Array[];
  /**
   * Each signer's signed dkg.done, checked against the result: its own attestation of its public share and the group
   * key, which misbehaviour evidence rests on (keep them).
   */
  attestations: ReadonlyMap<number, ProtocolMessage<'dkg.done'>>;
}

/**
 * Runs ChillDKG with every signer. A signer that already holds the share of a DKG with the same parameters answers
 * dkg.start with the recovery data: the ceremony is then finished from it instead of run again. Once certified,
 * the ceremony always completes (finishDkg). Throws DkgCeremonyError when a round before the certificate fails; the
 * caller retries with a new id (no one holds a share of an uncertified ceremony).
 */
export async function runDkg(
  o: DkgDriverOptions & { ceremonyId: string; hostPubkeys: readonly Uint8Array[]; t: number; coordinatorPubkey: Uint8Array },
): Promise<CompletedDkg | undefined> {
  const { transport, ceremonyId: id, hostPubkeys, t } = o;
  const ceremony = new DkgCeremony(id, hostPubkeys, t);
  const start: MessageBody<'dkg.start'> = { t, hostPubkeys: hostPubkeys.map(bytesToHex), coordinatorPubkey: bytesToHex(o.coordinatorPubkey) };
  const started = await askAll(ceremony.n, (i) => transport.ask(i, 'dkg.start', id, start));
  for (const [i, reply] of started) {
    if (reply instanceof Error || reply.type !== 'dkg.done') continue;
    const recoveryData = (reply.body as MessageBody<'dkg.done'>).recoveryData;
    if (recoveryData === undefined) throw new DkgCeremonyError(i, 'answered dkg.start with dkg.done but no recovery data');
    const result = resultFromRecoveryData(hexToBytes(recoveryData), hostPubkeys, t, i);
    confirmDone(result, i, reply.body as MessageBody<'dkg.done'>);
    // Signer i finished this DKG before: everyone else finishes it from the same certified transcript.
    await o.persistCertified({ ceremonyId: id, recoveryData: result.recoveryData, hostPubkeys, t });
    return finishDkg({ ...o, ceremonyId: id, recoveryData: result.recoveryData, hostPubkeys, t, confirmed: new Map([[i, reply as ProtocolMessage<'dkg.done'>]]) });
  }
  const r1 = expectAll(started, 'dkg.start', 'dkg.round1');
  const cmsg1 = ceremony.aggregateRound1(new Map([...r1].map(([i, m]) => [i, hexToBytes((m.body as MessageBody<'dkg.round1'>).pmsg1)])));
  const r2 = expectAll(await askAll(ceremony.n, (i) => transport.ask(i, 'dkg.cmsg1', id, { cmsg1: bytesToHex(cmsg1) })), 'dkg.cmsg1', 'dkg.round2');
  const { cmsg2, result } = ceremony.finalize(new Map([...r2].map(([i, m]) => [i, hexToBytes((m.body as MessageBody<'dkg.round2'>).pmsg2)])));
  await o.persistCertified({ ceremonyId: id, recoveryData: result.recoveryData, hostPubkeys, t });
  return finishDkg({ ...o, ceremonyId: id, recoveryData: result.recoveryData, hostPubkeys, t, cmsg2 });
}

/**
 * Finishes a certified DKG: sends the certificate (or, to signers that missed it, the recovery data) until every
 * signer confirmed the group key. Resolves undefined only if stopped first.
 */
export async function finishDkg(
  o: DkgDriverOptions & { ceremonyId: string; recoveryData: Uint8Array; hostPubkeys: readonly Uint8Array[]; t: number; cmsg2?: Uint8Array; confirmed?: ReadonlyMap<number, ProtocolMessage<'dkg.done'>> },
): Promise<CompletedDkg | undefined> {
  const { transport, ceremonyId: id } = o;
  const result = resultFromRecoveryData(o.recoveryData, o.hostPubkeys, o.t, null);
  const n = o.hostPubkeys.length;
  const confirmed = new Map(o.confirmed ?? []);
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  let first = true;
  while (confirmed.size < n) {
    if (o.stopped?.()) return undefined;
    if (!first) await sleep(o.retryDelayMs);
    const missing = Array.from({ length: n }, (_, i) => i + 1).filter((i) => !confirmed.has(i));
    const cmsg2 = first ? o.cmsg2 : undefined;
    first = false;
    const replies = await Promise.all(
      missing.map(async (i) => {
        try {
          const reply = cmsg2 ? await transport.ask(i, 'dkg.cmsg2', id, { cmsg2: bytesToHex(cmsg2) }) : await transport.ask(i, 'dkg.recover', id, { recoveryData: bytesToHex(result.recoveryData) });
          if (reply.type === 'dkg.done') {
            confirmDone(result, i, reply.body as MessageBody<'dkg.done'>);
            confirmed.set(i, reply as ProtocolMessage<'dkg.done'>);
            return [i, null] as const;
          }
          const body = reply.body as { code?: string; message?: string; reason?: string };
          return [i, `${reply.type}: ${body.code ?? ''} ${body.message ?? body.reason ?? ''}`.trim()] as const;
        } catch (err) {
          return [i, (err as Error).message] as const;
        }
      }),
    );
    const unconfirmed = new Map(replies.filter(([, why]) => why !== null) as Array<readonly [number, string]>);
    if (unconfirmed.size > 0) o.onUnconfirmed?.(unconfirmed);
  }
  return { ceremonyId: id, result, hostPubkeys: o.hostPubkeys, attestations: confirmed };
}

/** The group key of certified recovery data, checked to be the DKG these host keys and threshold describe. */
export function resultFromRecoveryData(recoveryData: Uint8Array, hostPubkeys: readonly Uint8Array[], t: number, from: number | null): DkgResult {
  let recovered: ReturnType<typeof coordinatorRecover>;
  try {
    recovered = coordinatorRecover(recoveryData);
  } catch (err) {
    throw new DkgCeremonyError(from, `invalid recovery data: ${(err as Error).message}`);
  }
  const { params } = recovered;
  const same = params.t === t && params.hostpubkeys.length === hostPubkeys.length && params.hostpubkeys.every((k, i) => bytesToHex(k) === bytesToHex(hostPubkeys[i] as Uint8Array));
  if (!same) throw new DkgCeremonyError(from, 'recovery data of a DKG with other participants or threshold');
  const output = normalizeToEvenY(recovered.output);
  const groupKey = GroupKey.fromShares({ n: hostPubkeys.length, t, threshPk: output.threshPk, pubshares: output.pubshares });
  return { groupKey, output, recoveryData };
}

/** Checks a signer's dkg.done against the certified result. */
function confirmDone(result: DkgResult, index: number, body: MessageBody<'dkg.done'>): void {
  if (body.threshPk !== bytesToHex(result.groupKey.threshPk)) throw new DkgCeremonyError(index, `confirmed group key ${body.threshPk}, the transcript gives ${bytesToHex(result.groupKey.threshPk)}`);
  if (body.pubshare !== bytesToHex(result.groupKey.pubshares[index - 1] as Uint8Array)) throw new DkgCeremonyError(index, 'confirmed a public share that is not its own');
}

async function askAll(n: number, ask: (i: number) => Promise<ProtocolMessage>): Promise<Map<number, ProtocolMessage | Error>> {
  const indices = Array.from({ length: n }, (_, i) => i + 1);
  return new Map(await Promise.all(indices.map(async (i) => [i, await ask(i).catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))))] as const)));
}

/** Every signer answered `type` with `expected`; otherwise the round fails (naming the signer when it is to blame). */
function expectAll(replies: Map<number, ProtocolMessage | Error>, type: DkgRequestType, expected: ProtocolMessage['type']): Map<number, ProtocolMessage> {
  const out = new Map<number, ProtocolMessage>();
  for (const [i, reply] of replies) {
    if (reply instanceof Error) throw new DkgCeremonyError(null, `signer ${i} did not complete ${type}: ${reply.message}`);
    if (reply.type === 'protocol.error') throw new DkgCeremonyError(null, `signer ${i} refused ${type}: ${(reply.body as MessageBody<'protocol.error'>).message}`);
    if (reply.type !== expected) throw new DkgCeremonyError(i, `answered ${type} with ${reply.type}`);
    out.set(i, reply);
  }
  return out;
}
