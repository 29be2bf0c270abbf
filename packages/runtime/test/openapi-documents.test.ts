// The OpenAPI documents the services publish (openapi.ts): zod's nullable fields come out as OpenAPI 3.1
// `type: [T, 'null']` (they used to come out as arrays of T: @nestjs/swagger read zod's type list as its `[String]`
// shorthand), optional stays distinct from nullable, and no app's document holds a malformed schema. The documents
// are built from each app's real AppModule in Nest's preview mode, so nothing connects.
import 'reflect-metadata';
import { readdirSync } from 'node:fs';
import { Body, Controller, Get, Module, Post, Query, type DynamicModule } from '@nestjs/common';
import type { OpenAPIObject } from '@nestjs/swagger';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { httpSettingsFrom, type ServiceRuntime } from '../src/index.js';
import { createZodDto, OPENAPI_VERSION, previewOpenApiDocument, ZodResponse } from '../src/nest/index.js';

type Schema = Record<string, unknown> & { properties?: Record<string, Schema>; required?: string[] };
type AppModuleClass = { forRoot(config: unknown, runtime: ServiceRuntime): DynamicModule };

const appsDir = new URL('../../../apps/', import.meta.url);
const apps = readdirSync(appsDir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();

/** What RuntimeModule.forRoot reads while the module is declared; preview mode builds no provider, so nothing else. */
const previewRuntime = (service: string) => ({ options: { service, streamPrefix: 'openapi-preview' }, http: httpSettingsFrom({} as never), redis: undefined }) as unknown as ServiceRuntime;

async function appDocument(app: string): Promise<OpenAPIObject> {
  const { AppModule } = (await import(new URL(`${app}/src/app.module.ts`, appsDir).href)) as { AppModule: AppModuleClass };
  return previewOpenApiDocument(AppModule.forRoot({}, previewRuntime(app)), { title: app });
}

const schemaOf = (doc: OpenAPIObject, name: string) => doc.components!.schemas![name] as Schema;
const field = (doc: OpenAPIObject, path: string) => {
  const [name, ...keys] = path.split('.');
  let s = schemaOf(doc, name!);
  for (const k of keys) s = k === '[]' ? (s.items as Schema) : s.properties![k]!;
  return s;
};

const JSON_TYPES = new Set(['string', 'number', 'integer', 'boolean', 'object', 'array', 'null']);
/** Schema keys whose values are data, not schemas. */
const DATA_KEYS = new Set(['example', 'examples', 'default', 'enum', 'const']);

/** Every malformed spot of a 3.1 document, as `path: what`. */
function malformed(doc: OpenAPIObject): string[] {
  const problems: string[] = [];
  const schemas = doc.components?.schemas ?? {};
  const visit = (node: unknown, path: string, inSchema: boolean): void => {
    if (Array.isArray(node)) return node.forEach((n, i) => visit(n, `${path}/${i}`, inSchema));
    if (typeof node !== 'object' || node === null) return;
    const s = node as Schema;
    if (inSchema) {
      if ('nullable' in s) problems.push(`${path}: nullable (OpenAPI 3.0) in a 3.1 document`);
      if ('type' in s) {
        const types = Array.isArray(s.type) ? s.type : [s.type];
        if (types.length === 0 || !types.every((t) => typeof t === 'string' && JSON_TYPES.has(t)) || new Set(types).size !== types.length)
          problems.push(`${path}: type ${JSON.stringify(s.type)}`);
        if (types.includes('array') && !('items' in s)) problems.push(`${path}: an array without items`);
        if (Array.isArray(s.enum) && s.enum.includes(null) && !types.includes('null')) problems.push(`${path}: null in enum but not in type`);
      }
      if (typeof s.$ref === 'string' && !(s.$ref.replace('#/components/schemas/', '') in schemas)) problems.push(`${path}: $ref ${s.$ref} resolves to nothing`);
      if (Array.isArray(s.required) && s.properties) for (const r of s.required) if (!(r in s.properties)) problems.push(`${path}: requires ${r}, not a property`);
    }
    for (const [k, v] of Object.entries(s)) {
      if (k.startsWith('x-nestjs_zod') || k.startsWith('x-tapbridge')) problems.push(`${path}: build marker ${k} left in`);
      if (inSchema && DATA_KEYS.has(k)) continue;
      // A map of names to schemas (a property may be called `type`): each value is a schema, the map is not.
      if ((inSchema && k === 'properties') || k === 'schemas') {
        for (const [name, member] of Object.entries((v ?? {}) as Record<string, unknown>)) visit(member, `${path}/${k}/${name}`, true);
        continue;
      }
      visit(v, `${path}/${k}`, inSchema || k === 'schema');
    }
  };
  visit(doc.paths, '#/paths', false);
  visit({ schemas: doc.components?.schemas }, '#/components', false);
  return problems;
}

/** Why `value` does not fit `schema` (the subset of JSON Schema the zod schemas produce), or [] when it does. */
function misfit(doc: OpenAPIObject, schema: Schema, value: unknown, path = '$'): string[] {
  if (typeof schema.$ref === 'string') return misfit(doc, schemaOf(doc, schema.$ref.split('/').pop()!), value, path);
  for (const key of ['anyOf', 'oneOf'] as const) {
    const options = schema[key] as Schema[] | undefined;
    if (options && !options.some((o) => misfit(doc, o, value, path).length === 0)) return [`${path}: fits none of ${key}`];
  }
  const typeOf = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : Number.isInteger(v) ? 'integer' : typeof v);
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
    const actual = typeOf(value);
    if (!types.includes(actual) && !(actual === 'integer' && types.includes('number'))) return [`${path}: ${actual}, declared ${types.join('|')}`];
  }
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) return [`${path}: ${JSON.stringify(value)} not in enum`];
  if (Array.isArray(value) && schema.items) return value.flatMap((v, i) => misfit(doc, schema.items as Schema, v, `${path}[${i}]`));
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const obj = value as Record<string, unknown>;
    const missing = (schema.required ?? []).filter((r) => !(r in obj)).map((r) => `${path}.${r}: required, missing`);
    const fields = Object.entries(obj).flatMap(([k, v]) => {
      const p = schema.properties?.[k];
      if (p) return misfit(doc, p, v, `${path}.${k}`);
      return schema.additionalProperties === false ? [`${path}.${k}: not declared`] : [];
    });
    return [...missing, ...fields];
  }
  return [];
}

describe('nullable fields in the OpenAPI document', () => {
  const Inner = z.object({ a: z.string() });
  const Shared = z.object({ b: z.string() }).meta({ id: 'SharedThing' });
  class ShapesDto extends createZodDto(z.object({
    text: z.string().nullable().describe('Null until known'),
    count: z.number().int().nullable(),
    flag: z.boolean().nullable(),
    object: Inner.nullable(),
    choice: z.enum(['x', 'y']).nullable(),
    literal: z.literal('only').nullable(),
    list: z.array(z.string()).nullable(),
    union: z.union([z.string(), z.number()]).nullable(),
    shared: Shared.nullable(),
    optional: z.string().optional(),
    optionalNullable: z.string().nullable().optional(),
    nested: z.object({ inner: z.number().nullable(), object: Inner.nullable() }),
    rows: z.array(z.object({ cell: z.string().nullable() })),
  })) {}
  class ShapesBody extends createZodDto(z.object({ text: z.string().nullable(), object: Inner.nullable().optional() })) {}
  class ShapesQuery extends createZodDto(z.object({ cursor: z.string().nullable().optional(), limit: z.coerce.number().int().min(1).max(100).optional() })) {}

  @Controller('shapes')
  class ShapesController {
    @Get()
    @ZodResponse({ status: 200, type: ShapesDto })
    list(@Query() _q: ShapesQuery): never {
      throw new Error('documented only');
    }

    @Post()
    @ZodResponse({ status: 201, type: ShapesDto })
    create(@Body() _b: ShapesBody): never {
      throw new Error('documented only');
    }
  }
  @Module({ controllers: [ShapesController] })
  class ShapesModule {}

  it('writes each kind of zod nullable as 3.1 type [T, null], keeps optional apart, response and request alike', async () => {
    const doc = await previewOpenApiDocument(ShapesModule, { title: 'shapes' });
    expect(doc.openapi).toBe(OPENAPI_VERSION);
    const out = schemaOf(doc, 'ShapesDto_Output');
    const p = out.properties!;
    expect(p.text).toEqual({ type: ['string', 'null'], description: 'Null until known' });
    expect(p.count).toMatchObject({ type: ['integer', 'null'] });
    expect(p.flag).toEqual({ type: ['boolean', 'null'] });
    expect(p.object).toMatchObject({ type: ['object', 'null'], properties: { a: { type: 'string' } }, required: ['a'] });
    expect(p.choice).toEqual({ type: ['string', 'null'], enum: ['x', 'y', null] });
    expect(p.literal).toEqual({ type: ['string', 'null'], enum: ['only', null] });
    expect(p.list).toEqual({ type: ['array', 'null'], items: { type: 'string' } });
    expect(p.union).toEqual({ type: ['string', 'number', 'null'] });
    expect(p.shared).toEqual({ anyOf: [{ $ref: '#/components/schemas/SharedThing_Output' }, { type: 'null' }] });
    expect(p.optional).toEqual({ type: 'string' });
    expect(p.optionalNullable).toEqual({ type: ['string', 'null'] });
    expect(p.nested!.properties).toMatchObject({ inner: { type: ['number', 'null'] }, object: { type: ['object', 'null'] } });
    expect((p.rows!.items as Schema).properties!.cell).toEqual({ type: ['string', 'null'] });
    // Nullable fields are required (present, maybe null); optional ones are not.
    expect(out.required).toEqual(expect.arrayContaining(['text', 'count', 'object', 'list', 'shared', 'nested']));
    expect(out.required).not.toContain('optional');
    expect(out.required).not.toContain('optionalNullable');

    const body = schemaOf(doc, 'ShapesBody');
    expect(body.properties!.text).toEqual({ type: ['string', 'null'] });
    expect(body.properties!.object).toMatchObject({ type: ['object', 'null'] });
    expect(body.required).toEqual(['text']);
    const params = (doc.paths['/shapes']!.get!.parameters ?? []) as unknown as Array<{ name: string; required: boolean; schema: Schema }>;
    expect(params.find((q) => q.name === 'cursor')).toMatchObject({ in: 'query', required: false, schema: { type: ['string', 'null'] } });
    expect(malformed(doc)).toEqual([]);
    // The checker sees what was published before the fix: a nullable field as an array without null, and 3.0's flag.
    expect(misfit(doc, out, { ...exampleShapes(), text: null })).toEqual([]);
    expect(misfit(doc, { type: 'array', items: { type: 'string' } }, null)).toEqual(['$: null, declared array']);
    expect(malformed({ ...doc, paths: {}, components: { schemas: { Old: { type: 'integer', nullable: true }, Arr: { type: 'array' } } } } as never)).toEqual([
      '#/components/schemas/Old: nullable (OpenAPI 3.0) in a 3.1 document',
      '#/components/schemas/Arr: an array without items',
    ]);
  });

  const exampleShapes = () => ({
    text: 'x', count: 1, flag: null, object: null, choice: null, literal: 'only', list: null, union: 2, shared: null,
    nested: { inner: null, object: { a: 'a' } }, rows: [{ cell: null }],
  });
});

describe("a real app's document: the api-gateway's public API", () => {
  it('publishes its nullable fields as type [T, null] and its optional fields as not required', async () => {
    const doc = await appDocument('api-gateway');
    expect(doc.openapi).toBe('3.1.0');
    // Each of these was `type: 'array', items: {…}` or 3.0's `nullable: true` in the document the client was generated from.
    expect(field(doc, 'DepositPageDto_Output.nextCursor')).toMatchObject({ type: ['string', 'null'] });
    expect(field(doc, 'WithdrawalListDto_Output.nextCursor')).toMatchObject({ type: ['string', 'null'] });
    expect(field(doc, 'ReservesDto_Output.invariantHolds')).toEqual({ type: ['boolean', 'null'] });
    expect(field(doc, 'FeesDto_Output.feeRateSatPerVb')).toMatchObject({ type: ['number', 'null'] });
    expect(field(doc, 'FeesDto_Output.capacity')).toMatchObject({ type: ['object', 'null'] });
    expect(field(doc, 'WebhookDto_Output.revokedAt')).toEqual({ type: ['string', 'null'] });
    expect(field(doc, 'DeliveryListDto_Output.deliveries.[].attempts.[].statusCode')).toMatchObject({ type: ['integer', 'null'] });
    expect(field(doc, 'PipelineDto_Output.deposits.[].oldest')).toMatchObject({ type: ['object', 'null'] });
    expect(schemaOf(doc, 'DepositPageDto_Output').required).toContain('nextCursor');
    expect(field(doc, 'DepositDto_Output.blockHeight')).toMatchObject({ type: 'integer' });
    expect(schemaOf(doc, 'DepositDto_Output').required).not.toContain('blockHeight');
    // The examples the schemas declare (a last page's nextCursor: null, …) fit them now.
    for (const [name, schema] of Object.entries(doc.components!.schemas!) as Array<[string, Schema]>)
      if (schema.example !== undefined) expect(misfit(doc, schema, schema.example), name).toEqual([]);
  });
});

describe("every app's OpenAPI document", () => {
  it.each(apps)('%s: 3.1, no malformed schema, every declared example fits its schema', async (app) => {
    const doc = await appDocument(app);
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).length).toBeGreaterThan(0);
    expect(malformed(doc)).toEqual([]);
    for (const [name, schema] of Object.entries(doc.components?.schemas ?? {}) as Array<[string, Schema]>)
      if (schema.example !== undefined) expect(misfit(doc, schema, schema.example), name).toEqual([]);
  });

  it.each(apps)('%s: every documented error answer is application/problem+json of the one Problem schema (@ApiProblem)', async (app) => {
    const doc = await appDocument(app);
    const errors = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.entries(item as Record<string, { responses?: Record<string, { content?: Record<string, { schema?: unknown }> }> }>).flatMap(([method, op]) =>
        Object.entries(op.responses ?? {}).filter(([status]) => Number(status) >= 400).map(([status, r]) => ({ at: `${method.toUpperCase()} ${path} ${status}`, content: r.content })),
      ),
    );
    for (const e of errors) expect(e.content, e.at).toEqual({ 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } });
    if (errors.length > 0) expect(Object.keys(schemaOf(doc, 'Problem').properties!)).toEqual(expect.arrayContaining(['type', 'title', 'status', 'detail', 'instance', 'code']));
  });
});
