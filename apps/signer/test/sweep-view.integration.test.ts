// The real view implementations against a real devnet chain (Core RPC and Esplora), a real EVM engine behind its
// JSON-RPC server with a burn through the Bridge contract, and the signer's Postgres record: the sweep policy accepts
// a sweep of a really confirmed deposit paying a really final burn, and refuses an unconfirmed deposit and an id
// nobody burned.
import { schnorr } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { buildSweep, depositAddress, witnessScript, type DepositAddress, type SweepParams } from '@tapbridge/bitcoin';
import { createChainSources, parseSourceSpecs } from '@tapbridge/chain-source';
import { createPrismaClient, migrate } from '@tapbridge/db';
import { startTestDevnetChain, type TestDevnetChain } from '@tapbridge/devnet-chain/testing';
import { addressOfPrivateKey, devChainConfig, EvmEngine, MemoryChainStore, startJsonRpcServer, type JsonRpcServer } from '@tapbridge/evm';
import { HeaderSync } from '@tapbridge/light-client';
import {
  custodyFor,
  EvmRpcL2View,
  resolveSigningRequest,
  SignerHeaderStore,
  SourcesBitcoinView,
  SweepPolicy,
  type CustodySettings,
  type SigningRequestWire,
  type SweepContext,
} from '@tapbridge/signing';
import { createTestDatabase, type TestDatabase } from '@tapbridge/testing';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrismaClient } from '../src/generated/prisma/client.js';
import { PostgresSignedSweepStore } from '../src/signed-sweep-store.js';
import { sendBurn } from './support/evm-burn.js';

const seeded = (label: string) => sha256(new TextEncoder().encode(label));
const GROUP_KEY = schnorr.getPublicKey(seeded('integration group'));
const CUSTODY_SETTINGS: CustodySettings = { network: 'regtest', recoveryKeys: [], recoveryThreshold: 1, recoveryLock: 52_560 };
const CUSTODY_SPK = Uint8Array.from(Buffer.from(custodyFor(GROUP_KEY, CUSTODY_SETTINGS).scriptPubKey, 'hex'));
const BURNER_KEY = seeded('burner');
const PAYOUT = witnessScript(0, seeded('payout key hash').subarray(0, 20));
const SCHEMA = 'signer'; // the schema the generated client names (a database of its own per test file)

let chain: TestDevnetChain;
let engine: EvmEngine;
let rpc: JsonRpcServer;
let db: TestDatabase;
let pool: pg.Pool;
let prisma: PrismaClient;
let confirmed: { txid: string; vout: number; value: bigint; address: DepositAddress };
let unconfirmed: { txid: string; vout: number; value: bigint; address: DepositAddress };

function depositFor(i: number): DepositAddress {
  return depositAddress({ network: 'regtest', groupKey: GROUP_KEY, recipient: `0x${'ab'.repeat(20)}`, maxFee: 20_000n, reclaimKey: schnorr.getPublicKey(seeded(`reclaim ${i}`)), lockBlocks: 1_000 });
}

function voutOf(txid: string, spk: Uint8Array): number {
  const tx = chain.node.lookupTransaction(txid);
  if (!tx) throw new Error(`devnet does not know ${txid}`);
  const vout = tx.tx.outs.findIndex((o) => bytesToHex(o.script) === bytesToHex(spk));
  if (vout < 0) throw new Error('deposit output not found');
  return vout;
}

/** A light client over `specs`, synced once, and the Bitcoin view over it. */
async function bitcoinView(spec: string): Promise<SourcesBitcoinView> {
  const sources = createChainSources(parseSourceSpecs(spec));
  const headers = new SignerHeaderStore();
  const sync = await HeaderSync.open({ network: 'regtest', store: headers, sources });
  await sync.syncOnce();
  expect(headers.tip?.height).toBe(chain.node.tip.height);
  return new SourcesBitcoinView({ headers, sources, refresh: () => sync.syncOnce() });
}

function l2View(): EvmRpcL2View {
  return new EvmRpcL2View({ url: rpc.url, finalityDepth: 3n });
}

beforeAll(async () => {
  chain = await startTestDevnetChain(101);
  const a = depositFor(1);
  const b = depositFor(2);
  const txA = chain.node.sendToAddress(a.address, 500_000n);
  chain.node.generateToAddress(6, chain.address);
  const txB = chain.node.sendToAddress(b.address, 300_000n);
  confirmed = { txid: txA, vout: voutOf(txA, a.scriptPubKey), value: 500_000n, address: a };
  unconfirmed = { txid: txB, vout: voutOf(txB, b.scriptPubKey), value: 300_000n, address: b };

  const burner = addressOfPrivateKey(BURNER_KEY).toLowerCase();
  engine = await EvmEngine.open({ store: new MemoryChainStore(), config: devChainConfig({ alloc: new Map([[burner, { balance: 10n ** 18n, nonce: 0n }]]) }), autoMine: false });
  rpc = await startJsonRpcServer({ engine, port: 0 });
  await sendBurn(engine, BURNER_KEY, 0n, PAYOUT, 40_000n, 3_000n);
  await engine.produceBlock();
  for (let i = 0; i < 3; i++) await engine.produceBlock();

  db = await createTestDatabase();
  await migrate({ databaseUrl: db.url, schema: SCHEMA, migrationsDir: fileURLToPath(new URL('../prisma/migrations', import.meta.url)) });
  pool = new pg.Pool({ connectionString: db.url, max: 2 });
  prisma = createPrismaClient(PrismaClient, { pool, schema: SCHEMA });
}, 120_000);

afterAll(async () => {
  await prisma?.$disconnect();
  await pool?.end();
  await db?.drop();
  await rpc?.close();
  await engine?.close();
  await chain?.close();
}, 60_000);

describe('the signer view against a real devnet chain', () => {
  it.each([
    ['Esplora', () => `esplora+${chain.esploraUrl}`],
    ['Core RPC', () => `core+${chain.rpcUrl}#cookie=${chain.cookieFile}`],
  ])('%s: proves a confirmed deposit against its own header chain and refuses one only in the mempool', async (_name, spec) => {
    const view = await bitcoinView(spec());
    const proven = await view.provenTransaction(confirmed.txid);
    expect(proven.ok).toBe(true);
    if (proven.ok) {
      expect(proven.value.confirmations).toBe(6);
      expect(proven.value.tx.outputs[confirmed.vout]?.value).toBe(500_000n);
      expect(bytesToHex(proven.value.tx.outputs[confirmed.vout]!.scriptPubKey)).toBe(bytesToHex(confirmed.address.scriptPubKey));
    }
    const pending = await view.provenTransaction(unconfirmed.txid);
    expect(pending.ok).toBe(false);
    if (!pending.ok) expect(pending.reason).toMatch(/is not confirmed on the signer's own chain/);
    expect(await view.outputSpend(confirmed.txid, confirmed.vout)).toEqual({ spent: false });
  }, 60_000);

  it('catches up once when a proof names a block its light client has not seen yet (a signer polling behind)', async () => {
    const view = await bitcoinView(`esplora+${chain.esploraUrl}`);
    const raw = chain.node.createSignedTransaction(depositFor(3).address, 200_000n);
    const { hash } = chain.node.generateBlock(chain.address, [bytesToHex(raw)]);
    const txid = chain.node.getEntry(hash).txids[1]!;
    const proven = await view.provenTransaction(txid);
    expect(proven.ok && proven.value.blockHash).toBe(hash);
    expect(proven.ok && proven.value.confirmations).toBe(1);
  }, 60_000);
});

describe('the signer view against a real EVM JSON-RPC', () => {
  it('finds a real burn once final, by its indexed id, and nothing for an id nobody burned', async () => {
    const found = await l2View().finalWithdrawals([0n, 5n]);
    expect([...found.keys()]).toEqual([0n]);
    const w = found.get(0n)!;
    expect(w.amountSats).toBe(40_000n);
    expect(w.maxFeeSats).toBe(3_000n);
    expect(bytesToHex(w.btcScriptPubKey)).toBe(bytesToHex(PAYOUT));
    expect(w.sender).toBe(addressOfPrivateKey(BURNER_KEY).toLowerCase());
  }, 60_000);

  it('does not count a burn before it is buried under the finality depth', async () => {
    await sendBurn(engine, BURNER_KEY, 1n, PAYOUT, 50_000n, 3_000n);
    await engine.produceBlock();
    expect((await l2View().finalWithdrawals([1n])).has(1n)).toBe(false);
    for (let i = 0; i < 2; i++) await engine.produceBlock();
    expect((await l2View().finalWithdrawals([1n])).has(1n)).toBe(false);
    await engine.produceBlock();
    expect((await l2View().finalWithdrawals([1n])).get(1n)?.amountSats).toBe(50_000n);
  }, 60_000);
});

describe('the sweep policy over the real views and the Postgres record', () => {
  const sweepOf = (deposits: Array<typeof confirmed>, ids: Array<{ id: bigint; amountSats: bigint }>): { params: SweepParams; context: SweepContext } => {
    const params: SweepParams = {
      custodyScriptPubKey: CUSTODY_SPK,
      deposits: deposits.map((d) => ({ txid: d.txid, vout: d.vout, value: d.value, kind: 'deposit-leaf' as const, scriptPubKey: d.address.scriptPubKey, leafScript: d.address.depositLeaf.script, controlBlock: d.address.depositLeaf.controlBlock, maxFeeSats: 20_000n })),
      withdrawals: ids.map((w) => ({ id: w.id, scriptPubKey: PAYOUT, amountSats: w.amountSats, maxFeeSats: 3_000n })),
      fee: 1_000n,
    };
    const context: SweepContext = {
      withdrawalIds: ids.map((w) => w.id.toString()),
      deposits: deposits.map((d) => ({ txid: d.txid, vout: d.vout, kind: 'deposit-leaf' as const, depositScript: bytesToHex(d.address.depositLeaf.script), reclaimScript: bytesToHex(d.address.reclaimLeaf.script) })),
    };
    return { params, context };
  };
  const requestFor = (params: SweepParams, context: SweepContext, inputIndex: number, n: number): SigningRequestWire => {
    const build = buildSweep(params);
    return {
      requestId: `it-${n}-${inputIndex}`,
      purpose: 'sweep',
      payload: {
        kind: 'taproot-sighash',
        transaction: build.hex,
        inputIndex,
        prevouts: build.prevouts.map((p) => ({ value: p.value.toString(), scriptPubKey: bytesToHex(p.scriptPubKey) })),
        leafHash: bytesToHex(build.inputSpends[inputIndex]!.leafHash!),
      },
      tweak: { kind: 'none' },
      context: { sweep: context },
    };
  };

  it('signs a sweep of a confirmed deposit paying a final burn, recording it; refuses an unconfirmed deposit and a missing id', async () => {
    const signed = new PostgresSignedSweepStore(prisma);
    const policy = new SweepPolicy({
      groupKey: () => GROUP_KEY,
      custody: CUSTODY_SETTINGS,
      bitcoin: await bitcoinView(`esplora+${chain.esploraUrl}`),
      l2: l2View(),
      signed,
      rules: { depositConfirmations: 6, custodyConfirmations: 1, minFeeRate: 1, maxFeeRate: 100, outflowLimitBps: 1_000, outflowWindowMs: 86_400_000, opReturnMaxFeeSats: 10_000n, reclaimSafetyBlocks: 3 },
    });
    const good = sweepOf([confirmed], [{ id: 0n, amountSats: 40_000n }]);
    const verdict = await policy.evaluate(resolveSigningRequest(requestFor(good.params, good.context, 0, 1)));
    expect(verdict).toEqual({ allow: true });
    const recorded = await signed.payingAny([0n]);
    expect(recorded.map((s) => s.txid)).toEqual([buildSweep(good.params).txid]);
    expect(recorded[0]?.spends).toBe(`${confirmed.txid}:${confirmed.vout}`);

    const withPending = sweepOf([confirmed, unconfirmed], [{ id: 0n, amountSats: 40_000n }]);
    const refusedPending = await policy.evaluate(resolveSigningRequest(requestFor(withPending.params, withPending.context, 1, 2)));
    expect(refusedPending.allow).toBe(false);
    if (!refusedPending.allow) expect(refusedPending.reason).toMatch(new RegExp(`deposit 1 \\(input 1\\) ${unconfirmed.txid}:${unconfirmed.vout}: transaction ${unconfirmed.txid} is not confirmed on the signer's own chain`));

    const missing = sweepOf([confirmed], [{ id: 0n, amountSats: 40_000n }, { id: 9n, amountSats: 40_000n }]);
    const refusedMissing = await policy.evaluate(resolveSigningRequest(requestFor(missing.params, missing.context, 0, 3)));
    expect(refusedMissing.allow).toBe(false);
    if (!refusedMissing.allow) expect(refusedMissing.reason).toMatch(/no final WithdrawalRequested log for withdrawal id 9/);
  }, 120_000);
});
