// The chain a database holds is recorded on first start (Prisma, chain_identity) and every later start must describe
// the same chain: another chain id or genesis is refused before the engine touches the store.
import { fileURLToPath } from 'node:url';
import { createPrismaClient, migrate } from '@tapbridge/db';
import { devChainConfig } from '@tapbridge/evm';
import { createTestDatabase, type TestDatabase } from '@tapbridge/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertChainIdentity, ChainIdentityError, configuredChainIdentity } from '../src/chain/chain-identity.js';
import { PrismaClient } from '../src/generated/prisma/client.js';

const SCHEMA = 'evm_gateway';

describe('chain identity', () => {
  let db: TestDatabase;
  let pool: pg.Pool;
  let prisma: PrismaClient;

  beforeAll(async () => {
    db = await createTestDatabase();
    await migrate({ databaseUrl: db.url, schema: SCHEMA, migrationsDir: fileURLToPath(new URL('../prisma/migrations', import.meta.url)) });
    pool = new pg.Pool({ connectionString: db.url, max: 2 });
    prisma = createPrismaClient(PrismaClient, { pool, schema: SCHEMA });
  });
  afterAll(async () => {
    await prisma?.$disconnect();
    await pool?.end();
    await db?.drop();
  });

  it('records the first chain, accepts it again, refuses another chain id or genesis and keeps the record', async () => {
    const chain = await configuredChainIdentity(devChainConfig({ chainId: 29794n }));
    expect(chain.genesisHash).toMatch(/^0x[0-9a-f]{64}$/);
    await assertChainIdentity(prisma, chain);
    await assertChainIdentity(prisma, chain); // a restart

    const otherId = await configuredChainIdentity(devChainConfig({ chainId: 31337n }));
    await expect(assertChainIdentity(prisma, otherId)).rejects.toThrow(ChainIdentityError);
    await expect(assertChainIdentity(prisma, otherId)).rejects.toThrow(/holds chain 29794 .* describes chain 31337/);
    await expect(assertChainIdentity(prisma, { chainId: 29794n, genesisHash: `0x${'11'.repeat(32)}` })).rejects.toThrow(/with genesis 0x1111/);

    const rows = await prisma.chainIdentity.findMany();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.chainId).toBe(29794n);
    expect(Buffer.from(rows[0]!.genesisHash).toString('hex')).toBe(chain.genesisHash.slice(2));
  });
});
