// A sweep paying 100 withdrawals, planned and stored by the real pipeline rules on a real Postgres, signed (one key
// stands in for the FROST group, packages/sweeps/testing), accepted and mined by the devnet chain in this process:
// - the withdrawal ids are recoverable from the chain plus the public API (GET /sweeps/:txid lists them; the
//   OP_RETURN of the mined transaction commits to exactly that list, in payout order);
// - the vsize and weight the planner priced the fee with are those of the real signed transaction, as the chain
//   (and bitcoinjs-lib) measure it.
// No services: the API's view is Queries.sweep, the handler behind GET /sweeps/:txid.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bytesToHex, depositAddress, encodeSegwitAddress, hexToBytes, parseSweepCommitment, withdrawalIdsDigest } from '@tapbridge/bitcoin';
import { createPrismaClient, migrate } from '@tapbridge/db';
import { DevnetChain } from '@tapbridge/devnet-chain';
import { applyDepositConfirmed, applyWithdrawalRequested, planNextSweep } from '@tapbridge/sweeps';
import { groupKey, mine, rules, signAndBroadcast, withdrawal } from '@tapbridge/sweeps/testing';
import { createTestDatabase, type TestDatabase } from '@tapbridge/testing';
import { Transaction } from 'bitcoinjs-lib';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SweepCoordinatorConfig } from '../src/config.js';
import { PrismaClient } from '../src/generated/prisma/client.js';
import { Queries } from '../src/queries.js';
import { PostgresSweepStore } from '../src/store/postgres-store.js';

const SCHEMA = 'sweep_coordinator';
/** The depositor's reclaim key: any valid x-only key (2·G's x); the reclaim path is never taken here. */
const RECLAIM_KEY = hexToBytes('c6047f9441ed7d6d3045406e95c07cd85c778e4b8cef3ca7abac09b95c709ee5');
let db: TestDatabase;
let pool: pg.Pool;
let prisma: PrismaClient;
let store: PostgresSweepStore;
let queries: Queries;
let node: DevnetChain;
let miner: string;

beforeAll(async () => {
  db = await createTestDatabase();
  await migrate({ databaseUrl: db.url, schema: SCHEMA, migrationsDir: path.resolve(fileURLToPath(new URL('../prisma/migrations', import.meta.url))) });
  pool = new pg.Pool({ connectionString: db.url, max: 2 });
  prisma = createPrismaClient(PrismaClient, { pool, schema: SCHEMA });
  store = new PostgresSweepStore({ prisma, schema: SCHEMA });
  // Queries.sweep(txid, false) reads only the store (no mempool lookup, no custody, no pipeline).
  queries = new Queries(store, undefined as never, undefined as never, undefined as never, { WITHDRAWAL_STUCK_BLOCKS: 12 } as SweepCoordinatorConfig);
  node = DevnetChain.open({ logger: silentLogger() });
  miner = node.getNewAddress('bech32');
  node.generateToAddress(110, miner);
}, 120_000);
afterAll(async () => {
  node?.close();
  await prisma?.$disconnect();
  await pool?.end();
  await db?.drop();
});

/** A no-op pino-compatible logger: the chain's block and mempool lines are not what this test checks. */
function silentLogger(): NonNullable<Parameters<typeof DevnetChain.open>[0]>['logger'] {
  const noop = (): void => undefined;
  const logger = { info: noop, warn: noop, error: noop, debug: noop, trace: noop, fatal: noop, child: () => logger, level: 'silent' };
  return logger as unknown as NonNullable<Parameters<typeof DevnetChain.open>[0]>['logger'];
}

/** A deposit to the fixtures' group key, really paid and mined on the devnet chain, then recorded as confirmed. */
async function realDeposit(amountSats: bigint): Promise<void> {
  const recipient = '0x' + '0c'.repeat(20);
  const addr = depositAddress({ network: 'regtest', groupKey, recipient, maxFee: 20_000n, reclaimKey: RECLAIM_KEY, lockBlocks: 144 });
  const txid = node.sendToAddress(encodeSegwitAddress('bcrt', 1, addr.scriptPubKey.subarray(2)), amountSats);
  node.generateToAddress(1, miner);
  const vout = node.lookupTransaction(txid)!.tx.outs.findIndex((o) => bytesToHex(o.script) === bytesToHex(addr.scriptPubKey));
  await store.transaction((tx) =>
    applyDepositConfirmed(
      tx,
      { txid, vout, amountSats: amountSats.toString(), recipient, maxFeeSats: '20000', blockHash: 'aa'.repeat(32), blockHeight: 1, confirmations: 1, merkleProof: '00', kind: 'taproot' },
      { kind: 'deposit-leaf', scriptPubKey: bytesToHex(addr.scriptPubKey), depositScript: bytesToHex(addr.depositLeaf.script), reclaimScript: bytesToHex(addr.reclaimLeaf.script), lockBlocks: 144 },
    ),
  );
}

describe('a sweep of 100 withdrawals on the devnet chain', () => {
  it('is accepted and mined; its OP_RETURN commits to the ids GET /sweeps/:txid lists; the priced vsize is the real one', async () => {
    await mine(store, 1, 1);
    await realDeposit(1_500_000n);
    await realDeposit(1_000_000n);
    // 100 withdrawals with ids far apart (uint256, some above 2^64), each to its own P2WPKH script.
    const ids = Array.from({ length: 100 }, (_, i) => (i % 3 === 0 ? 2n ** 80n + BigInt(i) : BigInt(1_000 + i * 17)));
    for (const [i, id] of ids.entries()) {
      await store.transaction((tx) =>
        applyWithdrawalRequested(tx, { ...withdrawal(i + 1, 20_000n + BigInt(i)), withdrawalId: id.toString(), btcScriptPubKey: `0014${(i + 1).toString(16).padStart(40, '0')}` }),
      );
    }
    const planned = await store.transaction((tx) => planNextSweep(tx, rules({ feeRateSatPerVb: 3 })));
    if (planned.kind !== 'planned') throw new Error(planned.reason);
    expect(planned.waiting).toEqual([]);
    expect(planned.version.payouts).toHaveLength(100);
    const signed = await signAndBroadcast(store, planned.version, 1);
    expect(signed.signedHex).toBeDefined();

    // The devnet chain takes it (testmempoolaccept, then sendrawtransaction) and mines it.
    expect(node.testMempoolAccept([signed.signedHex!])[0]).toMatchObject({ allowed: true });
    expect(node.sendRawTransaction(signed.signedHex!)).toBe(signed.txid);
    node.generateToAddress(1, miner);
    const onChain = node.lookupTransaction(signed.txid);
    expect(onChain?.entry).toBeDefined();
    const tx: Transaction = onChain!.tx;

    // Exact size: what the planner priced the fee with is the mined transaction's weight and vsize.
    expect(tx.weight()).toBe(Transaction.fromHex(signed.signedHex!).weight());
    expect(tx.virtualSize()).toBe(planned.version.vsize);
    expect(Number(planned.version.feeSats)).toBeGreaterThanOrEqual(3 * tx.virtualSize());
    expect(Number(planned.version.feeSats)).toBeLessThan(3 * tx.virtualSize() + 100); // ceil per request, no more

    // From the chain plus the API: the API's id list, hashed, is what the mined OP_RETURN commits to.
    const api = (await queries.sweep(signed.txid, false))!;
    // Every id, once, in payout order (the planner pays the lowest ids first).
    expect(api.withdrawalIds).toEqual([...ids].sort((a, b) => (a < b ? -1 : 1)).map(String));
    const commitment = parseSweepCommitment(tx.outs[1]!.script);
    expect(commitment.count).toBe(100);
    expect(bytesToHex(commitment.digest)).toBe(bytesToHex(withdrawalIdsDigest(api.withdrawalIds.map(BigInt))));
    expect(api.commitmentDigest).toBe(bytesToHex(commitment.digest));
    // A list missing one id, or in another order, does not match.
    expect(bytesToHex(withdrawalIdsDigest(api.withdrawalIds.slice(1).map(BigInt)))).not.toBe(bytesToHex(commitment.digest));
    expect(bytesToHex(withdrawalIdsDigest([...api.withdrawalIds].reverse().map(BigInt)))).not.toBe(bytesToHex(commitment.digest));
    // And each payout the API names is the mined output at its vout: the script and the amount paid.
    for (const p of api.payouts) {
      expect(bytesToHex(tx.outs[p.vout]!.script)).toBe(p.scriptPubKey);
      expect(tx.outs[p.vout]!.value).toBe(BigInt(p.paidSats));
    }
    expect(new Set(api.payouts.map((p) => p.vout)).size).toBe(100);
    expect(tx.outs).toHaveLength(102);
  }, 120_000);
});
