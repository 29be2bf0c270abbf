// The coordinator's REST and rpc.signing.* shapes, declared once: each zod schema validates requests (the global
// pipe), serialises responses (@ZodResponse) and is the OpenAPI schema.
import { createZodDto } from '@tapbridge/runtime/nest';
import { z } from 'zod';
import { purposeSchema, requestContextSchema, taprootSighashPayloadSchema, tweakSchema } from '@tapbridge/signing';

/**
 * POST /signatures: a raw message or a sighash request, the purpose, and optionally the tweak. Unknown fields are
 * refused (as POST /deposits does), so a misspelt field is an error rather than silently ignored.
 */
export const createSignatureSchema = z
  .object({
    message: z.string().regex(/^(?:[0-9a-f]{32}|[0-9a-f]{64})$/, 'message must be 32 bytes (or a 16-byte heartbeat) of lowercase hex').optional(),
    sighash: taprootSighashPayloadSchema.omit({ kind: true }).strict().optional(),
    purpose: purposeSchema,
    tweak: tweakSchema.optional(),
    /** Facts the purpose's policy checks (packages/signing requestContextSchema), e.g. a sweep's paid ids. */
    context: requestContextSchema.optional(),
  })
  .strict()
  .refine((b) => (b.message === undefined) !== (b.sighash === undefined), { message: 'give exactly one of message or sighash' });
export type CreateSignature = z.infer<typeof createSignatureSchema>;
export class CreateSignatureDto extends createZodDto(createSignatureSchema) {}

export const created = z.object({ id: z.string().describe('The signature request id (poll GET /signatures/:id)'), status: z.enum(['pending', 'signed', 'failed']) });
export class CreatedDto extends createZodDto(created) {}

const summary = created.extend({
  purpose: z.string(),
  message: z.string().describe('The bytes signed (hex)'),
  outputKey: z.string().describe('x-only key the signature verifies under (BIP340)'),
  signature: z.string().nullable(),
  signers: z.array(z.number().int()).nullable().describe('The signers whose partial signatures made the signature'),
  attempt: z.number().int().describe('Fresh-nonce attempts so far (a coordinator restart or a stall starts a new one)'),
  error: z.string().nullable(),
  createdAt: z.string(),
  completedAt: z.string().nullable(),
});
export const signatureView = summary.extend({
  refusals: z.array(z.object({ signer: z.number().int(), attempt: z.number().int(), reason: z.string() })),
  misbehaviour: z.array(z.object({ signer: z.number().int(), attempt: z.number().int(), detail: z.string() })),
  sessions: z.array(z.object({ attempt: z.number().int(), roastSession: z.number().int(), signers: z.array(z.number().int()), pubnonces: z.array(z.string()) })),
  responses: z.array(
    z.object({
      attempt: z.number().int(),
      signer: z.number().int(),
      kind: z.enum(['nonce', 'partial', 'refusal', 'misbehaviour', 'error', 'timeout']),
      roastSession: z.number().int().nullable(),
      pubnonce: z.string().nullable(),
      detail: z.string().nullable(),
      at: z.string(),
    }),
  ),
});
export class SignatureDto extends createZodDto(signatureView) {}
export type SignatureSummary = z.infer<typeof summary>;
export type SignatureView = z.infer<typeof signatureView>;
export class SessionsDto extends createZodDto(z.array(summary)) {}

export const signerView = z.object({
  index: z.number().int(),
  hostPubkey: z.string().nullable(),
  live: z.boolean().describe('Heard from within SIGNER_LIVENESS_MS (announcement or heartbeat)'),
  lastSeen: z.string().nullable(),
  ready: z.boolean(),
  groupKey: z.string().nullable(),
  misbehaviourCount: z.number().int(),
  lastMisbehaviour: z.string().nullable(),
});
export class SignersDto extends createZodDto(z.array(signerView)) {}
export type SignerView = z.infer<typeof signerView>;

export const custodyView = z.object({
  network: z.string(),
  groupKey: z.string().describe('x-only even-y FROST group key (Taproot internal key)'),
  outputKey: z.string(),
  address: z.string(),
  scriptPubKey: z.string(),
  merkleRoot: z.string().nullable(),
  recoveryLeaf: z.object({ script: z.string(), controlBlock: z.string(), recoveryLock: z.number().int(), threshold: z.number().int(), keys: z.array(z.string()) }).nullable(),
  tweak: tweakSchema.describe('The tweak a custody key-path signature uses (the default for requests)'),
});
export class CustodyDto extends createZodDto(custodyView) {}

export class SessionsQuery extends createZodDto(z.object({ limit: z.string().regex(/^[1-9][0-9]{0,3}$/, 'limit must be 1..1000').optional() })) {}
export class GetSignatureRequest extends createZodDto(z.object({ id: z.string() })) {}
/** rpc requests without arguments: any object (clients send {}). */
export class EmptyRequest extends createZodDto(z.object({}).passthrough()) {}
