// Child process for evm.bench.ts: a node on its own core, so the load generator does not share its event loop.
// argv: <memory|postgres> <funded-account-count> [pipeline|serial]. Prints "READY <url>" when serving; exits on SIGTERM.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { devChainConfig, evmMigrationSql, EvmEngine, MemoryChainStore, PostgresChainStore, startJsonRpcServer, type ChainStore } from '../../src/index.js';
import { benchKeys } from './keys.js';

const [kind = 'memory', countArg = '1000', mode = 'pipeline'] = process.argv.slice(2);
const config = devChainConfig({
  blockTimeMs: 60_000,
  alloc: new Map(benchKeys(Number(countArg)).map((k) => [k.address.toLowerCase(), { balance: 10n ** 20n, nonce: 0n }])),
});

let store: ChainStore;
let cleanup = async () => {};
if (kind === 'postgres') {
  const pool = new pg.Pool({ connectionString: process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres', max: 8 });
  const schema = `evm_bench_${randomBytes(4).toString('hex')}`;
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
} else {
  store = new MemoryChainStore();
}

const engine = await EvmEngine.open({ store, config, pipelineBlocks: mode !== 'serial', mempoolLimits: { maxTransactions: 100_000, maxNonceGap: 1_000n, replacementBumpPercent: 10n } });
const server = await startJsonRpcServer({ engine, port: 0, rpc: { limits: { maxBatchLength: 5_000, maxRequestBytes: 64 * 1024 * 1024 } } });
// Worker threads load before the clock starts (loading them costs seconds of CPU, once per process).
await engine.warmUp();
process.stdout.write(`READY ${server.url}\n`);
process.on('SIGTERM', () => {
  void (async () => {
    await server.close();
    await engine.close();
    await cleanup();
    process.exit(0);
  })();
});
