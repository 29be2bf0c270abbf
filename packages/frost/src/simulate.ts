/**
 * In-process end-to-end run: ChillDKG among n participants, even-y normalisation, the Taproot
 * tweak applied by the aggregator, and one ROAST-coordinated signing round. For demos, the CLI and
 * integration tests; real deployments run the same steps across processes.
 */
import { bytesToHex, randomBytes } from '@noble/hashes/utils.js';
import { FrostInputError } from './errors.js';
import { schnorrVerify } from './curve/bip340.js';
import { type DKGOutput, coordinatorFinalize, coordinatorStep1, participantFinalize, participantStep1, participantStep2 } from './dkg/chilldkg.js';
import { normalizeToEvenY } from './dkg/even-y.js';
import { hostpubkeyGen } from './dkg/session-params.js';
import { RoastCoordinator } from './roast.js';
import { GroupKey } from './signing/group-key.js';
import { nonceGen } from './signing/nonce.js';
import type { SecNonce } from './signing/secnonce.js';
import { sign } from './signing/sign.js';
import { keyPathOnlyCustodyTweak, taprootOutput } from './signing/tweak.js';

export interface SimulateInput {
  readonly n: number;
  readonly t: number;
  /** Message to sign (e.g. a 32-byte sighash). */
  readonly message: Uint8Array;
  /** Taproot script-tree merkle root; absent = key-path only (unspendable script commitment). */
  readonly merkleRoot?: Uint8Array;
}

export interface SimulateResult {
  /** x-only group key (even y), hex. */
  readonly groupKey: string;
  /** x-only Taproot output key, hex. */
  readonly outputKey: string;
  /** BIP340 signature valid under outputKey, hex. */
  readonly signature: string;
  /** Participant ids (0-based) whose partial signatures form the signature. */
  readonly signers: number[];
}

export interface DkgRunResult {
  readonly hostseckeys: Uint8Array[];
  readonly outputs: DKGOutput[];
  readonly recoveryData: Uint8Array;
}

/** Runs a full ChillDKG session in-process with fresh host keys; outputs are not yet normalised. */
export function runChillDkg(n: number, t: number): DkgRunResult {
  if (!Number.isInteger(n) || !Number.isInteger(t) || t < 1 || t > n) throw new FrostInputError('need 1 <= t <= n');
  const hostseckeys = Array.from({ length: n }, () => randomBytes(32));
  const params = { hostpubkeys: hostseckeys.map(hostpubkeyGen), t };
  const step1 = hostseckeys.map((sk) => participantStep1(sk, params, randomBytes(32)));
  const { state, cmsg1 } = coordinatorStep1(
    step1.map((s) => s.pmsg1),
    params,
  );
  const step2 = hostseckeys.map((sk, i) => participantStep2(sk, (step1[i] as (typeof step1)[number]).state1, cmsg1, randomBytes(32)));
  const { cmsg2, recoveryData } = coordinatorFinalize(
    state,
    step2.map((s) => s.pmsg2),
  );
  const outputs = step2.map((s) => participantFinalize(s.state2, cmsg2).output);
  return { hostseckeys, outputs, recoveryData };
}

export function simulate(input: SimulateInput): SimulateResult {
  const { n, t, message, merkleRoot } = input;
  if (merkleRoot !== undefined && merkleRoot.length !== 32) throw new FrostInputError('The merkle root must be 32 bytes.');
  const outputs = runChillDkg(n, t).outputs.map(normalizeToEvenY);
  const first = outputs[0] as DKGOutput;
  const groupKey = GroupKey.fromShares({ n, t, threshPk: first.threshPk, pubshares: first.pubshares });
  const { tweak, outputKey } = merkleRoot === undefined ? keyPathOnlyCustodyTweak(groupKey.xonly) : taprootOutput(groupKey.xonly, merkleRoot);

  const roast = new RoastCoordinator({ groupKey, msg: message, tweaks: [tweak], isXonly: [true] });
  const secnonces = new Map<number, SecNonce>();
  const fresh = (id: number): Uint8Array => {
    const { secnonce, pubnonce } = nonceGen({ secshare: outputs[id]?.secshare ?? undefined, pubshare: first.pubshares[id], threshPk: groupKey.xonly, msg: message });
    secnonces.set(id, secnonce);
    return pubnonce;
  };
  const queue = Array.from({ length: n }, (_, id) => roast.onReady(id, fresh(id))).flat();
  let signature: Uint8Array | null = null;
  let signers: number[] = [];
  while (queue.length > 0 && signature === null) {
    const event = queue.shift();
    if (event?.type === 'session-started') {
      for (const id of event.signers) {
        const psig = sign(secnonces.get(id) as SecNonce, outputs[id]?.secshare as Uint8Array, id, event.session);
        queue.push(...roast.onPartialSig(id, event.sessionId, psig, fresh(id)));
      }
    } else if (event?.type === 'signature-done') {
      signature = event.signature;
      signers = event.signers;
    }
  }
  if (signature === null || !schnorrVerify(message, outputKey, signature)) throw new Error('simulation did not produce a valid signature');
  return { groupKey: bytesToHex(groupKey.xonly), outputKey: bytesToHex(outputKey), signature: bytesToHex(signature), signers };
}
