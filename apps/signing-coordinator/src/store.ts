// The coordinator's own Postgres state (schema signing_coordinator): its identity and the DKG's group key. What the
// signing loop keeps (requests, ROAST sessions, responses, misbehaviour) is PostgresSigningStore's.
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import { GroupKey } from '@tapbridge/frost';
import { qualified } from '@tapbridge/messaging';
import type { ServiceRuntime } from '@tapbridge/runtime';
import { generateHostKey, keyFileNeedsReseal, openKeyFile, pubsharesMismatch, sealKeyFile, type MisbehaviourContext, type MisbehaviourEvent } from '@tapbridge/signing';
import { PostgresSigningStore } from './postgres-signing-store.js';

/** The coordinator is party 0: its key file says so in its authenticated header. */
const COORDINATOR_PARTY = 0;

/** The stored group key is inconsistent (a tampered or corrupted row): the coordinator must not start. */
export class StoredGroupKeyError extends Error {
  override readonly name = 'StoredGroupKeyError';
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

export class CoordinatorStore {
  /** The signing loop's records, in the same schema. */
  readonly signing: PostgresSigningStore;

  constructor(private readonly runtime: ServiceRuntime) {
    this.signing = new PostgresSigningStore(runtime);
  }

  private t(table: string): string {
    return qualified(this.runtime.schema, table);
  }

  private get pool() {
    return this.runtime.pool;
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
    const read = async () => (await this.pool.query<{ host_seckey: string }>(`SELECT host_seckey FROM ${this.t('identity')} WHERE id = 1`)).rows[0]?.host_seckey;
    let stored = await read();
    if (stored === undefined) {
      await this.pool.query(`INSERT INTO ${this.t('identity')} (id, host_seckey) VALUES (1, $1) ON CONFLICT (id) DO NOTHING`, [await seal(generateHostKey())]);
      stored = (await read()) as string;
    }
    if (/^[0-9a-f]{64}$/.test(stored)) {
      // Written in plain text by an earlier version: encrypt it now (only if the row still holds that plain key).
      const seckey = hexToBytes(stored);
      await this.pool.query(`UPDATE ${this.t('identity')} SET host_seckey = $2 WHERE id = 1 AND host_seckey = $1`, [stored, await seal(seckey)]);
      return { seckey, migrated: true };
    }
    const { secret } = await openKeyFile(stored, passphrase, { kind: 'host-key', signerIndex: COORDINATOR_PARTY, source: `${this.t('identity')} host key` });
    if (keyFileNeedsReseal(stored)) await this.pool.query(`UPDATE ${this.t('identity')} SET host_seckey = $2 WHERE id = 1 AND host_seckey = $1`, [stored, await seal(secret)]);
    return { seckey: secret, migrated: false };
  }

  /** The group key from the DKG, checked on load: its public shares must interpolate to the threshold key. */
  async groupKey(): Promise<StoredGroupKey | undefined> {
    const { rows } = await this.pool.query<{ ceremony_id: string; thresh_pk: string; t: number; n: number; pubshares: string[]; host_pubkeys: string[]; recovery_data: string }>(
      `SELECT ceremony_id, thresh_pk, t, n, pubshares, host_pubkeys, recovery_data FROM ${this.t('group_key')} WHERE id = 1`,
    );
    const r = rows[0];
    if (!r) return undefined;
    let groupKey: GroupKey;
    try {
      groupKey = GroupKey.fromShares({ n: r.n, t: r.t, threshPk: hexToBytes(r.thresh_pk), pubshares: r.pubshares.map((p) => hexToBytes(p)) });
    } catch (err) {
      throw new StoredGroupKeyError(`the stored group key (${this.t('group_key')}) is malformed: ${(err as Error).message}`);
    }
    const mismatch = pubsharesMismatch(groupKey);
    if (mismatch) throw new StoredGroupKeyError(`the stored group key (${this.t('group_key')}) is inconsistent: ${mismatch}; refusing to start (restore the row from the DKG's recovery data)`);
    return {
      ceremonyId: r.ceremony_id,
      groupKey,
      hostPubkeys: r.host_pubkeys.map((p) => hexToBytes(p)),
      recoveryData: r.recovery_data,
    };
  }

  /** Records a certified DKG before its certificate is sent (see dkg_certified). */
  async saveCertifiedDkg(d: CertifiedDkg): Promise<void> {
    await this.pool.query(
      `INSERT INTO ${this.t('dkg_certified')} (id, ceremony_id, t, host_pubkeys, recovery_data) VALUES (1, $1, $2, $3::jsonb, $4)
       ON CONFLICT (id) DO UPDATE SET ceremony_id = EXCLUDED.ceremony_id, t = EXCLUDED.t, host_pubkeys = EXCLUDED.host_pubkeys, recovery_data = EXCLUDED.recovery_data, created_at = now()`,
      [d.ceremonyId, d.t, JSON.stringify(d.hostPubkeys.map(bytesToHex)), bytesToHex(d.recoveryData)],
    );
  }

  async certifiedDkg(): Promise<CertifiedDkg | undefined> {
    const { rows } = await this.pool.query<{ ceremony_id: string; t: number; host_pubkeys: string[]; recovery_data: string }>(`SELECT ceremony_id, t, host_pubkeys, recovery_data FROM ${this.t('dkg_certified')} WHERE id = 1`);
    const r = rows[0];
    return r ? { ceremonyId: r.ceremony_id, t: r.t, hostPubkeys: r.host_pubkeys.map((p) => hexToBytes(p)), recoveryData: hexToBytes(r.recovery_data) } : undefined;
  }

  /** Stores the confirmed group key and drops the certified-DKG record, in one transaction. */
  async saveGroupKey(g: StoredGroupKey): Promise<void> {
    await this.runtime.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO ${this.t('group_key')} (id, ceremony_id, thresh_pk, t, n, pubshares, host_pubkeys, recovery_data) VALUES (1, $1, $2, $3, $4, $5::jsonb, $6::jsonb, $7)`,
        [g.ceremonyId, bytesToHex(g.groupKey.threshPk), g.groupKey.t, g.groupKey.n, JSON.stringify(g.groupKey.pubshares.map(bytesToHex)), JSON.stringify(g.hostPubkeys.map(bytesToHex)), g.recoveryData],
      );
      await tx.query(`DELETE FROM ${this.t('dkg_certified')}`);
    });
  }

  /** A DKG or protocol fault (no signing request): counted and published as signing.misbehaviour. */
  async recordMisbehaviour(event: MisbehaviourEvent, context?: MisbehaviourContext): Promise<void> {
    await this.signing.recordMisbehaviour(event, context);
  }
}
