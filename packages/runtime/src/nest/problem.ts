// RFC 9457 problem details: the one shape of every REST error a service answers (ProblemFilter writes it), declared
// once as a zod schema so the OpenAPI documents (@ApiProblem) and the TypeScript type say the same thing.
import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { z } from 'zod';
import { createZodDto } from './zod.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** One failed check of a request: where (dotted path, '' for the whole body) and why. */
export const validationIssue = z.object({
  path: z.string().describe("Dotted path of the field, '' for the whole body"),
  message: z.string(),
  code: z.string().describe('The check that failed (zod issue code)'),
});

/**
 * What ProblemFilter answers: RFC 9457's members, the stable machine `code`, the request id, and the old `message`
 * member (= detail) for clients written before problem+json. Loose: a DomainError or HttpException may add members.
 */
export const problemDetails = z
  .looseObject({
    type: z.string().describe('urn:tapbridge:problem:<code>, or about:blank for an internal error'),
    title: z.string().describe('The HTTP status text'),
    status: z.number().int().describe('The HTTP status'),
    detail: z.string().describe('What went wrong, for people'),
    instance: z.string().describe('The request path'),
    requestId: z.string().optional().describe('The x-request-id of the request'),
    code: z.string().describe('Stable machine code (not_found, invalid_request, conflict, …; the RPC error code too)'),
    errors: z.array(validationIssue).optional().describe('Validation failures only: every failed check'),
    message: z.string().describe('Same as detail'),
  })
  .meta({
    example: {
      type: 'urn:tapbridge:problem:not_found', title: 'Not Found', status: 404, detail: 'no deposit 5a…:0', instance: '/deposits/5a…/0',
      requestId: '0d6c5a52-3f4e-4b7e-9a0e-2f7e1c1b8a10', code: 'not_found', message: 'no deposit 5a…:0',
    },
  });

export type ProblemDetails = z.infer<typeof problemDetails>;

/** The problem schema in OpenAPI documents (components.schemas.Problem). */
export class Problem extends createZodDto(problemDetails) {}

/**
 * Documents an error answer of a route (or of every route of a controller): `status` with an
 * `application/problem+json` body of the shared Problem schema. Use one per status the route can answer.
 */
export function ApiProblem(status: number, description: string): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiExtraModels(Problem),
    ApiResponse({ status, description, content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: getSchemaPath(Problem) } } } }),
  );
}
