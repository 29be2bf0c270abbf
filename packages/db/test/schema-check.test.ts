// prismaSchemaDrift: a schema.prisma that matches its migrations gives no differences; each kind of drift is named.
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prismaSchemaDrift } from '../src/index.js';

let dir: string;
const SCHEMA = 'drift_app';

const MIGRATION = `
CREATE TYPE "status" AS ENUM ('open', 'closed');
CREATE TABLE "widget" (
  "id" BIGSERIAL PRIMARY KEY,
  "hash" CHAR(64) NOT NULL,
  "name" VARCHAR(40),
  "amount" NUMERIC(20, 0) NOT NULL,
  "tags" TEXT[] NOT NULL DEFAULT '{}',
  "status" "status" NOT NULL,
  "meta" JSONB,
  "at" TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TABLE "part" (
  "widget_id" BIGINT NOT NULL REFERENCES "widget" ("id"),
  "n" SMALLINT NOT NULL,
  "raw" BYTEA NOT NULL,
  PRIMARY KEY ("widget_id", "n")
);`;

const model = (overrides: { widget?: string; part?: string } = {}) => `
generator client {
  provider = "prisma-client"
  output   = "./generated"
}
datasource db {
  provider = "postgresql"
  schemas  = ["${SCHEMA}", "elsewhere"]
}
enum Status {
  open
  closed
  @@map("status")
  @@schema("${SCHEMA}")
}
/// A widget.
model Widget {
  id     BigInt   @id @default(autoincrement())
  hash   String   @db.Char(64)
  name   String?  @db.VarChar(40)
  amount Decimal  @db.Decimal(20, 0)
  tags   String[] @default([])
  status Status
  meta   Json?
  at     DateTime @default(now()) @db.Timestamptz(6) // trailing comment
  parts  Part[]
${overrides.widget ?? ''}
  @@map("widget")
  @@schema("${SCHEMA}")
}
model Part {
  widgetId BigInt @map("widget_id")
  n        Int    @db.SmallInt
  raw      Bytes
  widget   Widget @relation(fields: [widgetId], references: [id])
${overrides.part ?? ''}
  @@id([widgetId, n])
  @@map("part")
  @@schema("${SCHEMA}")
}
model Foreign {
  id Int @id
  @@schema("elsewhere")
}
`;

async function drift(schemaText: string) {
  const schemaPath = path.join(dir, `schema-${Math.random().toString(36).slice(2)}.prisma`);
  await writeFile(schemaPath, schemaText);
  return prismaSchemaDrift({ schemaPath, migrationsDir: path.join(dir, 'migrations'), schema: SCHEMA });
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'tb-drift-'));
  await mkdir(path.join(dir, 'migrations', '0001_init'), { recursive: true });
  await writeFile(path.join(dir, 'migrations', '0001_init', 'migration.sql'), MIGRATION);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('prismaSchemaDrift', () => {
  it('finds nothing when schema.prisma describes the migrated tables (enums, arrays, relations, compound keys)', async () => {
    expect(await drift(model())).toEqual([]);
  });

  it('names a wrong type, a wrong nullability, a missing column, a field without a column and a wrong key', async () => {
    const text = model()
      .replace('hash   String   @db.Char(64)', 'hash   String   @db.Char(32)')
      .replace('name   String?  @db.VarChar(40)', 'name   String   @db.VarChar(40)')
      .replace('  meta   Json?\n', '')
      .replace('  @@id([widgetId, n])', '  @@id([n, widgetId])')
      .replace('  raw      Bytes\n', '  raw      Bytes\n  extra    Int    @map("extra_col")\n');
    expect((await drift(text)).sort()).toEqual([
      'Part.extra maps to column part.extra_col, which the migrations do not create',
      'Part: schema.prisma\'s primary key is (n, widget_id), the table\'s is (widget_id, n)',
      'Widget.hash: schema.prisma says character(32), the migrations create character(64)',
      'Widget.name: schema.prisma says required, the column is nullable',
      'widget.meta has no field in model Widget',
    ]);
  });

  it('names a table without a model and a model without a table', async () => {
    const text = model().replace(/model Part \{[\s\S]*?\n\}\n/, '').replace('  parts  Part[]\n', '') + `
model Ghost {
  id Int @id
  @@schema("${SCHEMA}")
}`;
    expect((await drift(text)).sort()).toEqual([
      'model Ghost maps to table Ghost, which the migrations do not create',
      'table part has no model in schema.prisma',
    ]);
  });
});
