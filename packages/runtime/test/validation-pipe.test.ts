// The global zod pipe answers bad input with a 400 even when a schema's refine or transform throws on it (zod lets
// such an exception through, and nestjs-zod passes it to the pipe's error factory): never a 500. Found by the
// api-gateway's REST fuzz test (an EIP-55 refine run on a recipient its regex had already refused).
import { BadRequestException } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createZodDto, RequestValidationError, ZodValidationPipe } from '../src/nest/index.js';

const hexAddress = z
  .string()
  .regex(/^0x[0-9a-f]{4}$/, 'must be 0x and 4 hex digits')
  // Throws on what the regex refused: zod runs this refine anyway.
  .refine((a) => BigInt(a) > 0n, 'must not be zero');
class AddressBody extends createZodDto(z.object({ address: hexAddress })) {}

const pipe = new ZodValidationPipe();
const validate = async (raw: unknown): Promise<unknown> => pipe.transform(raw, { type: 'body', metatype: AddressBody });
const refusal = (raw: unknown) => validate(raw).then(() => undefined, (e: unknown) => e);

describe('ZodValidationPipe', () => {
  it('answers input on which a refine throws with a 400 that names nothing internal', async () => {
    const err = await refusal({ address: 'zz' });
    expect(err).toBeInstanceOf(BadRequestException);
    expect(err).toBeInstanceOf(RequestValidationError);
    expect((err as RequestValidationError).issues).toEqual([{ path: '', message: 'the request is invalid', code: 'custom' }]);
    expect((err as Error).message).not.toMatch(/BigInt|SyntaxError/);
  });

  it('still lists zod\u2019s own issues, and passes valid input', async () => {
    const err = (await refusal({ address: '0x0000' })) as RequestValidationError;
    expect(err.issues).toEqual([{ path: 'address', message: 'must not be zero', code: 'custom' }]);
    const missing = (await refusal({})) as RequestValidationError;
    expect(missing.issues.map((i) => i.path)).toEqual(['address']);
    expect(await validate({ address: '0x00ff' })).toEqual({ address: '0x00ff' });
  });
});
