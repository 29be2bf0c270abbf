// Proof for signing.misbehaviour: when ROAST finds a partial signature invalid, the report carries the coordinator's
// signed sign.session, the signer's signed sign.partial answering it (which names the session's digest), the signer's
// own signed dkg.done for the group key and the group's public shares: packages/stake's invalid_partial_signature
// evidence, which stake-accounting (and anyone, offline) verifies before a slash. The coordinator verifies it too and
// publishes only evidence that verifies.
import { bytesToHex } from '@noble/hashes/utils.js';
import type { Logger } from '@tapbridge/observability';
import { hostPublicKey, type PartialExchange, type ProtocolMessage } from '@tapbridge/signing';
import { invalidPartialEvidence, verifyEvidence } from '@tapbridge/stake';
import type { SignerNetwork } from './signer-network.js';
import type { CoordinatorStore, StoredGroupKey } from './store.js';

export class MisbehaviourEvidence {
  #group: StoredGroupKey | undefined;
  readonly #coordinatorPubkey: string;

  constructor(
    private readonly store: CoordinatorStore,
    private readonly network: SignerNetwork,
    coordinatorSeckey: Uint8Array,
    private readonly logger: Logger,
  ) {
    this.#coordinatorPubkey = bytesToHex(hostPublicKey(coordinatorSeckey));
  }

  /** The group key signing now uses; asks signers whose dkg.done was not kept (a group key from before) for it again. */
  async useGroup(group: StoredGroupKey): Promise<void> {
    this.#group = group;
    const kept = await this.store.attestations(group.ceremonyId);
    for (let i = 1; i <= group.groupKey.n; i++) if (!kept.has(i)) await this.attestation(i).catch(() => undefined);
  }

  /** The evidence for one bad partial, or undefined (logged) when it cannot be made to verify. */
  async build(x: PartialExchange): Promise<unknown> {
    const group = this.#group;
    if (group === undefined) return undefined;
    const dkgDone = await this.attestation(x.signer);
    if (dkgDone === undefined) {
      this.logger.warn({ signer: x.signer }, 'no dkg.done attestation from this signer: its bad partial is reported without evidence');
      return undefined;
    }
    const { groupKey, hostPubkeys } = group;
    const evidence = invalidPartialEvidence({
      signerHostPubkey: bytesToHex(hostPubkeys[x.signer - 1]!),
      coordinatorHostPubkey: this.#coordinatorPubkey,
      group: { n: groupKey.n, t: groupKey.t, threshPk: bytesToHex(groupKey.threshPk), pubshares: groupKey.pubshares.map((p) => bytesToHex(p)) },
      dkgDone,
      session: x.session,
      partial: x.partial,
    });
    const verdict = verifyEvidence(evidence, { coordinatorHostPubkey: this.#coordinatorPubkey });
    if (!verdict.valid) {
      this.logger.warn({ signer: x.signer, reason: verdict.reason }, 'the evidence of a bad partial does not verify: reported without it');
      return undefined;
    }
    return evidence;
  }

  /** The signer's kept dkg.done, or a fresh one: dkg.recover to a signer that holds the share answers with it. */
  private async attestation(signer: number): Promise<ProtocolMessage<'dkg.done'> | undefined> {
    const group = this.#group;
    if (group === undefined) return undefined;
    const kept = (await this.store.attestations(group.ceremonyId)).get(signer);
    if (kept !== undefined) return kept;
    const reply = await this.network.ask(signer, 'dkg.recover', group.ceremonyId, { recoveryData: group.recoveryData });
    if (reply.type !== 'dkg.done') return undefined;
    const body = reply.body;
    if (body.threshPk !== bytesToHex(group.groupKey.threshPk) || body.pubshare !== bytesToHex(group.groupKey.pubshares[signer - 1]!)) return undefined;
    const message = reply as ProtocolMessage<'dkg.done'>;
    await this.store.saveAttestation(group.ceremonyId, message);
    this.logger.info({ signer }, 'dkg.done attestation kept');
    return message;
  }
}

