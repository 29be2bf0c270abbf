export { migrate, listMigrations, MigrationError } from './migrate.js';
export type { MigrateOptions, MigrateResult } from './migrate.js';
export { createPrismaClient } from './prisma.js';
export { ensureDatabase } from './ensure-database.js';
export { createTestDatabase } from './test-database.js';
export type { TestDatabase } from './test-database.js';
export { withDatabase, databaseName } from './url.js';
export { serviceSchema } from './service-schema.js';
