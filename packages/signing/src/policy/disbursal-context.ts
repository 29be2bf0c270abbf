// What a `disbursal` signing request (issue 11, the escape hatch after the sweep) and a sweep's proof of its
// disbursal claim: the inputs of packages/bitcoin's deterministic disbursal builder that the signer does not read
// from its own view. The signer rebuilds the disbursal from these plus its own L2 snapshot at `l2Block`, its own
// custody script and recovery leaf, and signs or accepts only byte-identical transactions.
import { z } from 'zod';

const decimalSats = z.string().regex(/^(0|[1-9][0-9]{0,18})$/, 'satoshis as a decimal string');
const decimalBlock = z.string().regex(/^(0|[1-9][0-9]{0,18})$/, 'an L2 block number as a decimal string');

/** The parameters a disbursal is built from, besides the custody output it spends. */
export const disbursalTermsSchema = z
  .object({
    /** The checkpoint: balances and registered scripts are read at this (final) L2 block. */
    l2Block: decimalBlock,
    /** nLockTime of every disbursal transaction: the signer's Bitcoin tip + D, within its tolerance. */
    lockHeight: z.number().int().min(1).max(499_999_999),
    /** Whole sat/vB, within the signer's fee-rate bounds. */
    feeRate: z.number().int().min(1).max(100_000),
    /** Batch size limit (weight units); at most the standard limit. */
    maxTxWeight: z.number().int().min(1).max(399_996).optional(),
  })
  .strict();
export type DisbursalTerms = z.infer<typeof disbursalTermsSchema>;

/** A `disbursal` request: the custody output disbursed and the terms. */
export const disbursalContextSchema = z
  .object({
    custody: z.object({ txid: z.string().regex(/^[0-9a-f]{64}$/), vout: z.number().int().min(0).max(0xffff_ffff), value: decimalSats }).strict(),
    terms: disbursalTermsSchema,
  })
  .strict();
export type DisbursalContext = z.infer<typeof disbursalContextSchema>;

/** In a sweep's context: the disbursal of its output 0, fully signed (one signature per transaction, intermediate first). */
export const sweepDisbursalSchema = z
  .object({
    terms: disbursalTermsSchema,
    signatures: z.array(z.string().regex(/^[0-9a-f]{128}$/, '64-byte BIP340 signature as lowercase hex')).min(1).max(2_000),
  })
  .strict();
export type SweepDisbursal = z.infer<typeof sweepDisbursalSchema>;
