// Every service's OpenAPI document is built here, once: OpenAPI 3.1, the zod schemas of the createZodDto classes
// (nestjs-zod's cleanupOpenApiDoc), and null written one way, `type: [T, 'null']`, so a client generated from any
// document (packages/client) types a nullable field `T | null` and an optional one `T | undefined`.
import type { DynamicModule, INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { cleanupOpenApiDoc } from 'nestjs-zod';
import { API_KEY_HEADER, API_KEY_SCHEME } from './api-key.guard.js';

/** The OpenAPI version every service publishes. */
export const OPENAPI_VERSION = '3.1.0';

/**
 * Where a property's JSON-schema type list waits while @nestjs/swagger builds the document. Zod writes a nullable
 * primitive as `type: ['string', 'null']`; @nestjs/swagger reads an array `type` on a DTO property as its own
 * `[String]` shorthand and published every top-level nullable field as `type: 'array', items: string`.
 */
const JSON_TYPE_KEY = 'x-tapbridge-json-type';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Applied to what a createZodDto class's `_OPENAPI_METADATA_FACTORY` returns (one entry per property): a `type`
 * list is moved aside (nestjs-zod has already marked the property's type as empty, so its cleanup drops the
 * placeholder) and restored by `restoreJsonTypes` once the document is built.
 */
export function hideJsonTypeLists(properties: unknown): unknown {
  if (!isObject(properties)) return properties;
  const out: Json = {};
  for (const [key, property] of Object.entries(properties)) {
    if (isObject(property) && Array.isArray(property.type)) out[key] = { ...property, type: '', [JSON_TYPE_KEY]: property.type };
    else out[key] = property;
  }
  return out;
}

/** Keys whose values are data, not schemas: never rewritten. */
const DATA_KEYS = new Set(['example', 'examples', 'default', 'enum', 'const']);

function walk(node: unknown, visit: (schema: Json) => Json): unknown {
  if (Array.isArray(node)) return node.map((n) => walk(n, visit));
  if (!isObject(node)) return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node)) out[k] = DATA_KEYS.has(k) ? v : walk(v, visit);
  return visit(out);
}

const NULL_SCHEMA = (s: unknown) => isObject(s) && s.type === 'null' && Object.keys(s).length === 1;

/**
 * One spelling of null in a 3.1 document: `anyOf: [T, { type: 'null' }]`, where T is a plain typed schema (zod's
 * form for nullable enums, literals, objects and arrays), becomes T with `type: [T.type, 'null']` (and null added to
 * its enum, a literal's `const` turned into an enum, since either would otherwise refuse null). A nullable `$ref` or
 * union stays `anyOf` (3.1 has no other way to say it). A leftover 3.0 `nullable: true` is converted the same way.
 */
export function normalizeNullable(schema: Json): Json {
  let s = schema;
  if (s.nullable === true && typeof s.type === 'string') {
    const { nullable: _n, ...rest } = s;
    s = { ...rest, type: [s.type, 'null'], ...(Array.isArray(s.enum) && !s.enum.includes(null) ? { enum: [...s.enum, null] } : {}) };
  }
  const anyOf = s.anyOf;
  if (!Array.isArray(anyOf) || anyOf.length !== 2 || !anyOf.some(NULL_SCHEMA)) return s;
  const inner = anyOf.find((m) => !NULL_SCHEMA(m));
  if (!isObject(inner) || typeof inner.type !== 'string' || '$ref' in inner || 'anyOf' in inner || 'oneOf' in inner || 'allOf' in inner) return s;
  const { anyOf: _a, ...outer } = s;
  const { const: constant, enum: values, ...typed } = inner;
  const nullableEnum = constant !== undefined ? [constant, null] : Array.isArray(values) ? (values.includes(null) ? values : [...values, null]) : undefined;
  return { ...typed, ...outer, type: [inner.type, 'null'], ...(nullableEnum ? { enum: nullableEnum } : {}) };
}

function restoreJsonTypes(node: Json): Json {
  if (!(JSON_TYPE_KEY in node)) return node;
  const { [JSON_TYPE_KEY]: type, type: _placeholder, ...rest } = node;
  // A query or path parameter: @nestjs/swagger moved the schema keywords into `schema` but left ours beside it.
  if (typeof rest.in === 'string' && isObject(rest.schema)) return { ...rest, schema: { type, ...rest.schema } };
  return { type, ...rest };
}

/** Restores the hidden type lists and writes every nullable schema in the document as `type: [T, 'null']`. */
export function finishOpenApiDocument(doc: OpenAPIObject): OpenAPIObject {
  const fix = (s: Json) => normalizeNullable(restoreJsonTypes(s));
  return { ...doc, paths: walk(doc.paths, fix) as OpenAPIObject['paths'], components: walk(doc.components ?? {}, fix) as OpenAPIObject['components'] };
}

export interface OpenApiInfo {
  title: string;
  description?: string;
}

/** The service's OpenAPI document (served at /docs-json): its zod schemas, 3.1, the API-key scheme. */
export function buildOpenApiDocument(app: INestApplication, info: OpenApiInfo): OpenAPIObject {
  const config = new DocumentBuilder()
    .setOpenAPIVersion(OPENAPI_VERSION)
    .setTitle(info.title)
    .setDescription(info.description ?? '')
    .setVersion('0.1.0')
    .addApiKey({ type: 'apiKey', in: 'header', name: API_KEY_HEADER, description: 'An API key from `tapbridge apikey create` (also accepted as Authorization: Bearer <key>)' }, API_KEY_SCHEME)
    .build();
  // cleanupOpenApiDoc turns the createZodDto classes' metadata into the OpenAPI schemas of their zod schemas.
  return finishOpenApiDocument(cleanupOpenApiDoc(SwaggerModule.createDocument(app, config), { version: '3.1' }));
}

/**
 * The document of an app module without starting it: Nest's preview mode resolves the module graph but builds no
 * provider and calls no hook, so nothing connects. For tests and tools (every app's document checked, a client
 * regenerated); the module may be given stand-in runtime and config values, which are never read.
 */
export async function previewOpenApiDocument(module: Type<unknown> | DynamicModule, info: OpenApiInfo): Promise<OpenAPIObject> {
  const app = await NestFactory.create(module, { preview: true, logger: false, abortOnError: false });
  try {
    return buildOpenApiDocument(app, info);
  } finally {
    await app.close().catch(() => undefined);
  }
}
