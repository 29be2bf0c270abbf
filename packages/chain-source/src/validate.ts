import { EncodingError, HEADER_SIZE, decodeTransaction, hashToHex, headerHashHex, hexToBytes, verifyMerkleBlockProof } from '@tapbridge/bitcoin';
import { z } from 'zod';
import { ChainSourceError } from './errors.js';

const HASH_RE = /^[0-9a-f]{64}$/;
export const hashHexSchema = z.string().regex(/^[0-9a-fA-F]{64}$/, 'a 32-byte hash as 64 hex characters').transform((s) => s.toLowerCase());
export const heightSchema = z.number().int().nonnegative();
export const hexSchema = z.string().regex(/^(?:[0-9a-fA-F]{2})+$/, 'a non-empty even-length hex string');

/** Parses `value` with `schema`, turning a mismatch into a `malformed` error that says what was expected. */
export function parseAs<T>(source: string, what: string, schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new ChainSourceError(source, { kind: 'malformed', what: `${what}: ${issue ? `${issue.path.join('.') || 'value'} ${issue.message}` : 'invalid'}` });
  }
  return result.data;
}

/** Validates a caller's block hash argument (display hex). */
export function assertHashArgument(value: string, what: string): string {
  if (typeof value !== 'string' || !HASH_RE.test(value.toLowerCase())) throw new TypeError(`${what} must be 64 hex characters, got ${JSON.stringify(value)}`);
  return value.toLowerCase();
}

export function assertHeightArgument(value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new TypeError(`height must be a non-negative integer, got ${value}`);
  return value;
}

export function decodeHexAs(source: string, what: string, hex: string): Uint8Array {
  try {
    return hexToBytes(hex.trim());
  } catch {
    throw new ChainSourceError(source, { kind: 'malformed', what: `${what} is not valid hex` });
  }
}

/** A header must be exactly 80 bytes and hash to the block it was asked for. */
export function checkHeader(source: string, header: Uint8Array, expectedHash: string): Uint8Array {
  if (header.length !== HEADER_SIZE) throw new ChainSourceError(source, { kind: 'malformed', what: `header is ${header.length} bytes, not ${HEADER_SIZE}` });
  const actual = headerHashHex(header);
  if (actual !== expectedHash) throw new ChainSourceError(source, { kind: 'malformed', what: `header hashes to ${actual}, not the requested ${expectedHash}` });
  return header;
}

export function checkRawBlock(source: string, block: Uint8Array, expectedHash: string): Uint8Array {
  if (block.length <= HEADER_SIZE) throw new ChainSourceError(source, { kind: 'malformed', what: `block is only ${block.length} bytes` });
  checkHeader(source, block.subarray(0, HEADER_SIZE), expectedHash);
  return block;
}

/** The transaction must decode completely and its txid must be the one asked for. */
export function checkRawTransaction(source: string, raw: Uint8Array, expectedTxid: string): Uint8Array {
  const txid = txidOf(source, raw);
  if (txid !== expectedTxid) throw new ChainSourceError(source, { kind: 'malformed', what: `transaction has txid ${txid}, not the requested ${expectedTxid}` });
  return raw;
}

export function txidOf(source: string, raw: Uint8Array): string {
  try {
    return hashToHex(decodeTransaction(raw).txid);
  } catch (e) {
    throw new ChainSourceError(source, { kind: 'malformed', what: `transaction does not decode: ${(e as Error).message}` });
  }
}

/** The caller's own transaction bytes must decode; returns its txid. */
export function txidOfArgument(rawTx: Uint8Array): string {
  if (!(rawTx instanceof Uint8Array) || rawTx.length === 0) throw new TypeError('rawTx must be non-empty bytes');
  try {
    return hashToHex(decodeTransaction(rawTx).txid);
  } catch (e) {
    throw new TypeError(`rawTx does not decode as a transaction: ${(e as Error).message}`, { cause: e });
  }
}

/** A merkle block must rebuild its header's root, match the txid, and sit in the named block when one is given. */
export function checkMerkleProof(source: string, proof: Uint8Array, txid: string, blockHash?: string): Uint8Array {
  let parsed: ReturnType<typeof verifyMerkleBlockProof>;
  try {
    parsed = verifyMerkleBlockProof(proof);
  } catch (e) {
    const reason = e instanceof EncodingError || e instanceof Error ? e.message : String(e);
    throw new ChainSourceError(source, { kind: 'malformed', what: `merkle proof: ${reason}` });
  }
  if (!parsed.matches.some((m) => hashToHex(m.txid) === txid))
    throw new ChainSourceError(source, { kind: 'malformed', what: `merkle proof does not include ${txid}` });
  if (blockHash !== undefined && hashToHex(parsed.blockHash) !== blockHash)
    throw new ChainSourceError(source, { kind: 'malformed', what: `merkle proof is for block ${hashToHex(parsed.blockHash)}, not ${blockHash}` });
  return proof;
}

/** Fee rates must be finite and positive; the targets positive integers. */
export function checkFeeEstimates(source: string, estimates: Record<number, number>): Record<number, number> {
  for (const [target, rate] of Object.entries(estimates)) {
    const t = Number(target);
    if (!Number.isInteger(t) || t < 1) throw new ChainSourceError(source, { kind: 'malformed', what: `fee target "${target}" is not a positive integer` });
    if (typeof rate !== 'number' || !Number.isFinite(rate) || rate <= 0) throw new ChainSourceError(source, { kind: 'malformed', what: `fee rate for target ${target} is not a positive number` });
  }
  return estimates;
}


export function assertFeeTargetArgument(value: number): number {
  if (!Number.isSafeInteger(value) || value < 1 || value > 1008) throw new TypeError(`targetBlocks must be an integer from 1 to 1008, got ${value}`);
  return value;
}

export function assertVoutArgument(value: number): number {
  if (!Number.isSafeInteger(value) || value < 0 || value > 0xffffffff) throw new TypeError(`vout must be a non-negative 32-bit integer, got ${value}`);
  return value;
}

/** A fee rate a source gives in sat/vB: finite and positive. */
export function checkFeeRate(source: string, what: string, rate: number): number {
  if (typeof rate !== 'number' || !Number.isFinite(rate) || rate <= 0) throw new ChainSourceError(source, { kind: 'malformed', what: `${what}: fee rate ${String(rate)} is not a positive number` });
  return rate;
}

/** Esplora's status object (GET /tx/:txid/status, and inside /outspend): confirmed ones name their block. */
export const esploraTxStatusSchema = z.union([
  z.object({ confirmed: z.literal(true), block_height: heightSchema, block_hash: hashHexSchema, block_time: z.number().int().optional() }),
  z.object({ confirmed: z.literal(false) }),
]);

/** Esplora's GET /tx/:txid/outspend/:vout. */
export const esploraOutspendSchema = z.union([
  z.object({ spent: z.literal(true), txid: hashHexSchema, vin: z.number().int().nonnegative(), status: esploraTxStatusSchema }),
  z.object({ spent: z.literal(false) }),
]);

/** The fields of Core's getrawtransaction (verbose) that say where the transaction is. */
export const coreVerboseTxSchema = z.object({
  txid: hashHexSchema,
  blockhash: hashHexSchema.optional(),
  confirmations: z.number().int().optional(),
  in_active_chain: z.boolean().optional(),
  vout: z.array(z.object({ n: z.number().int().nonnegative(), scriptPubKey: z.object({ hex: z.string().regex(/^(?:[0-9a-fA-F]{2})*$/) }) })),
});

/** Core's getblockheader (verbose): confirmations is -1 off the active chain. */
export const coreVerboseHeaderSchema = z.object({ hash: hashHexSchema, height: heightSchema, confirmations: z.number().int() });

/** Core's gettxout: null when spent (or never existed), else the coin. */
export const coreTxOutSchema = z.union([z.null(), z.object({ bestblock: hashHexSchema, confirmations: z.number().int().nonnegative(), value: z.number().nonnegative() })]);

/** Core's getmempoolentry: only its being an entry matters here. */
export const coreMempoolEntrySchema = z.object({ vsize: z.number().int().positive(), wtxid: hashHexSchema });

/** Esplora /fee-estimates semantics: the rate for the largest target not above `target`, else the shortest target given. */
export function pickFeeEstimate(estimates: Readonly<Record<number, number>>, target: number): number | undefined {
  const targets = Object.keys(estimates).map(Number).sort((a, b) => a - b);
  if (targets.length === 0) return undefined;
  const atOrBelow = targets.filter((t) => t <= target);
  return estimates[atOrBelow.length > 0 ? atOrBelow[atOrBelow.length - 1]! : targets[0]!];
}
