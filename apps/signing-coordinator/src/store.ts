// The coordinator's own Postgres state (schema signing_coordinator), through Prisma: its identity and the DKG's group
// key. What the signing loop keeps (requests, ROAST sessions, responses, misbehaviour) is PostgresSigningStore's.
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { GroupKey } from '@tapbridge/frost';
import { qualified } from '@tapbridge/messaging';
import { envelopeSchema, generateHostKey, keyFileNeedsReseal, openKeyFile, pubsharesMismatch, sealKeyFile, type MisbehaviourContext, type MisbehaviourEvent, type ProtocolMessage } from '@tapbridge/signing';
import type { PrismaClient } from './generated/prisma/client.js';
import { PostgresSigningStore } from './postgres-signing-store.js';

/** The coordinator is party 0: its key file says so in its authenticated header. */
const COORDINATOR_PARTY = 0;

/** The stored group key is inconsistent (a tampered or corrupted row): the coordinator must not start. */
export class StoredGroupKeyError extends Error {
  override readonly name = 'StoredGroupKeyError';
}

/** A JSONB list of hex strings as the DKG wrote it; anything else is a corrupted row. */
function hexList(value: unknown): string[] {
  if (!Array.isArray(value) || !value.every((v): v is string => typeof v === 'string')) throw new StoredGroupKeyError('a stored key list is not a list of hex strings');
  return value;
}

export interface CertifiedDkg {
  ceremonyId: string;
  t: number;
  hostPubkeys: Uint8Array[];
  recoveryData: Uint8Array;
}

export interface StoredGroupKey {
  ceremonyId: string;
  groupKey: GroupKey;
  hostPubkeys: Uint8Array[];
  recoveryData: string;
}

export interface CoordinatorStoreOptions {
  prisma: PrismaClient;
  /** The schema the client's models live in (serviceSchema('signing-coordinator')): named in errors and the outbox. */
  schema: string;
  /** After a misbehaviour event commits to the outbox: the app wakes the outbox relay. */
  afterCommit?: () => void;
}

export class CoordinatorStore {
  /** The signing loop's records, in the same schema. */
  readonly signing: PostgresSigningStore;

  constructor(private readonly o: CoordinatorStoreOptions) {
    this.signing = new PostgresSigningStore(o);
  }

  private t(table: string): string {
    return qualified(this.o.schema, table);
  }

  private get prisma(): PrismaClient {
    return this.o.prisma;
  }

  /**
   * The coordinator's host key: configured, or generated once and kept in its schema as an encrypted key file
   * (scrypt + AES-256-GCM under COORDINATOR_KEY_PASSPHRASE). A plain hex row written by an older version, or a file
   * sealed at an older scrypt cost, is re-encrypted on the spot.
   */
  async hostKey(o: { configured?: string | undefined; passphrase?: string | undefined }): Promise<{ seckey: Uint8Array; migrated: boolean }> {
    if (o.configured) return { seckey: hexToBytes(o.configured), migrated: false };
    const passphrase = o.passphrase;
    if (!passphrase) throw new Error('COORDINATOR_KEY_PASSPHRASE is required to keep the coordinator host key encrypted (or set COORDINATOR_HOST_KEY)');
    const seal = (seckey: Uint8Array) => sealKeyFile({ kind: 'host-key', signerIndex: COORDINATOR_PARTY, groupKey: null, secret: seckey, meta: { party: 'coordinator' } }, passphrase);
    const read = async () => (await this.prisma.identity.findUnique({ where: { id: 1 }, select: { hostSeckey: true } }))?.hostSeckey;
    // Only if the row still holds `stored`: a replica that re-encrypted it first wins.
    const replace = async (stored: string, sealed: string) => void (await this.prisma.identity.updateMany({ where: { id: 1, hostSeckey: stored }, data: { hostSeckey: sealed } }));
    let stored = await read();
    if (stored === undefined) {
      // skipDuplicates is ON CONFLICT DO NOTHING: of two replicas starting at once, the first key written is kept.
      await this.prisma.identity.createMany({ data: [{ id: 1, hostSeckey: await seal(generateHostKey()) }], skipDuplicates: true });
      stored = (await read()) as string;
    }
    if (/^[0-9a-f]{64}$/.test(stored)) {
      // Written in plain text by an earlier version: encrypt it now (only if the row still holds that plain key).
      const seckey = hexToBytes(stored);
      await replace(stored, await seal(seckey));
      return { seckey, migrated: true };
    }
    const { secret } = await openKeyFile(stored, passphrase, { kind: 'host-key', signerIndex: COORDINATOR_PARTY, source: `${this.t('identity')} host key` });
    if (keyFileNeedsReseal(stored)) await replace(stored, await seal(secret));
    return { seckey: secret, migrated: false };
  }

  /** The group key from the DKG, checked on load: its public shares must interpolate to the threshold key. */
  async groupKey(): Promise<StoredGroupKey | undefined> {
    const r = await this.prisma.groupKey.findUnique({ where: { id: 1 } });
    if (!r) return undefined;
    let groupKey: GroupKey;
    try {
      groupKey = GroupKey.fromShares({ n: r.n, t: r.t, threshPk: hexToBytes(r.threshPk), pubshares: hexList(r.pubshares).map((p) => hexToBytes(p)) });
    } catch (err) {
      throw new StoredGroupKeyError(`the stored group key (${this.t('group_key')}) is malformed: ${(err as Error).message}`);
    }
    const mismatch = pubsharesMismatch(groupKey);
    if (mismatch) throw new StoredGroupKeyError(`the stored group key (${this.t('group_key')}) is inconsistent: ${mismatch}; refusing to start (restore the row from the DKG's recovery data)`);
    return {
      ceremonyId: r.ceremonyId,
      groupKey,
      hostPubkeys: hexList(r.hostPubkeys).map((p) => hexToBytes(p)),
      recoveryData: r.recoveryData,
    };
  }

  /** Records a certified DKG before its certificate is sent (see dkg_certified); a newer one replaces it. */
  async saveCertifiedDkg(d: CertifiedDkg): Promise<void> {
    const fields = { ceremonyId: d.ceremonyId, t: d.t, hostPubkeys: d.hostPubkeys.map(bytesToHex), recoveryData: bytesToHex(d.recoveryData) };
    await this.prisma.dkgCertified.upsert({ where: { id: 1 }, create: { id: 1, ...fields }, update: { ...fields, createdAt: new Date() } });
  }

  async certifiedDkg(): Promise<CertifiedDkg | undefined> {
    const r = await this.prisma.dkgCertified.findUnique({ where: { id: 1 } });
    return r ? { ceremonyId: r.ceremonyId, t: r.t, hostPubkeys: hexList(r.hostPubkeys).map((p) => hexToBytes(p)), recoveryData: hexToBytes(r.recoveryData) } : undefined;
  }

  /** Stores the confirmed group key and the signers' dkg.done attestations, and drops the certified-DKG record, in one transaction. */
  async saveGroupKey(g: StoredGroupKey, attestations: ReadonlyMap<number, ProtocolMessage<'dkg.done'>> = new Map()): Promise<void> {
    await this.prisma.$transaction([
      this.prisma.dkgAttestation.deleteMany(),
      ...[...attestations].map(([signer, message]) => this.prisma.dkgAttestation.create({ data: { signer, ceremonyId: g.ceremonyId, message: { ...message } } })),
      this.prisma.groupKey.create({
        data: {
          id: 1,
          ceremonyId: g.ceremonyId,
          threshPk: bytesToHex(g.groupKey.threshPk),
          t: g.groupKey.t,
          n: g.groupKey.n,
          pubshares: g.groupKey.pubshares.map(bytesToHex),
          hostPubkeys: g.hostPubkeys.map(bytesToHex),
          recoveryData: g.recoveryData,
        },
      }),
      this.prisma.dkgCertified.deleteMany(),
    ]);
  }

  /** Keeps a signer's dkg.done for the current group key (asked again for a group key stored before attestations were kept). */
  async saveAttestation(ceremonyId: string, message: ProtocolMessage<'dkg.done'>): Promise<void> {
    await this.prisma.dkgAttestation.upsert({ where: { signer: message.sender }, create: { signer: message.sender, ceremonyId, message: { ...message } }, update: { ceremonyId, message: { ...message } } });
  }

  /** The signed dkg.done messages kept for the group key of `ceremonyId`, by signer index. */
  async attestations(ceremonyId: string): Promise<Map<number, ProtocolMessage<'dkg.done'>>> {
    const rows = await this.prisma.dkgAttestation.findMany({ where: { ceremonyId } });
    const out = new Map<number, ProtocolMessage<'dkg.done'>>();
    for (const r of rows) {
      const parsed = envelopeSchema.safeParse(r.message);
      if (!parsed.success || parsed.data.type !== 'dkg.done') throw new StoredGroupKeyError(`the stored dkg.done of signer ${r.signer} is malformed`);
      // The envelope parsed; its signature is checked again by whoever verifies evidence built from it.
      out.set(r.signer, parsed.data as ProtocolMessage<'dkg.done'>);
    }
    return out;
  }

  /** A DKG or protocol fault (no signing request): counted and published as signing.misbehaviour. */
  async recordMisbehaviour(event: MisbehaviourEvent, context?: MisbehaviourContext): Promise<void> {
    await this.signing.recordMisbehaviour(event, context);
  }
}
