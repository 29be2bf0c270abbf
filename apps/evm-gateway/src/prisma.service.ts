/**
 * The gateway's Prisma client (schema evm_gateway) on the runtime's pg pool. PrismaModule.forRoot(PrismaService)
 * provides it, connected at start and detached at shutdown (@tapbridge/runtime/nest); the generated class is both the
 * DI token and the type.
 */
export { PrismaClient as PrismaService } from './generated/prisma/client.js';
