import { PrismaPg } from '@prisma/adapter-pg';
import type pg from 'pg';

/**
 * Prisma 7 talks to Postgres only through a driver adapter. Each service passes its generated PrismaClient class and
 * the schema it owns; queries are then qualified with that schema. Given a `pool`, the client shares it and leaves
 * ending it to its owner ($disconnect then only detaches); otherwise it opens its own from `databaseUrl`.
 */
export function createPrismaClient<T>(
  PrismaClient: new (options: { adapter: PrismaPg }) => T,
  options: ({ databaseUrl: string; poolSize?: number } | { pool: pg.Pool }) & { schema: string },
): T {
  const adapter = 'pool' in options
    ? new PrismaPg(options.pool, { schema: options.schema })
    : new PrismaPg({ connectionString: options.databaseUrl, max: options.poolSize ?? 10 }, { schema: options.schema });
  return new PrismaClient({ adapter });
}
