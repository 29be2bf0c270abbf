// The built deposit-indexer end to end, behind the built header-watcher: real Postgres, NATS JetStream and an
// in-process devnet chain (Core JSON-RPC and Esplora). Deposits are registered over REST, paid and mined on the
// devnet chain; what reached the DEPOSIT stream is read back and checked event by event.
import { randomBytes } from 'node:crypto';
import { schnorr } from '@noble/curves/secp256k1.js';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addressToOutputScript, buildReclaimTx, bytesToHex, custodyAddress, depositAddress, hashToHex, verifyMerkleBlockProof } from '@tapbridge/bitcoin';
import { deleteStreams, request, type Messaging } from '@tapbridge/messaging';
import { z } from 'zod';
import { createTestDatabase, deleteRedisKeys, waitFor, type TestDatabase } from '@tapbridge/testing';
import { ServiceProcess, buildApps, connectStream, readStream, startChain, type StreamEvent } from './support/harness.js';

type Chain = Awaited<ReturnType<typeof startChain>>;
const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

const groupKey = schnorr.getPublicKey(randomBytes(32));
const custody = custodyAddress({ network: 'regtest', groupKey, recovery: { recoveryLock: 1000, keys: [schnorr.getPublicKey(randomBytes(32))], threshold: 1 } });
const depositorSecret = randomBytes(32);

interface Deposit {
  txid: string;
  vout: number;
  address: ReturnType<typeof depositAddress>;
  body: { txid: string; vout: number; depositScript: string; reclaimScript: string };
}

/** Pays a fresh deposit address from the devnet wallet (unconfirmed). */
function pay(chain: Chain, amount: bigint, options: { lockBlocks?: number; maxFee?: bigint; recipient?: string } = {}): Deposit {
  const address = depositAddress({
    network: 'regtest',
    groupKey,
    recipient: options.recipient ?? '0x' + bytesToHex(randomBytes(20)),
    maxFee: options.maxFee ?? 2_000n,
    reclaimKey: schnorr.getPublicKey(depositorSecret),
    lockBlocks: options.lockBlocks ?? 144,
  });
  const txid = chain.node.sendToAddress(address.address, amount);
  const vout = chain.node.lookupTransaction(txid)!.tx.outs.findIndex((o) => bytesToHex(o.script) === bytesToHex(address.scriptPubKey));
  return { txid, vout, address, body: { txid, vout, depositScript: bytesToHex(address.depositLeaf.script), reclaimScript: bytesToHex(address.reclaimLeaf.script) } };
}

interface DepositView {
  status: string;
  blockHash?: string;
  confirmations: number;
  amountSats: string;
  history: Array<{ status: string; blockHash?: string }>;
}

async function status(indexer: ServiceProcess, d: { txid: string; vout: number }): Promise<DepositView> {
  return (await indexer.get<DepositView>(`/deposits/${d.txid}/${d.vout}`)).body;
}

async function waitForStatus(indexer: ServiceProcess, d: { txid: string; vout: number }, wanted: string, blockHash?: string): Promise<DepositView> {
  return waitFor(
    `deposit ${d.txid}:${d.vout} ${wanted}${blockHash ? ` in ${blockHash}` : ''}`,
    async () => {
      const v = await status(indexer, d);
      return v.status === wanted && (blockHash === undefined || v.blockHash === blockHash) ? v : undefined;
    },
    30_000,
    100,
  );
}

const deposits = async (messaging: Messaging): Promise<StreamEvent[]> => readStream(messaging, 'DEPOSIT');

/** The DEPOSIT stream's events about one transaction, once at least `count` arrived (the outbox relay runs after commit). */
async function eventsAbout(messaging: Messaging, txid: string, count: number): Promise<StreamEvent[]> {
  return waitFor(`${count} deposit events about ${txid}`, async () => {
    const found = (await deposits(messaging)).filter((e) => e.payload.txid === txid);
    return found.length >= count ? found : undefined;
  }, 30_000, 100);
}
const mine = (chain: Chain, n = 1): string[] => chain.node.generateToAddress(n, chain.address);

async function stack(chainBlocks = 110) {
  const chain = await startChain(chainBlocks);
  cleanups.push(() => chain.close());
  const db: TestDatabase = await createTestDatabase();
  const { prefix, messaging } = await connectStream();
  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  cleanups.push(() => db.drop(), async () => {
    // After the services stopped (cleanups run in reverse): this test's streams and Redis keys (its prefix alone).
    await deleteStreams(messaging.jsm, messaging.naming);
    await messaging.close();
    await deleteRedisKeys(`${prefix}:*`);
  }, () => pool.end());
  const common = { DATABASE_URL: db.url, STREAM_PREFIX: prefix };
  const watcher = await ServiceProcess.start('header-watcher', { ...common, BTC_SOURCES: `core+${chain.rpcUrl}#cookie=${chain.cookieFile}` });
  cleanups.push(() => watcher.kill('SIGKILL'));
  const indexerEnv = {
    ...common,
    BTC_SOURCES: `esplora+${chain.esploraUrl},core+${chain.rpcUrl}#cookie=${chain.cookieFile}`,
    DEPOSIT_CONFIRMATIONS: '2',
    CUSTODY_GROUP_KEY: bytesToHex(groupKey),
    CUSTODY_ADDRESS: custody.address,
  };
  const startIndexer = async () => {
    const p = await ServiceProcess.start('deposit-indexer', indexerEnv);
    cleanups.push(() => p.kill('SIGKILL'));
    return p;
  };
  return { chain, messaging, pool, watcher, indexer: await startIndexer(), startIndexer };
}

/** Waits until the indexer has applied the chain's tip. */
async function caughtUp(pool: pg.Pool, chain: Chain, timeoutMs = 30_000): Promise<void> {
  await waitFor(
    `indexer at ${chain.node.tip.hash}`,
    async () => (await pool.query(`SELECT 1 FROM deposit_indexer.chain_block WHERE hash = $1`, [chain.node.tip.hash])).rowCount === 1,
    timeoutMs,
    100,
  );
}

// Building the apps and what they import took 8 minutes once on the shared 2-core machine (load 20+).
beforeAll(() => buildApps(), 900_000);

describe('deposit-indexer end to end', () => {
  let s: Awaited<ReturnType<typeof stack>>;
  beforeAll(async () => {
    s = await stack();
  }, 120_000);

  it('register, pay, mine, confirm: deposit.confirmed exactly once, with a proof packages/bitcoin verifies', async () => {
    const { chain, indexer, messaging, pool } = s;
    const d = pay(chain, 100_000n, { recipient: '0x' + '11'.repeat(20) });
    const created = await indexer.request<DepositView>('POST', '/deposits', d.body);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ status: 'registered', amountSats: '100000', confirmations: 0 });
    const again = await indexer.request<DepositView>('POST', '/deposits', d.body);
    expect(again.status).toBe(200);

    const [b1] = mine(chain);
    await waitForStatus(indexer, d, 'seen', b1);
    mine(chain);
    const confirmed = await waitForStatus(indexer, d, 'confirmed', b1);
    expect(confirmed.confirmations).toBe(2);
    expect(confirmed.history.map((h) => h.status)).toEqual(['registered', 'seen', 'confirmed']);
    mine(chain, 2);
    await caughtUp(pool, chain);

    const events = (await eventsAbout(messaging, d.txid, 1)).filter((e) => e.subject === 'deposit.confirmed');
    expect(events).toHaveLength(1);
    const p = events[0]!.payload;
    expect(p).toMatchObject({ txid: d.txid, vout: d.vout, amountSats: '100000', recipient: '0x' + '11'.repeat(20), maxFeeSats: '2000', blockHash: b1, confirmations: 2, kind: 'taproot' });
    expect(events[0]!.id).toBe(`deposit.confirmed:${d.txid}:${d.vout}:${b1}`);
    const proof = verifyMerkleBlockProof(p.merkleProof as string);
    expect(hashToHex(proof.blockHash)).toBe(b1);
    expect(proof.matches.map((m) => hashToHex(m.txid))).toEqual([d.txid]);

    const list = await indexer.get<{ items: Array<{ txid: string }> }>(`/deposits?recipient=${'0x' + '11'.repeat(20)}&status=confirmed`);
    expect(list.body.items.map((i) => i.txid)).toEqual([d.txid]);
    const metrics = (await indexer.get<string>('/metrics')).body;
    expect(metrics).toMatch(/^tapbridge_deposits\{status="confirmed"\} 1$/m);
    expect(metrics).toMatch(/^tapbridge_blocks_scanned_total [1-9]\d*$/m);
    expect(metrics).toMatch(/^tapbridge_block_scan_seconds_count [1-9]\d*$/m);
    const custodySet = await indexer.get<{ utxos: unknown[]; totalSats: string }>('/custody/utxos');
    expect(custodySet).toMatchObject({ status: 200, body: { utxos: [], totalSats: '0' } });
    const docs = await indexer.get<{ paths: Record<string, unknown> }>('/docs-json');
    expect(Object.keys(docs.body.paths)).toEqual(expect.arrayContaining(['/deposits', '/deposits/{txid}/{vout}', '/custody/utxos']));

    // The same reads over rpc.deposits.* (what the sweep-coordinator asks), with the same answers and error codes.
    const viaRpc = await request(messaging, 'deposits.deposit.get', { txid: d.txid, vout: d.vout }, { response: z.looseObject({ status: z.string(), blockHash: z.string(), history: z.array(z.unknown()) }) });
    expect(viaRpc).toMatchObject({ status: 'confirmed', blockHash: b1, history: expect.any(Array) });
    await expect(request(messaging, 'deposits.deposit.get', { txid: 'ab'.repeat(32), vout: 0 }, { response: z.unknown() })).rejects.toMatchObject({ code: 'not_found' });
    await expect(request(messaging, 'deposits.deposit.get', { txid: d.txid.toUpperCase(), vout: 0 }, { response: z.unknown() })).rejects.toMatchObject({ code: 'invalid_request', message: expect.stringMatching(/^txid: /) });
    expect(await request(messaging, 'deposits.custody.utxos', {}, { response: z.looseObject({ totalSats: z.string(), utxos: z.array(z.unknown()) }) })).toMatchObject({ totalSats: '0', utxos: [] });
    const problem = await fetch(`${indexer.service.url}/deposits/${'ab'.repeat(32)}/0`);
    expect(problem.status).toBe(404);
    expect(problem.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await problem.json()).toMatchObject({ status: 404, code: 'not_found', instance: `/deposits/${'ab'.repeat(32)}/0` });
  });

  it('registered after it was mined: found through the source\'s merkle block and confirmed at once', async () => {
    const { chain, indexer, messaging, pool } = s;
    const d = pay(chain, 70_000n);
    const [b1] = mine(chain, 3);
    await caughtUp(pool, chain);
    const r = await indexer.request<DepositView>('POST', '/deposits', d.body);
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ status: 'confirmed', blockHash: b1, confirmations: 3 });
    expect(r.body.history.map((h) => h.status)).toEqual(['registered', 'seen', 'confirmed']);
    const events = await eventsAbout(messaging, d.txid, 1);
    expect(events.map((e) => e.id)).toEqual([`deposit.confirmed:${d.txid}:${d.vout}:${b1}`]);
    expect(verifyMerkleBlockProof(events[0]!.payload.merkleProof as string).matches.map((m) => hashToHex(m.txid))).toContain(d.txid);
  });

  it('rejects bad registrations with the rule they break', async () => {
    const { chain, indexer } = s;
    const d = pay(chain, 20_000n);
    const cases: Array<[Record<string, unknown>, number, RegExp]> = [
      [{ ...d.body, depositScript: d.body.depositScript.slice(0, -2) + 'ad' }, 400, /^deposit leaf: /],
      [{ ...d.body, reclaimScript: '00' + d.body.reclaimScript.slice(2) }, 400, /^reclaim leaf: /],
      [{ ...d.body, vout: d.vout === 0 ? 1 : 0 }, 422, /not .* \(the P2TR of these deposit and reclaim leaves\)/],
      [{ ...d.body, vout: 7 }, 422, /does not exist/],
      [{ ...d.body, txid: 'ab'.repeat(32) }, 404, /not known/],
      [{ ...d.body, vout: -1 }, 400, /vout/],
    ];
    for (const [body, code, message] of cases) {
      const r = await indexer.request<{ message: string | string[] }>('POST', '/deposits', body);
      expect(r.status, JSON.stringify(body)).toBe(code);
      expect(String(r.body.message)).toMatch(message);
    }
    const foreign = depositAddress({ network: 'regtest', groupKey: schnorr.getPublicKey(randomBytes(32)), recipient: '0x' + '22'.repeat(20), maxFee: 1n, reclaimKey: groupKey, lockBlocks: 5 });
    const r = await indexer.request<{ code: string }>('POST', '/deposits', { ...d.body, depositScript: bytesToHex(foreign.depositLeaf.script) });
    expect(r).toMatchObject({ status: 422, body: { code: 'wrong-group-key' } });
    const greedy = pay(chain, 1_000n, { maxFee: 1_000n });
    expect((await indexer.request<{ code: string }>('POST', '/deposits', greedy.body)).body.code).toBe('max-fee-not-below-amount');
  });

  it('a reorg before the threshold drops it; re-mined, it confirms in its new block', async () => {
    const { chain, indexer, messaging } = s;
    const d = pay(chain, 30_000n);
    expect((await indexer.request('POST', '/deposits', d.body)).status).toBe(201);
    const parent = chain.node.tip.hash;
    const [b1] = mine(chain);
    await waitForStatus(indexer, d, 'seen', b1);
    chain.node.mineOn(parent, 2); // a longer branch without the deposit; the deposit goes back to the mempool
    await waitForStatus(indexer, d, 'dropped');
    const [b2] = mine(chain);
    await waitForStatus(indexer, d, 'seen', b2);
    mine(chain);
    const v = await waitForStatus(indexer, d, 'confirmed', b2);
    expect(v.history.map((h) => h.status)).toEqual(['registered', 'seen', 'dropped', 'seen', 'confirmed']);
    const mine2 = await eventsAbout(messaging, d.txid, 1);
    expect(mine2.map((e) => e.id)).toEqual([`deposit.confirmed:${d.txid}:${d.vout}:${b2}`]);
  });

  it('a reorg after the threshold emits deposit.reorged, then confirms again on the new chain', async () => {
    const { chain, indexer, messaging } = s;
    const d = pay(chain, 40_000n);
    await indexer.request('POST', '/deposits', d.body);
    const parent = chain.node.tip.hash;
    const [b1] = mine(chain, 2);
    await waitForStatus(indexer, d, 'confirmed', b1);
    chain.node.mineOn(parent, 3);
    await waitForStatus(indexer, d, 'reorged');
    const [b2] = mine(chain, 2);
    await waitForStatus(indexer, d, 'confirmed', b2);
    const events = await eventsAbout(messaging, d.txid, 3);
    expect(events.map((e) => e.id)).toEqual([
      `deposit.confirmed:${d.txid}:${d.vout}:${b1}`,
      `deposit.reorged:${d.txid}:${d.vout}:${b1}`,
      `deposit.confirmed:${d.txid}:${d.vout}:${b2}`,
    ]);
    expect(events[1]!.payload).toMatchObject({ amountSats: '40000', blockHash: b1 });
  });

  it('detects a reclaim after the lock as deposit.reclaimed', async () => {
    const { chain, indexer, messaging } = s;
    const lockBlocks = 3;
    const d = pay(chain, 50_000n, { lockBlocks });
    await indexer.request('POST', '/deposits', d.body);
    const [b1] = mine(chain);
    await waitForStatus(indexer, d, 'seen', b1);
    const reclaim = buildReclaimTx({
      deposit: { txid: d.txid, vout: d.vout, value: 50_000n },
      depositScript: d.address.depositLeaf.script,
      reclaimScript: d.address.reclaimLeaf.script,
      depositorSecretKey: depositorSecret,
      destinationScriptPubKey: addressToOutputScript(chain.node.getNewAddress(), 'regtest'),
      feeRate: 2,
    });
    // BIP68: the spend can be mined lockBlocks after the deposit's block, not before.
    expect(() => chain.node.sendRawTransaction(reclaim.hex)).toThrow(/non-BIP68-final/);
    mine(chain, lockBlocks - 1);
    expect(chain.node.sendRawTransaction(reclaim.hex)).toBe(reclaim.txid);
    const [spentIn] = mine(chain);
    const v = await waitForStatus(indexer, d, 'reclaimed');
    expect(v.history.map((h) => h.status)).toEqual(['registered', 'seen', 'confirmed', 'reclaimed']);
    mine(chain);
    const event = await waitFor('deposit.reclaimed', async () => (await deposits(messaging)).find((e) => e.subject === 'deposit.reclaimed' && e.payload.txid === d.txid), 30_000, 100);
    expect(event.payload).toEqual({ txid: d.txid, vout: d.vout, spendTxid: reclaim.txid, blockHash: spentIn, blockHeight: expect.any(Number) });
  });
  it('pages through deposits newest first, filtered by status', async () => {
    const { chain, indexer, pool } = s;
    // Its own deposits, so paging has several pages whatever else ran: five registered, not mined.
    const own = Array.from({ length: 5 }, () => pay(chain, 50_000n));
    for (const d of own) expect((await indexer.request('POST', '/deposits', d.body)).status).toBe(201);
    const total = Number((await pool.query<{ n: string }>(`SELECT count(*) AS n FROM deposit_indexer.deposit`)).rows[0]!.n);
    expect(total).toBeGreaterThanOrEqual(5);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await indexer.get<{ items: Array<{ txid: string; vout: number; registeredAt: string }>; nextCursor?: string }>(`/deposits?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.items.map((i) => `${i.txid}:${i.vout}`));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(total);
    expect(new Set(seen).size).toBe(total);
    for (const d of own) expect(seen).toContain(`${d.txid}:${d.vout}`);
    // Newest first: the last registered leads the first page.
    expect(seen[0]).toBe(`${own[4]!.txid}:${own[4]!.vout}`);
    const registered = await indexer.get<{ items: Array<{ txid: string; status: string }> }>('/deposits?status=registered&limit=100');
    expect(registered.body.items.every((i) => i.status === 'registered')).toBe(true);
    expect(registered.body.items.map((i) => i.txid)).toEqual(expect.arrayContaining(own.map((d) => d.txid)));
    expect((await indexer.get('/deposits?status=lost')).status).toBe(400);
  });
});

describe('deposit-indexer crash', () => {
  it('SIGKILLed mid-block resumes without loss or duplicates', async () => {
    const { chain, indexer, messaging, pool, startIndexer } = await stack();
    const paid: Deposit[] = [];
    for (let i = 0; i < 12; i++) {
      const d = pay(chain, 10_000n + BigInt(i));
      expect((await indexer.request('POST', '/deposits', d.body)).status).toBe(201);
      paid.push(d);
      if (i % 3 === 2) mine(chain);
    }
    mine(chain, 30);
    // Kill it while it is working through the blocks (each one is fetched, verified and applied in turn).
    await waitFor('some blocks applied', async () => Number((await pool.query<{ n: string }>(`SELECT count(*) AS n FROM deposit_indexer.chain_block`)).rows[0]!.n) >= 3, 30_000, 5);
    expect(await indexer.kill('SIGKILL')).toBeNull();
    const appliedAtKill = Number((await pool.query<{ n: string }>(`SELECT count(*) AS n FROM deposit_indexer.chain_block`)).rows[0]!.n);
    const restarted = await startIndexer();
    // The event in flight at the kill comes back once its ack wait (10 s) runs out.
    await caughtUp(pool, chain, 60_000);
    for (const d of paid) await waitForStatus(restarted, d, 'confirmed');
    const events = await waitFor('12 deposit.confirmed', async () => {
      const all = (await deposits(messaging)).filter((e) => e.subject === 'deposit.confirmed');
      return all.length >= 12 ? all : undefined;
    }, 30_000, 100);
    expect(events).toHaveLength(12);
    expect(new Set(events.map((e) => e.id)).size).toBe(12);
    expect(new Set(events.map((e) => `${String(e.payload.txid)}:${String(e.payload.vout)}`))).toEqual(new Set(paid.map((d) => `${d.txid}:${d.vout}`)));
    // The indexer's chain is the devnet chain from the first block it saw, with no gap.
    const blocks = (await pool.query<{ hash: string; height: number }>(`SELECT hash, height FROM deposit_indexer.chain_block ORDER BY height`)).rows;
    expect(blocks.length).toBeGreaterThan(appliedAtKill);
    for (const b of blocks) expect(b.hash).toBe(chain.node.getBlockHash(b.height));
    expect(blocks.at(-1)!.height - blocks[0]!.height + 1).toBe(blocks.length);
    const outbox = (await pool.query<{ n: string; d: string }>(`SELECT count(*) AS n, count(DISTINCT event_id) AS d FROM deposit_indexer.outbox`)).rows[0]!;
    expect(outbox.n).toBe(outbox.d);
  });
});
