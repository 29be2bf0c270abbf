// schema.prisma describes exactly the tables the SQL migrations create (types, nullability, keys).
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { prismaSchemaDrift, serviceSchema } from '@tapbridge/db';

describe('schema.prisma', () => {
  it('matches the tables the migrations create', async () => {
    const drift = await prismaSchemaDrift({
      schemaPath: fileURLToPath(new URL('../prisma/schema.prisma', import.meta.url)),
      migrationsDir: fileURLToPath(new URL('../prisma/migrations', import.meta.url)),
      schema: serviceSchema('evm-gateway'),
    });
    expect(drift).toEqual([]);
  });
});
