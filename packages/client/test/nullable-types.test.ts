// Nullable fields of the public API are `T | null` in the client, not `T[]` (zod's .nullable() was once published
// as an array, so the generated types lied). Type level: tsc checks the assertions below (typecheck of this package);
// runtime: every example in the checked-in document fits its schema's type, null where the API sends null.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { DepositPage, Fees, Reserves, SignerSet, SigningSession, WithdrawalList } from '../src/index.js';

type Schema = { type?: string | string[]; $ref?: string; items?: Schema; properties?: Record<string, Schema>; anyOf?: Schema[]; oneOf?: Schema[]; allOf?: Schema[]; enum?: unknown[] };
const doc = JSON.parse(readFileSync(fileURLToPath(new URL('../openapi.json', import.meta.url)), 'utf8')) as {
  paths: Record<string, Record<string, { responses?: Record<string, { content?: Record<string, { schema?: Schema; example?: unknown }> }> }>>;
  components: { schemas: Record<string, Schema> };
};

const resolve = (s: Schema): Schema => (s.$ref ? resolve(doc.components.schemas[s.$ref.replace('#/components/schemas/', '')]!) : s);
const jsonType = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : Number.isInteger(v) ? 'integer' : typeof v);

/** Where `value` does not fit `schema` by JSON type (enough to catch a nullable published as an array). */
function misfits(schema: Schema, value: unknown, at: string): string[] {
  const s = resolve(schema);
  const alternatives = s.anyOf ?? s.oneOf;
  if (alternatives) return alternatives.some((a) => misfits(a, value, at).length === 0) ? [] : [`${at}: ${JSON.stringify(value)} fits none of its alternatives`];
  if (s.allOf) return s.allOf.flatMap((a) => misfits(a, value, at));
  if (s.type !== undefined) {
    const types = Array.isArray(s.type) ? s.type : [s.type];
    const t = jsonType(value);
    if (!types.includes(t) && !(t === 'integer' && types.includes('number'))) return [`${at}: ${JSON.stringify(value)} is ${t}, the schema says ${types.join('|')}`];
  }
  if (Array.isArray(value) && s.items) return value.flatMap((v, i) => misfits(s.items!, v, `${at}[${i}]`));
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && s.properties)
    return Object.entries(value).flatMap(([k, v]) => (s.properties![k] ? misfits(s.properties![k]!, v, `${at}.${k}`) : []));
  return [];
}

describe('nullable fields of the public API', () => {
  it('are T | null in the generated types (checked by tsc)', () => {
    expectTypeOf<Reserves['discrepancySats']>().toEqualTypeOf<string | null>();
    expectTypeOf<Reserves['invariantHolds']>().toEqualTypeOf<boolean | null>();
    expectTypeOf<Reserves['utxos'][number]['merkleProof']>().toEqualTypeOf<string | null>();
    expectTypeOf<DepositPage['nextCursor']>().toEqualTypeOf<string | null>();
    expectTypeOf<WithdrawalList['nextCursor']>().toEqualTypeOf<string | null>();
    expectTypeOf<SignerSet['groupKey']>().toEqualTypeOf<string | null>();
    expectTypeOf<SignerSet['members'][number]['lastSeen']>().toEqualTypeOf<string | null>();
    expectTypeOf<NonNullable<SignerSet['stake']>['epoch']>().not.toBeArray();
    expectTypeOf<Fees['feeRateSatPerVb']>().toEqualTypeOf<number | null>();
    expectTypeOf<NonNullable<Fees['capacity']>['reason']>().toEqualTypeOf<string | null>();
    expectTypeOf<SigningSession['signers']>().toEqualTypeOf<number[] | null>();
    expectTypeOf<SigningSession['completedAt']>().toEqualTypeOf<string | null>();
    // And a nullable value is not accepted where an array was once declared.
    const reserves = { discrepancySats: null } satisfies Pick<Reserves, 'discrepancySats'>;
    expect(reserves.discrepancySats).toBeNull();
  });

  it('every response example fits its schema, nulls included (so the document says null where the API sends it)', () => {
    const problems: string[] = [];
    let examples = 0;
    let nulls = 0;
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        for (const [code, r] of Object.entries(op.responses ?? {})) {
          for (const media of Object.values(r.content ?? {})) {
            if (media.example === undefined || !media.schema) continue;
            examples++;
            nulls += (JSON.stringify(media.example).match(/:null/g) ?? []).length;
            problems.push(...misfits(media.schema, media.example, `${method.toUpperCase()} ${path} ${code}`));
          }
        }
      }
    }
    expect(examples).toBeGreaterThan(10);
    expect(nulls).toBeGreaterThan(5);
    expect(problems).toEqual([]);
  });

  it('the fit check finds a nullable field published as an array', () => {
    expect(misfits({ type: 'object', properties: { nextCursor: { type: 'array', items: { type: 'string' } } } }, { nextCursor: null }, 'x')).toEqual(['x.nextCursor: null is null, the schema says array']);
    expect(misfits({ type: 'object', properties: { nextCursor: { type: ['string', 'null'] } } }, { nextCursor: null }, 'x')).toEqual([]);
  });
});
