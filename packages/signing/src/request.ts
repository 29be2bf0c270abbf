/**
 * A signing request as signers see it: what to sign (a raw message or a BIP341 sighash the signer computes itself
 * from the transaction and the outputs it spends), why (purpose, which selects the policy) and under which Taproot
 * tweak. Every signer resolves the wire form independently, so a coordinator cannot make it sign bytes that differ
 * from the request its policy judged.
 */
import { decodeTransaction, taprootSighash, type DecodedTransaction, type TxOutput } from '@tapbridge/bitcoin';
import { taprootOutput } from '@tapbridge/frost';
import { hexToBytes } from '@noble/hashes/utils.js';
import { z } from 'zod';
import { SigningRequestError } from './errors.js';
import { channelContextSchema } from './policy/channel-context.js';
import { disbursalContextSchema, sweepDisbursalSchema } from './policy/disbursal-context.js';
import { hex32, hexBytes, sessionId } from './wire.js';

export const purposeSchema = z.string().regex(/^[a-z][a-z0-9_-]{0,39}$/, 'purpose must be a lowercase word (a-z, 0-9, _ -)');

export const messagePayloadSchema = z.object({
  kind: z.literal('message'),
  /** 32 bytes (a digest) or 16 bytes (a heartbeat: 0xff × 8 ‖ nonce). */
  message: z.string().regex(/^(?:[0-9a-f]{32}|[0-9a-f]{64})$/, 'message must be 16 or 32 bytes of lowercase hex'),
});

export const taprootSighashPayloadSchema = z.object({
  kind: z.literal('taproot-sighash'),
  transaction: hexBytes.min(2),
  inputIndex: z.number().int().nonnegative(),
  /** The output each input spends, in input order (BIP341 commits to all of them). */
  prevouts: z.array(z.object({ value: z.string().regex(/^(0|[1-9][0-9]*)$/, 'value must be satoshis as a decimal string'), scriptPubKey: hexBytes })).min(1),
  hashType: z.number().int().min(0).max(255).optional(),
  /** Present for a script-path spend. */
  leafHash: hex32.optional(),
});

export const tweakSchema = z.discriminatedUnion('kind', [
  /** BIP86-style: TapTweak(P) with an empty merkle root. */
  z.object({ kind: z.literal('key-path-only') }),
  /** TapTweak(P ‖ merkle_root) for an output with a script tree (e.g. the custody recovery leaf). */
  z.object({ kind: z.literal('merkle-root'), merkleRoot: hex32 }),
  /** No tweak: the untweaked x-only group key signs (a script-path spend of a leaf naming the group key, e.g. a deposit leaf). */
  z.object({ kind: z.literal('none') }),
]);
export type TweakSpec = z.infer<typeof tweakSchema>;

const decimalUint = z.string().regex(/^(0|[1-9][0-9]{0,77})$/, 'must be a non-negative decimal integer');

/** One deposit input of a sweep, in input order: where it is and the leaf scripts its address commits to. */
export const sweepDepositContextSchema = z
  .object({
    /** Display-order txid and output index of the deposit output the input spends. */
    txid: hex32,
    vout: z.number().int().nonnegative().max(0xffff_ffff),
    kind: z.enum(['deposit-leaf', 'custody-key-path']),
    /** deposit-leaf: the deposit leaf script (spent) and the reclaim leaf script (its lock), as registered. */
    depositScript: hexBytes.max(2 * 200).optional(),
    reclaimScript: hexBytes.max(2 * 200).optional(),
  })
  .strict()
  .refine((d) => (d.kind === 'deposit-leaf') === (d.depositScript !== undefined && d.reclaimScript !== undefined), {
    message: 'a deposit-leaf input names its depositScript and reclaimScript; a custody-key-path input names neither',
  })
  .refine((d) => d.kind === 'deposit-leaf' || (d.depositScript === undefined && d.reclaimScript === undefined), {
    message: 'a custody-key-path deposit has no leaf scripts',
  });

/**
 * What a sweep request claims beyond the transaction: the withdrawals its payouts serve and its deposit inputs. The
 * signer checks every claim from its own view; the context is part of the request it approves (canonical form).
 */
export const sweepContextSchema = z
  .object({
    /** Bridge withdrawal ids paid, in payout-output order (outputs 2..), as decimal uint256. */
    withdrawalIds: z.array(decimalUint).max(255),
    /** Every input except the custody input, in input order (inputs 1.. with a custody input, else 0..). */
    deposits: z.array(sweepDepositContextSchema).max(1_000),
    /** The signed disbursal of output 0 (issue 11): signers that require it refuse the sweep without it. */
    disbursal: sweepDisbursalSchema.optional(),
  })
  .strict();
export type SweepContext = z.infer<typeof sweepContextSchema>;
export type SweepDepositContext = z.infer<typeof sweepDepositContextSchema>;

/**
 * rpc.signing.signatures.get's answer as the coordinator's clients read it (sweep-coordinator, channel-service): one
 * schema for the wire, so both read the same fields the same way.
 */
export const signatureStatusSchema = z.object({
  id: z.string(),
  status: z.enum(['pending', 'signed', 'failed']),
  signature: z.string().nullable(),
  error: z.string().nullable(),
  refusals: z.array(z.object({ signer: z.number(), reason: z.string() }).passthrough()).default([]),
});
export type SignatureStatus = z.infer<typeof signatureStatusSchema>;

export const requestContextSchema = z
  .object({ sweep: sweepContextSchema.optional(), channel: channelContextSchema.optional(), disbursal: disbursalContextSchema.optional() })
  .strict();
export type RequestContext = z.infer<typeof requestContextSchema>;

export const signingRequestSchema = z.object({
  requestId: sessionId,
  purpose: purposeSchema,
  payload: z.discriminatedUnion('kind', [messagePayloadSchema, taprootSighashPayloadSchema]),
  tweak: tweakSchema,
  /** Facts a policy needs that the payload does not carry (e.g. a sweep's withdrawal ids); checked, never trusted. */
  context: requestContextSchema.optional(),
});
export type SigningRequestWire = z.infer<typeof signingRequestSchema>;

export interface TransactionToSign {
  tx: DecodedTransaction;
  inputIndex: number;
  prevouts: TxOutput[];
  hashType: number;
  leafHash?: Uint8Array;
}

/** The request with everything derived: what a policy evaluates. */
export interface SigningRequest {
  readonly requestId: string;
  readonly purpose: string;
  readonly kind: 'message' | 'taproot-sighash';
  /** The exact bytes the group signs (BIP340 message). */
  readonly message: Uint8Array;
  /** Present for a sighash request: the decoded transaction and the sighash inputs. */
  readonly transaction?: TransactionToSign;
  readonly tweak: TweakSpec;
  /** The request's context as sent (validated in shape only). */
  readonly context?: RequestContext;
  /** The wire form, for logs and records. */
  readonly wire: SigningRequestWire;
}

/** Validates the wire form and derives the message (computing the BIP341 sighash for transaction requests). */
export function resolveSigningRequest(input: unknown): SigningRequest {
  const parsed = signingRequestSchema.safeParse(input);
  if (!parsed.success) throw new SigningRequestError(`invalid signing request: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(request)'}: ${i.message}`).join('; ')}`);
  const wire = parsed.data;
  const base = { requestId: wire.requestId, purpose: wire.purpose, tweak: wire.tweak, ...(wire.context ? { context: wire.context } : {}), wire };
  if (wire.payload.kind === 'message') return { ...base, kind: 'message', message: hexToBytes(wire.payload.message) };
  const p = wire.payload;
  let tx: DecodedTransaction;
  try {
    tx = decodeTransaction(p.transaction);
  } catch (err) {
    throw new SigningRequestError(`invalid signing request: transaction does not decode: ${(err as Error).message}`);
  }
  if (p.inputIndex >= tx.inputs.length) throw new SigningRequestError(`invalid signing request: input ${p.inputIndex} does not exist (${tx.inputs.length} inputs)`);
  if (p.prevouts.length !== tx.inputs.length) throw new SigningRequestError(`invalid signing request: ${p.prevouts.length} prevouts for ${tx.inputs.length} inputs`);
  const transaction: TransactionToSign = {
    tx,
    inputIndex: p.inputIndex,
    prevouts: p.prevouts.map((o) => ({ value: BigInt(o.value), scriptPubKey: hexToBytes(o.scriptPubKey) })),
    hashType: p.hashType ?? 0,
    ...(p.leafHash ? { leafHash: hexToBytes(p.leafHash) } : {}),
  };
  let message: Uint8Array;
  try {
    message = taprootSighash({ tx, inputIndex: transaction.inputIndex, prevouts: transaction.prevouts, hashType: transaction.hashType, ...(transaction.leafHash ? { leafHash: transaction.leafHash } : {}) });
  } catch (err) {
    throw new SigningRequestError(`invalid signing request: no BIP341 sighash: ${(err as Error).message}`);
  }
  return { ...base, kind: 'taproot-sighash', message, transaction };
}

/**
 * A zero x-only tweak: BIP445 ApplyTweak with t = 0 only lifts the key to even y, so the signature verifies under
 * the x-only group key itself, and the signer and aggregator keep applying exactly one x-only tweak for every kind.
 */
const NO_TWEAK = new Uint8Array(32);

/** The x-only tweak the aggregator applies and the key the final BIP340 signature verifies under. */
export function resolveTweak(groupKeyXonly: Uint8Array, tweak: TweakSpec): { tweak: Uint8Array; outputKey: Uint8Array } {
  switch (tweak.kind) {
    case 'key-path-only':
      return taprootOutput(groupKeyXonly);
    case 'merkle-root':
      return taprootOutput(groupKeyXonly, hexToBytes(tweak.merkleRoot));
    case 'none':
      if (groupKeyXonly.length !== 32) throw new SigningRequestError('the group key must be 32 bytes (x-only)');
      return { tweak: NO_TWEAK.slice(), outputKey: Uint8Array.from(groupKeyXonly) };
  }
}
