import { PrismaPg } from '@prisma/adapter-pg';
import type { ServiceRuntime } from '../runtime.js';

/**
 * The driver adapter an app's PrismaService passes to its generated PrismaClient: Prisma 7 reaches Postgres only
 * through one. It shares the runtime's pg pool (one pool per process; raw SQL and Prisma see the same limits) and
 * qualifies every query with the app's own schema (serviceSchema). The pool is the runtime's to end, not Prisma's.
 */
export function prismaAdapter(runtime: ServiceRuntime): PrismaPg {
  return new PrismaPg(runtime.pool, { schema: runtime.schema });
}
