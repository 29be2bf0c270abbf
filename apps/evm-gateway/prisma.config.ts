import { defineConfig } from 'prisma/config';

// Migrations are applied by `pnpm tapbridge db migrate` (offline runner, same records as prisma migrate deploy).
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/tapbridge?schema=evm_gateway' },
});
