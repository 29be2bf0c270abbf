// The coordinator's DKG runner against in-process signers and a real Postgres: a coordinator that "crashes" after
// certifying a DKG (every certificate lost) finishes that same DKG on restart from the stored recovery data.
import path from 'node:path';
import { bytesToHex } from '@noble/hashes/utils.js';
import { createPrismaClient, migrate } from '@tapbridge/db';
import { createLogger } from '@tapbridge/observability';
import {
  generateHostKey,
  hostPublicKey,
  MessageAuthenticator,
  PolicyRegistry,
  sealMessage,
  SignerProtocol,
  StaticExpectedParticipants,
  type KeyShare,
  type MessageType,
  type ProtocolMessage,
} from '@tapbridge/signing';
import { createTestDatabase, repoRoot, waitFor, type TestDatabase } from '@tapbridge/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DkgRunner } from '../src/dkg-runner.js';
import type { SignerNetwork } from '../src/signer-network.js';
import { PrismaClient } from '../src/generated/prisma/client.js';
import { CoordinatorStore } from '../src/store.js';

const SCHEMA = 'signing_coordinator';
let db: TestDatabase;
let pool: pg.Pool;
let prisma: PrismaClient;
let store: CoordinatorStore;

beforeAll(async () => {
  db = await createTestDatabase();
  await migrate({ databaseUrl: db.url, schema: SCHEMA, migrationsDir: path.join(repoRoot, 'apps/signing-coordinator/prisma/migrations') });
  pool = new pg.Pool({ connectionString: db.url, max: 2 });
  prisma = createPrismaClient(PrismaClient, { pool, schema: SCHEMA });
  store = new CoordinatorStore({ prisma, schema: SCHEMA });
}, 120_000);

afterAll(async () => {
  await prisma?.$disconnect();
  await pool?.end();
  await db?.drop();
});

/** n signers in this process and the part of SignerNetwork the DKG runner uses; `drop` loses requests. */
function inProcessNetwork(n: number, t: number, coordinatorSeckey: Uint8Array) {
  const hostSeckeys = Array.from({ length: n }, () => generateHostKey());
  const hostPubkeys = hostSeckeys.map((k) => hostPublicKey(k));
  const saved = new Map<number, KeyShare>();
  const signers = hostSeckeys.map(
    (hostSeckey, k) =>
      new SignerProtocol({
        index: k + 1,
        n,
        t,
        hostSeckey,
        coordinatorKey: hostPublicKey(coordinatorSeckey),
        trust: { expectedParticipants: new StaticExpectedParticipants({ hostPubkeys, t }) },
        policies: new PolicyRegistry(),
        saveShare: async (s) => void saved.set(k + 1, s),
      }),
  );
  const auth = new MessageAuthenticator({ self: 0, hostKeyOf: (s) => hostPubkeys[s - 1] });
  let drop: (type: MessageType) => boolean = () => false;
  const network = {
    n,
    hostKeys: () => hostPubkeys,
    live: () => hostPubkeys.map((_, i) => i + 1),
    lock: async () => undefined,
    async ask<T extends MessageType>(index: number, type: T, sessionId: string, body: never): Promise<ProtocolMessage> {
      if (drop(type)) throw new Error(`${type} to signer ${index} was lost`);
      const request = sealMessage({ type, sessionId, sender: 0, recipient: index, body }, coordinatorSeckey);
      const reply = await (signers[index - 1] as SignerProtocol).handle(request);
      return auth.authenticate(reply, { types: ['dkg.round1', 'dkg.round2', 'dkg.done', 'protocol.error'], sender: index, inReplyTo: request.messageId });
    },
  };
  return { network, saved, setDrop: (d: typeof drop) => void (drop = d) };
}

describe('DKG runner', () => {
  it('certified, then the coordinator crashed with every certificate lost: the restarted runner finishes the same DKG', async () => {
    const coordinatorSeckey = generateHostKey();
    const { network, saved, setDrop } = inProcessNetwork(3, 2, coordinatorSeckey);
    const logger = createLogger('test', { level: 'silent' });
    const options = { network: network as unknown as SignerNetwork, store, logger, t: 2, coordinatorSeckey, roundTimeoutMs: 5_000, retryDelayMs: 50 };
    setDrop((type) => type === 'dkg.cmsg2' || type === 'dkg.recover');
    const first = new DkgRunner(options);
    const running = first.run();
    const certified = await waitFor('the certified DKG row', () => store.certifiedDkg(), 60_000);
    first.stop();
    expect(await running).toBeUndefined();
    expect(saved.size).toBe(0);
    expect(await store.groupKey()).toBeUndefined();
    // Restart: the messages get through now. No new ceremony: the stored one is finished.
    setDrop(() => false);
    const group = await new DkgRunner(options).run();
    expect(group?.ceremonyId).toBe(certified.ceremonyId);
    expect(saved.size).toBe(3);
    for (const share of saved.values()) expect(bytesToHex(share.groupKey.threshPk)).toBe(bytesToHex(group?.groupKey.threshPk as Uint8Array));
    expect(bytesToHex((await store.groupKey())?.groupKey.threshPk as Uint8Array)).toBe(bytesToHex(group?.groupKey.threshPk as Uint8Array));
    expect(await store.certifiedDkg()).toBeUndefined();
  });
});
