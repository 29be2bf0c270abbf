import { PrismaPg } from '@prisma/adapter-pg';

/**
 * Prisma 7 talks to Postgres only through a driver adapter. Each service passes its generated PrismaClient class and
 * the schema it owns; queries are then qualified with that schema.
 */
export function createPrismaClient<T>(
  PrismaClient: new (options: { adapter: PrismaPg }) => T,
  options: { databaseUrl: string; schema: string; poolSize?: number },
): T {
  const adapter = new PrismaPg(
    { connectionString: options.databaseUrl, max: options.poolSize ?? 10 },
    { schema: options.schema },
  );
  return new PrismaClient({ adapter });
}
