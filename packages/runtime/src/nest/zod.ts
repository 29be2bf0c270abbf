// One declaration per REST/RPC shape: a zod schema, wrapped by nestjs-zod's createZodDto, is the request validator
// (the global pipe below), the response serializer (@ZodResponse) and the OpenAPI schema (buildOpenApiDocument in
// openapi.ts). nestjs-zod 5.5.0 declares peers Nest <= 11 only; it runs unchanged on Nest 12.5 and
// @nestjs/swagger 12.0.2 (its swagger import is a require() of an ESM package, which Node >= 20.19 loads), so the
// root package.json allows those peers instead of this package carrying its own copy.
import { BadRequestException, type PipeTransform, type Type } from '@nestjs/common';
import { createZodDto as nestjsZodDto, createZodValidationPipe, type ZodDto } from 'nestjs-zod';
import type { z } from 'zod';
import { hideJsonTypeLists } from './openapi.js';
import type { validationIssue } from './problem.js';

export { ZodResponse, ZodSerializerDto, cleanupOpenApiDoc, ZodSerializerInterceptor } from 'nestjs-zod';
export type { ZodDto } from 'nestjs-zod';

type Schema = Parameters<typeof nestjsZodDto>[0];
type OpenApiDto = { _OPENAPI_METADATA_FACTORY(): unknown };

/** Makes a DTO class's OpenAPI metadata keep zod's `type: [T, 'null']` lists away from @nestjs/swagger (openapi.ts). */
function withJsonTypeLists<D extends OpenApiDto>(dto: D): D {
  const metadata = dto._OPENAPI_METADATA_FACTORY;
  return Object.defineProperty(dto, '_OPENAPI_METADATA_FACTORY', {
    configurable: true,
    value(this: D) {
      return hideJsonTypeLists(metadata.call(this));
    },
  });
}

/**
 * nestjs-zod's createZodDto, with nullable fields published correctly: its metadata writes a nullable primitive as
 * a JSON-schema type list, which @nestjs/swagger took for an array (see openapi.ts). The same class otherwise; the
 * response-side `Dto.Output` class (what @ZodResponse documents) gets the same fix.
 */
export function createZodDto<S extends Schema, C extends boolean = false>(schema: S, options?: { codec: C }): ZodDto<S, C> {
  const dto = withJsonTypeLists(nestjsZodDto<S, C>(schema, options));
  const output = Object.getOwnPropertyDescriptor(dto, 'Output')!.get!;
  return Object.defineProperty(dto, 'Output', {
    configurable: true,
    get(this: typeof dto) {
      return withJsonTypeLists(output.call(this) as OpenApiDto);
    },
  });
}

/** One failed check of a request: where (dotted path, '' for the whole body) and why (problem.ts's schema). */
export type ValidationIssue = z.infer<typeof validationIssue>;

/**
 * A request that failed its zod schema; ProblemFilter answers 400 problem+json (REST) or invalid_request (RPC). A
 * BadRequestException, so code calling the pipe directly (tests) sees an ordinary 400.
 */
export class RequestValidationError extends BadRequestException {
  override readonly name = 'RequestValidationError';
  constructor(readonly issues: ValidationIssue[]) {
    super(issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; '));
  }

  static fromZod(error: z.ZodError): RequestValidationError {
    return new RequestValidationError(error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message, code: i.code })));
  }
}

/**
 * The global pipe (RuntimeModule registers it): validates every @Body/@Query/@Param/@Payload typed with a
 * createZodDto class, passes other parameters through untouched.
 */
export const ZodValidationPipe: Type<PipeTransform> = createZodValidationPipe({
  // zod lets an exception from a refine or transform through (e.g. one run on input its regex already refused), and
  // nestjs-zod hands it here too: that is still bad input, a 400 naming nothing internal, never a 500 from reading
  // `issues` of something that has none (found by apps/api-gateway/test/fuzz-rest.test.ts).
  createValidationException: (error) =>
    Array.isArray((error as Partial<z.ZodError>).issues)
      ? RequestValidationError.fromZod(error as z.ZodError)
      : new RequestValidationError([{ path: '', message: 'the request is invalid', code: 'custom' }]),
});
