/**
 * Who a signer trusts, in one place: the coordinator's host key, and the participant set a DKG must have. A
 * `dkg.start` (or recovery data) naming any other host keys or threshold is refused, so a coordinator cannot fill
 * the other slots with keys it controls, play those participants and end up with ≥ t shares of the custody key.
 *
 * The expected set comes from an ExpectedParticipants provider: the static one below reads it from configuration
 * (SIGNER_HOST_PUBKEYS in index order, or the ChillDKG params_hash SIGNER_DKG_PARAMS_HASH); custody rotation can
 * supply the epoch's set from the stake registry instead. Only regtest may run without pins (trust on first use).
 */
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { paramsHash, type SessionParams } from '@tapbridge/frost';

/** What a DKG must look like: its exact host keys (index order) and threshold, and/or its ChillDKG params_hash. */
export interface ExpectedDkgParams {
  hostPubkeys?: readonly Uint8Array[];
  t?: number;
  paramsHash?: Uint8Array;
}

/** Source of the participant set the next DKG must have (configuration today; the stake registry for rotation). */
export interface ExpectedParticipants {
  /** Undefined: nothing is pinned (allowed on regtest only). */
  expectedParticipants(): Promise<ExpectedDkgParams | undefined>;
}

/** The expected set from configuration. */
export class StaticExpectedParticipants implements ExpectedParticipants {
  constructor(private readonly expected: ExpectedDkgParams | undefined) {}

  static fromConfig(o: { hostPubkeys?: readonly string[]; t?: number; paramsHash?: string | undefined }): StaticExpectedParticipants {
    const hostPubkeys = o.hostPubkeys && o.hostPubkeys.length > 0 ? o.hostPubkeys.map((k) => hexToBytes(k)) : undefined;
    const paramsHash = o.paramsHash ? hexToBytes(o.paramsHash) : undefined;
    if (!hostPubkeys && !paramsHash) return new StaticExpectedParticipants(undefined);
    return new StaticExpectedParticipants({ ...(hostPubkeys ? { hostPubkeys, ...(o.t !== undefined ? { t: o.t } : {}) } : {}), ...(paramsHash ? { paramsHash } : {}) });
  }

  async expectedParticipants(): Promise<ExpectedDkgParams | undefined> {
    return this.expected;
  }
}

/** Why `params` is not the expected DKG, or null when it is. */
export function dkgParamsMismatch(expected: ExpectedDkgParams, params: SessionParams): string | null {
  const got = params.hostpubkeys.map(bytesToHex);
  if (expected.hostPubkeys) {
    const want = expected.hostPubkeys.map(bytesToHex);
    if (want.length !== got.length) return `the ceremony names ${got.length} host keys, the expected participant set has ${want.length}`;
    const wrong = want.map((w, i) => (w === got[i] ? null : i + 1)).filter((i) => i !== null);
    if (wrong.length > 0) return `the ceremony's host keys for signer(s) ${wrong.join(', ')} are not the expected participants'`;
    if (expected.t !== undefined && expected.t !== params.t) return `the ceremony's threshold is ${params.t}, expected ${expected.t}`;
  }
  if (expected.paramsHash) {
    let hash: string;
    try {
      hash = bytesToHex(paramsHash(params));
    } catch (err) {
      return `invalid session parameters: ${(err as Error).message}`;
    }
    if (hash !== bytesToHex(expected.paramsHash)) return `the ceremony's params_hash ${hash} is not the expected ${bytesToHex(expected.paramsHash)}`;
  }
  return null;
}

export interface SignerTrust {
  /** The participant set every DKG (and DKG recovery) must have. */
  expectedParticipants?: ExpectedParticipants;
  /**
   * Regtest only: accept a DKG with any participant set (as long as this signer's slot holds its key) when no set
   * is pinned, and pin the coordinator's key from the first signed dkg.start when none is configured.
   */
  allowTrustOnFirstUse?: boolean;
}

/** Checks a DKG's parameters against the signer's trust configuration; returns the refusal reason or null. */
export async function checkDkgParams(trust: SignerTrust, params: SessionParams): Promise<string | null> {
  return dkgParamsVerdict(trust, await trust.expectedParticipants?.expectedParticipants(), params);
}

/** checkDkgParams with the expected set already read (the provider may be a registry RPC: ask it once per check). */
export function dkgParamsVerdict(trust: SignerTrust, expected: ExpectedDkgParams | undefined, params: SessionParams): string | null {
  if (!expected) return trust.allowTrustOnFirstUse ? null : 'no expected participant set is configured (SIGNER_HOST_PUBKEYS or SIGNER_DKG_PARAMS_HASH); refusing every DKG';
  return dkgParamsMismatch(expected, params);
}

/** The networks on which trust on first use is allowed. Anywhere else, every pin is mandatory. */
export function trustOnFirstUseAllowed(network: string): boolean {
  return network === 'regtest';
}


/**
 * The start-up rule for pins: outside regtest every named pin must be configured. `pins` maps a variable (or
 * "A or B" for alternatives) to whether it is set. Returns one message per missing variable, naming it.
 */
export function missingPins(network: string, pins: Record<string, boolean>): Array<{ variable: string; message: string }> {
  if (trustOnFirstUseAllowed(network)) return [];
  return Object.entries(pins)
    .filter(([, set]) => !set)
    .map(([variable]) => ({ variable, message: `${variable} must be set on ${network} (trust on first use is allowed on regtest only)` }));
}
