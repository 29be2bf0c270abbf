import { readFile } from 'node:fs/promises';
import pg from 'pg';
import { migrate } from './migrate.js';
import { createTestDatabase } from './test-database.js';

/**
 * Checks an app's schema.prisma against the tables its SQL migrations create, so the Prisma client never drifts
 * from the database the migrations build (the migrations are the truth; schema.prisma only describes them).
 * It applies the migrations to a fresh `tbtest_*` database (dropped afterwards), reads every table and column of
 * `schema` from the catalog, and compares them with the schema's models: each table has a model and each model a
 * table, each column a field and each field a column, with the same Postgres type (`format_type`, so lengths and
 * precisions count), nullability and primary key. Returns the differences, one line each; [] means they agree.
 *
 *   expect(await prismaSchemaDrift({ schemaPath, migrationsDir, schema: serviceSchema('my-app') })).toEqual([]);
 */
export async function prismaSchemaDrift(o: {
  /** Path of schema.prisma. */
  schemaPath: string;
  /** The app's prisma/migrations folder. */
  migrationsDir: string;
  /** The Postgres schema the app owns (serviceSchema(app)); models with another @@schema are not compared. */
  schema: string;
  /** Where the throwaway database is created (default TEST_DATABASE_URL or the local Postgres). */
  baseUrl?: string;
}): Promise<string[]> {
  const models = parsePrismaSchema(await readFile(o.schemaPath, 'utf8'), o.schema);
  const db = await createTestDatabase(o.baseUrl);
  try {
    await migrate({ databaseUrl: db.url, schema: o.schema, migrationsDir: o.migrationsDir });
    return compare(models, await readTables(db.url, o.schema));
  } finally {
    await db.drop();
  }
}

export interface PrismaColumn {
  field: string;
  column: string;
  /** The Postgres type as format_type prints it, e.g. `character(64)`, `timestamp(6) with time zone`, `text[]`. */
  type: string;
  nullable: boolean;
}

export interface PrismaModel {
  model: string;
  table: string;
  columns: PrismaColumn[];
  primaryKey: string[];
}

interface DbTable {
  columns: Map<string, { type: string; nullable: boolean }>;
  primaryKey: string[];
}

const SCALARS = new Set(['String', 'Int', 'BigInt', 'Float', 'Decimal', 'Boolean', 'DateTime', 'Json', 'Bytes']);

/** The models of a schema.prisma (those in `schema`, or without @@schema), with the column types they expect. */
export function parsePrismaSchema(text: string, schema: string): PrismaModel[] {
  const source = text.replace(/\/\/.*$/gm, '');
  const blocks = [...source.matchAll(/^\s*(model|enum|view|type)\s+(\w+)\s*\{([\s\S]*?)^\s*\}/gm)].map((m) => ({ kind: m[1]!, name: m[2]!, body: m[3]! }));
  const mapOf = (body: string) => /@@map\(\s*"([^"]+)"\s*\)/.exec(body)?.[1];
  const enums = new Map(blocks.filter((b) => b.kind === 'enum').map((b) => [b.name, mapOf(b.body) ?? b.name]));
  const modelNames = new Set(blocks.filter((b) => b.kind === 'model').map((b) => b.name));
  const out: PrismaModel[] = [];
  for (const b of blocks) {
    if (b.kind !== 'model' || /@@ignore\b/.test(b.body)) continue;
    const modelSchema = /@@schema\(\s*"([^"]+)"\s*\)/.exec(b.body)?.[1];
    if (modelSchema !== undefined && modelSchema !== schema) continue;
    const columns: PrismaColumn[] = [];
    let primaryKey: string[] = [];
    for (const line of b.body.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('@@'))) {
      const m = /^(\w+)\s+(Unsupported\("([^"]+)"\)|\w+)(\[\])?(\?)?\s*(.*)$/.exec(line);
      if (!m) throw new Error(`schema.prisma: cannot read the field line ${JSON.stringify(line)} in model ${b.name}`);
      const [, field, typeName, unsupported, list, optional, attrs] = m as unknown as [string, string, string, string | undefined, string | undefined, string | undefined, string];
      if (modelNames.has(typeName) || /@ignore\b/.test(attrs)) continue; // a relation, not a column
      const column = /@map\(\s*"([^"]+)"\s*\)/.exec(attrs)?.[1] ?? field;
      const native = /@db\.(\w+)(?:\(([^)]*)\))?/.exec(attrs);
      const base = unsupported ?? enums.get(typeName) ?? pgTypeOf(typeName, native?.[1], native?.[2], `${b.name}.${field}`);
      columns.push({ field, column, type: list ? `${base}[]` : base, nullable: optional !== undefined });
      if (/(^|\s)@id\b/.test(attrs)) primaryKey = [column];
    }
    const compound = /@@id\(\s*\[([^\]]*)\]/.exec(b.body)?.[1];
    if (compound) {
      const byField = new Map(columns.map((c) => [c.field, c.column]));
      primaryKey = compound.split(',').map((f) => f.trim().replace(/\(.*$/, '')).filter(Boolean).map((f) => byField.get(f) ?? f);
    }
    out.push({ model: b.name, table: mapOf(b.body) ?? b.name, columns, primaryKey });
  }
  return out;
}

/** Prisma's Postgres type for a scalar with an optional @db attribute (Prisma's documented defaults). */
function pgTypeOf(type: string, native: string | undefined, args: string | undefined, where: string): string {
  if (!SCALARS.has(type)) throw new Error(`schema.prisma: ${where} has type ${type}, which is neither a scalar, an enum nor a model`);
  const a = args?.split(',').map((s) => s.trim()).filter(Boolean) ?? [];
  if (native === undefined) {
    return {
      String: 'text', Int: 'integer', BigInt: 'bigint', Float: 'double precision', Decimal: 'numeric(65,30)', Boolean: 'boolean',
      DateTime: 'timestamp(3) without time zone', Json: 'jsonb', Bytes: 'bytea',
    }[type]!;
  }
  switch (native) {
    case 'Char': return `character(${a[0] ?? 1})`;
    case 'VarChar': return a[0] ? `character varying(${a[0]})` : 'character varying';
    case 'Decimal': return a.length ? `numeric(${a.join(',')})` : 'numeric';
    case 'Timestamptz': return `timestamp(${a[0] ?? 6}) with time zone`;
    case 'Timestamp': return `timestamp(${a[0] ?? 6}) without time zone`;
    case 'Timetz': return `time(${a[0] ?? 6}) with time zone`;
    case 'Time': return `time(${a[0] ?? 6}) without time zone`;
    case 'DoublePrecision': return 'double precision';
    case 'SmallInt': return 'smallint';
    case 'Integer': return 'integer';
    case 'Bit': return `bit(${a[0] ?? 1})`;
    case 'VarBit': return a[0] ? `bit varying(${a[0]})` : 'bit varying';
    case 'ByteA': return 'bytea';
    default: return native.toLowerCase(); // Text, Uuid, Json, JsonB, Real, Date, Inet, Citext, Xml, Money, Oid, BigInt, Boolean
  }
}

async function readTables(databaseUrl: string, schema: string): Promise<Map<string, DbTable>> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ table: string; column: string; type: string; nullable: boolean; pk_position: number | null }>(
      `SELECT c.relname AS table, a.attname AS column, format_type(a.atttypid, a.atttypmod) AS type, NOT a.attnotnull AS nullable,
              array_position(pk.conkey, a.attnum) AS pk_position
       FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
       LEFT JOIN pg_constraint pk ON pk.conrelid = c.oid AND pk.contype = 'p'
       WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND c.relname <> '_prisma_migrations'
       ORDER BY c.relname, a.attnum`,
      [schema],
    );
    const tables = new Map<string, DbTable & { pk: Array<[number, string]> }>();
    for (const r of rows) {
      let t = tables.get(r.table);
      if (!t) tables.set(r.table, (t = { columns: new Map(), primaryKey: [], pk: [] }));
      t.columns.set(r.column, { type: canonical(r.type, schema), nullable: r.nullable });
      if (r.pk_position !== null) t.pk.push([r.pk_position, r.column]);
    }
    for (const t of tables.values()) t.primaryKey = t.pk.sort((x, y) => x[0] - y[0]).map(([, c]) => c);
    return tables;
  } finally {
    await client.end();
  }
}

/** format_type's text with defaults spelled out: timestamps without a precision have 6; enums lose their schema. */
function canonical(type: string, schema: string): string {
  return type
    .replace(/^(timestamp|time) (with|without) time zone/, '$1(6) $2 time zone')
    .replace(new RegExp(`^"?${schema}"?\\.`), '')
    .replace(/^"(.*)"(\[\])?$/, '$1$2');
}

function compare(models: PrismaModel[], tables: Map<string, DbTable>): string[] {
  const problems: string[] = [];
  const modelTables = new Set(models.map((m) => m.table));
  for (const table of tables.keys()) if (!modelTables.has(table)) problems.push(`table ${table} has no model in schema.prisma`);
  for (const m of models) {
    const t = tables.get(m.table);
    if (!t) {
      problems.push(`model ${m.model} maps to table ${m.table}, which the migrations do not create`);
      continue;
    }
    const fields = new Set(m.columns.map((c) => c.column));
    for (const column of t.columns.keys()) if (!fields.has(column)) problems.push(`${m.table}.${column} has no field in model ${m.model}`);
    for (const c of m.columns) {
      const actual = t.columns.get(c.column);
      if (!actual) {
        problems.push(`${m.model}.${c.field} maps to column ${m.table}.${c.column}, which the migrations do not create`);
        continue;
      }
      if (actual.type !== c.type) problems.push(`${m.model}.${c.field}: schema.prisma says ${c.type}, the migrations create ${actual.type}`);
      // Prisma cannot declare an optional list (`Int[]?`); its own migrations create scalar lists as nullable columns.
      const listOnNullable = c.type.endsWith('[]') && actual.nullable;
      if (actual.nullable !== c.nullable && !listOnNullable)
        problems.push(`${m.model}.${c.field}: schema.prisma says ${c.nullable ? 'optional' : 'required'}, the column is ${actual.nullable ? 'nullable' : 'NOT NULL'}`);
    }
    if (m.primaryKey.join(',') !== t.primaryKey.join(','))
      problems.push(`${m.model}: schema.prisma's primary key is (${m.primaryKey.join(', ')}), the table's is (${t.primaryKey.join(', ')})`);
  }
  return problems;
}
