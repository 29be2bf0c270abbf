// Profiling helper (not a benchmark): one in-process node over a store, the bench's 4,000 transfers submitted through
// the JSON-RPC handler (no HTTP), then the blocks produced; a CPU profile per phase written to PROFILE_DIR.
// argv: <memory|postgres> [pipeline|serial] (block pipelining on or off). Used to find where the time goes (see packages/evm/PERF.md).
import fs from 'node:fs';
import os from 'node:os';
import { Session } from 'node:inspector/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { Transaction, Wallet } from 'ethers';
import { devChainConfig, evmMigrationSql, EvmEngine, JsonRpcHandler, MemoryChainStore, PostgresChainStore, type ChainStore } from '../../src/index.js';
import { benchKeys } from './keys.js';

const SENDERS = 500;
const PER_SENDER = 8;
const kind = process.argv[2] ?? 'postgres';
const mode = process.argv[3] ?? 'pipeline';
const dir = process.env.PROFILE_DIR ?? '/tmp/evmprof';
fs.mkdirSync(dir, { recursive: true });
const config = devChainConfig({ blockTimeMs: 60_000, alloc: new Map(benchKeys(SENDERS).map((k) => [k.address.toLowerCase(), { balance: 10n ** 20n, nonce: 0n }])) });

const cacheFile = path.join(dir, `signed-${config.chainId}.json`);
let signed: string[];
if (fs.existsSync(cacheFile)) signed = JSON.parse(fs.readFileSync(cacheFile, 'utf8')) as string[];
else {
  const wallets = benchKeys(SENDERS).map((k) => new Wallet(k.privateKey));
  signed = [];
  for (let n = 0; n < PER_SENDER; n++) for (const w of wallets) {
    signed.push(await w.signTransaction(Transaction.from({ type: 2, chainId: config.chainId, nonce: n, to: '0x000000000000000000000000000000000000dEaD', value: 1n, gasLimit: 21_000n, maxFeePerGas: 10_000_000n * 4n, maxPriorityFeePerGas: 1n })));
  }
  fs.writeFileSync(cacheFile, JSON.stringify(signed));
}

let store: ChainStore;
let cleanup = async () => {};
if (kind === 'postgres') {
  const pool = new pg.Pool({ connectionString: process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres', max: 8 });
  const schema = `evm_prof_${randomBytes(4).toString('hex')}`;
  await pool.query(`CREATE SCHEMA "${schema}"`);
  const client = await pool.connect();
  await client.query(`SET search_path TO "${schema}"`);
  for (const sql of evmMigrationSql()) await client.query(sql);
  client.release();
  store = new PostgresChainStore(pool, schema);
  cleanup = async () => {
    await pool.query(`DROP SCHEMA "${schema}" CASCADE`);
    await pool.end();
  };
} else store = new MemoryChainStore();

// Time each block's commit (the store's share of a block's wall time).
const commitMs: number[] = [];
const commitBlock = store.commitBlock.bind(store);
store.commitBlock = async (commit) => {
  const t0 = performance.now();
  await commitBlock(commit);
  commitMs.push(performance.now() - t0);
};
const engine = await EvmEngine.open({ store, config, autoMine: false, pipelineBlocks: mode !== 'serial', mempoolLimits: { maxTransactions: 100_000, maxNonceGap: 1_000n, replacementBumpPercent: 10n } });
const handler = new JsonRpcHandler(engine, { limits: { maxBatchLength: 5_000, maxRequestBytes: 64 * 1024 * 1024 } });
const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.setSamplingInterval', { interval: 200 });
async function phase<T>(name: string, fn: () => Promise<T>): Promise<T> {
  await session.post('Profiler.start');
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const out = await fn();
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  const { profile } = await session.post('Profiler.stop');
  fs.writeFileSync(path.join(dir, `${kind}-${name}.cpuprofile`), JSON.stringify(profile));
  console.log(`${kind} ${mode} ${name} (load ${os.loadavg()[0]!.toFixed(1)}): ${ms.toFixed(0)} ms wall, ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms CPU (${(((cpu.user + cpu.system) / 1000) / signed.length * 1000).toFixed(0)} µs per transfer)`);
  return out;
}
await phase('admit', async () => {
  for (let i = 0; i < signed.length; i += 250) {
    const body = JSON.stringify(signed.slice(i, i + 250).map((raw, j) => ({ jsonrpc: '2.0', id: i + j, method: 'eth_sendRawTransaction', params: [raw] })));
    const reply = JSON.parse((await handler.handle(body))!) as { error?: unknown }[];
    if (reply.some((r) => r.error !== undefined)) throw new Error(JSON.stringify(reply.find((r) => r.error !== undefined)));
  }
});
const roots: string[] = [];
await phase('blocks', async () => {
  while (engine.mempoolSize > 0) {
    const { block } = await engine.produceBlock();
    roots.push(`${block.header.number}:${block.transactions.length}:${Buffer.from(block.header.stateRoot).toString('hex')}`);
  }
});
handler.dispose();
await engine.close();
await cleanup();
console.log(roots.join('\n'));
console.log(`commit wall time per block (ms): ${commitMs.slice(1).map((ms) => ms.toFixed(0)).join(', ')}`);
