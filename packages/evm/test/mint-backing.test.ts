// A minted deposit's Bitcoin backing over reorgs: reorged → re-confirmed → reorged again, with its history, on every
// store (memory, file, Postgres), and surviving a reopen where the store is durable.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Wallet } from 'ethers';
import { afterAll, describe, expect, it } from 'vitest';
import { EvmEngine, FileChainStore, MemoryChainStore, PostgresChainStore, type ChainStore } from '../src/index.js';
import { fundedConfig, testWallets } from './support/chain.js';
import { createTestSchema, postgresReachable, type TestSchema } from './support/postgres.js';

const reachable = await postgresReachable();
const [alice, bob] = testWallets(2) as [Wallet, Wallet];
const OLD_BLOCK = 'aa'.repeat(32);
const NEW_BLOCK = 'bb'.repeat(32);

async function exercise(open: () => Promise<ChainStore>): Promise<void> {
  const config = fundedConfig([alice]);
  let engine = await EvmEngine.open({ store: await open(), config, autoMine: false });
  const events: string[] = [];
  const listen = (e: EvmEngine) => {
    e.on('mintReorged', (r) => events.push(`reorged ${r.depositId}`));
    e.on('mintReconfirmed', (r) => events.push(`reconfirmed ${r.depositId} in ${r.btcBlockHash}`));
  };
  listen(engine);
  await engine.queueMint({ depositId: 'dep:0', recipient: bob.address, amountSats: 10_000n });
  await engine.produceBlock();

  // Confirmed where it was minted: nothing to record.
  expect(await engine.recordMintReconfirmation('dep:0', OLD_BLOCK, 'confirmed again')).toBe('backed');
  expect(await engine.recordMintReconfirmation('never-minted:0', NEW_BLOCK, 'x')).toBe('unknown');

  expect(await engine.recordMintReorg('dep:0', `block ${OLD_BLOCK} left the best chain`, OLD_BLOCK)).toBe('recorded');
  expect((await engine.getMintReorgs()).map((r) => r.depositId)).toEqual(['dep:0']);
  expect(await engine.recordMintReconfirmation('dep:0', NEW_BLOCK, `confirmed in ${NEW_BLOCK}`)).toBe('reconfirmed');
  expect(await engine.getMintReorgs()).toEqual([]);
  // A second delivery of the same re-confirmation changes nothing.
  expect(await engine.recordMintReconfirmation('dep:0', NEW_BLOCK, 'again')).toBe('backed');

  // Durable stores keep all of it across a restart; then the new block is reorged away too.
  await engine.close();
  engine = await EvmEngine.open({ store: await open(), config, autoMine: false });
  listen(engine);
  expect(await engine.getMintReorgs()).toEqual([]);
  expect(await engine.recordMintReorg('dep:0', `block ${NEW_BLOCK} left the best chain`, NEW_BLOCK)).toBe('recorded');
  expect((await engine.getMintReorgs()).map((r) => r.depositId)).toEqual(['dep:0']);

  const history = await engine.getMintBackingHistory('dep:0');
  expect(history.map((h) => [h.status, h.btcBlockHash])).toEqual([
    ['reorged', OLD_BLOCK],
    ['reconfirmed', NEW_BLOCK],
    ['reorged', NEW_BLOCK],
  ]);
  expect(history[1]!.detail).toBe(`confirmed in ${NEW_BLOCK}`);
  expect(events).toEqual(['reorged dep:0', `reconfirmed dep:0 in ${NEW_BLOCK}`, 'reorged dep:0']);
  // The mint itself never moves: one credit, whatever happened to its backing.
  expect((await engine.getMint('dep:0'))?.blockNumber).toBe(1n);
  await engine.close();
}

describe('minted deposit backing across reorgs and re-confirmations', () => {
  it('in memory', async () => {
    const store = new MemoryChainStore();
    // The memory store is shared across the "restart" (its close only flags it), so reopen over a copy-free wrapper.
    await exercise(async () => Object.create(store, { close: { value: async () => undefined } }) as ChainStore);
  });

  it('in a file store, replayed on reopen', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tb-evm-backing-'));
    try {
      await exercise(async () => FileChainStore.open(dir));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  describe.skipIf(!reachable)('in Postgres', () => {
    let db: TestSchema | undefined;
    afterAll(async () => {
      await db?.drop();
    });
    it('with history rows and the reorg row cleared on re-confirmation', async () => {
      db = await createTestSchema();
      const schema = db.schema;
      const pool = db.pool;
      await exercise(async () => new PostgresChainStore(pool, schema));
      const { rows } = await pool.query<{ status: string }>(`SELECT status FROM "${schema}".evm_mint_backing ORDER BY seq`);
      expect(rows.map((r) => r.status)).toEqual(['reorged', 'reconfirmed', 'reorged']);
    });
  });
});
