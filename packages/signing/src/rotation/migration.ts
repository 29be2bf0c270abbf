// Issue 11 (rotation): the custody migration. Once a newer epoch's custody is published (stake-accounting states
// the epoch's set; the new group key is attested by a signed dkg.done of EVERY member of that set), the old set
// signs sweeps only if output 0 pays that new custody script: the migration sweep moves the custody UTXO, and any
// later sweep of old-key deposits pays into the new custody too. Until then it signs as before (output 0 = its own
// custody). The rule is the sweep policy's own (SweepPolicy option `migration`): every other sweep rule applies.
//
// "Migration final" (the migration sweep buried at depth) is what lets an old signer's unbonding complete:
// custodySettledFor is the rule stake-accounting's CUSTODY_SETTLED hook applies.
import { schnorr } from '@noble/curves/secp256k1.js';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { messageDigest } from '../auth.js';
import type { CustodySettings } from '../custody.js';
import { xonlyHostKey } from '../host-key.js';
import { envelopeSchema, type ProtocolMessage, type UnsignedMessage } from '../messages.js';
import type { BitcoinView } from '../view/bitcoin.js';
import { epochCustody } from './epoch-custody.js';
import { epochSetProblem, type EpochSetFacts, type StakeRegistryView } from './registry-participants.js';

/** The custody output 0 of every sweep must pay while a migration is due. */
export interface MigrationTarget {
  epoch: number;
  /** x-only group key of the new epoch (hex). */
  groupKey: string;
  scriptPubKey: Uint8Array;
  address: string;
}

/** The signer's view of where custody must move; null: no newer custody, sweeps pay the signer's own custody. */
export interface CustodyMigrationView {
  target(ownGroupKey: Uint8Array): Promise<MigrationTarget | null>;
}

/** A new epoch's custody as published: its group key and every member's signed dkg.done (sender = rank + 1). */
export interface PublishedEpochCustody {
  epoch: number;
  groupKey: string;
  attestations: readonly unknown[];
}

/** Where the published epoch custody records come from (stake-accounting's registry RPC, or tests). */
export interface EpochCustodySource {
  published(epoch: number): Promise<PublishedEpochCustody | null>;
}

/**
 * Checks a published epoch custody against the epoch's set: one dkg.done per member, signed by that member's host
 * key, each naming the published group key. Returns the custody output (with its recovery leaf) or why not.
 */
export function verifyEpochCustody(set: EpochSetFacts, published: PublishedEpochCustody, settings: CustodySettings): { ok: true; target: MigrationTarget } | { ok: false; reason: string } {
  if (published.epoch !== set.epoch) return { ok: false, reason: `the published custody is for epoch ${published.epoch}, the registry's epoch is ${set.epoch}` };
  const problem = epochSetProblem(set);
  if (problem) return { ok: false, reason: problem };
  if (!/^[0-9a-f]{64}$/.test(published.groupKey)) return { ok: false, reason: 'the published group key is not 32-byte x-only hex' };
  const bySender = new Map<number, ProtocolMessage<'dkg.done'>>();
  for (const raw of published.attestations) {
    const parsed = envelopeSchema.safeParse(raw);
    if (!parsed.success || parsed.data.type !== 'dkg.done') return { ok: false, reason: 'an attestation is not a dkg.done message' };
    bySender.set(parsed.data.sender, parsed.data as ProtocolMessage<'dkg.done'>);
  }
  for (const [i, member] of set.members.entries()) {
    const m = bySender.get(i + 1);
    if (!m) return { ok: false, reason: `no dkg.done from member ${i + 1} (${member.address}) of epoch ${set.epoch}` };
    const { sig, ...unsigned } = m;
    let valid: boolean;
    try {
      valid = schnorr.verify(hexToBytes(sig), messageDigest(unsigned as UnsignedMessage), xonlyHostKey(hexToBytes(member.hostPubkey)));
    } catch {
      valid = false;
    }
    if (!valid) return { ok: false, reason: `the dkg.done of member ${i + 1} is not signed by its registered host key` };
    const threshPk = (m.body as { threshPk: string }).threshPk;
    if (threshPk.slice(2) !== published.groupKey) return { ok: false, reason: `member ${i + 1} attests group key ${threshPk.slice(2)}, not the published ${published.groupKey}` };
  }
  const custody = epochCustody(hexToBytes(published.groupKey), settings);
  return { ok: true, target: { epoch: set.epoch, groupKey: published.groupKey, scriptPubKey: hexToBytes(custody.scriptPubKey), address: custody.address } };
}

/**
 * The migration target from the signer's own registry view: the current epoch's published custody, verified. Null
 * when the current epoch has no published custody yet (its DKG runs: keep signing as before) or it is the signer's
 * own group. A published custody that does not verify throws: the sweep policy then refuses (fail closed).
 */
export class VerifiedCustodyMigrationView implements CustodyMigrationView {
  constructor(private readonly o: { registry: StakeRegistryView; source: EpochCustodySource; settings: CustodySettings }) {}

  async target(ownGroupKey: Uint8Array): Promise<MigrationTarget | null> {
    const set = await this.o.registry.currentEpoch();
    if (!set) return null;
    const published = await this.o.source.published(set.epoch);
    if (!published || published.groupKey === bytesToHex(ownGroupKey)) return null;
    const verdict = verifyEpochCustody(set, published, this.o.settings);
    if (!verdict.ok) throw new Error(`epoch ${set.epoch}'s published custody does not verify: ${verdict.reason}`);
    return verdict.target;
  }
}

export type MigrationState = { state: 'final'; height: number } | { state: 'pending'; reason: string };

/**
 * Whether the migration sweep `txid` is final on this view's chain: it pays the new custody script at output 0 and
 * has at least `depth` confirmations.
 */
export async function migrationState(bitcoin: BitcoinView, o: { txid: string; newScriptPubKey: Uint8Array; depth: number }): Promise<MigrationState> {
  const proven = await bitcoin.provenTransaction(o.txid);
  if (!proven.ok) return { state: 'pending', reason: proven.reason };
  const out0 = proven.value.tx.outputs[0];
  if (!out0 || bytesToHex(out0.scriptPubKey) !== bytesToHex(o.newScriptPubKey)) return { state: 'pending', reason: `${o.txid} does not pay the new custody at output 0` };
  if (proven.value.confirmations < o.depth) return { state: 'pending', reason: `${proven.value.confirmations} of ${o.depth} confirmations` };
  return { state: 'final', height: proven.value.blockHeight };
}

/** What the unbonding rule needs per recorded epoch custody (from the coordinator's custody.migration events). */
export interface EpochCustodyStatus {
  epoch: number;
  /** Member addresses (lowercase 0x) of the set that holds this epoch's key. */
  members: readonly string[];
  /** Custody has moved out of this epoch's key and the move is final (or the epoch carried a key still in use: false). */
  migratedFinal: boolean;
}

/**
 * The CUSTODY_SETTLED rule: a signer's unbonding may complete only when no custody key it holds a share of is still
 * in use — every recorded epoch whose set includes it has migrated, final. The newest epoch's key is always in use.
 */
export function custodySettledFor(address: string, epochs: readonly EpochCustodyStatus[]): boolean {
  const a = address.toLowerCase();
  return epochs.every((e) => e.migratedFinal || !e.members.some((m) => m.toLowerCase() === a));
}
