// Request and response shapes of the REST API: zod validates, @nestjs/swagger documents.
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { DEPOSIT_STATUSES } from '@tapbridge/deposits';
import { z } from 'zod';

const hex = (what: string) => z.string().regex(/^(?:[0-9a-fA-F]{2})+$/, `${what} must be non-empty hex`);

/**
 * The largest output index stored (Postgres INTEGER). No transaction comes near it: a 4 MB block holds fewer than
 * 500,000 outputs. Larger indexes are refused here with a 400 instead of reaching Postgres (which answered 500).
 */
export const MAX_VOUT = 0x7fffffff;
const txidSchema = z.string().regex(/^[0-9a-fA-F]{64}$/, 'txid must be 32 bytes of hex');
const voutSchema = z.number().int().min(0).max(MAX_VOUT, `vout must be an output index (0..${MAX_VOUT})`);

export const registerDepositBody = z.object({
  txid: txidSchema,
  vout: voutSchema,
  depositScript: hex('depositScript'),
  reclaimScript: hex('reclaimScript'),
}).strict();

export const listDepositsQuery = z.object({
  recipient: z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'recipient must be a 0x-prefixed 20-byte address').optional(),
  status: z.enum(DEPOSIT_STATUSES as [string, ...string[]]).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().transform(parseCursor).optional(),
});

/** GET /deposits/:txid/:vout */
export const depositParams = z.object({
  txid: txidSchema.transform((s) => s.toLowerCase()),
  vout: z.string().regex(/^(0|[1-9][0-9]{0,9})$/, 'vout must be an output index').transform(Number).pipe(voutSchema),
});

export interface DepositCursor {
  /** registeredAt of the last item, ISO 8601 UTC with up to microseconds. */
  at: string;
  txid: string;
  vout: number;
}

// What DepositQueries.list writes as nextCursor: `YYYY-MM-DDTHH:MM:SS.ffffffZ|txid|vout`.
const CURSOR_RE = /^(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):([0-5]\d):([0-5]\d)(?:\.\d{1,6})?Z\|([0-9a-f]{64})\|(0|[1-9]\d{0,9})$/;

/**
 * Accepts only what a previous page handed out: a real UTC date in years 1..9999 (Postgres refused others with
 * a 500), a lowercase txid and a vout in range.
 */
function parseCursor(value: string, ctx: z.RefinementCtx): DepositCursor {
  const m = CURSOR_RE.exec(value);
  const fail = () => {
    ctx.addIssue({ code: 'custom', message: 'cursor must be the nextCursor of a previous page' });
    return z.NEVER;
  };
  if (!m) return fail();
  const [, year, month, day] = m as unknown as [string, string, string, string];
  // setUTCFullYear rolls 31 February over into March: compare the fields back.
  const date = new Date(0);
  date.setUTCFullYear(Number(year), Number(month) - 1, Number(day));
  if (Number(year) < 1 || date.getUTCMonth() !== Number(month) - 1 || date.getUTCDate() !== Number(day)) return fail();
  const vout = Number(m[8]);
  if (vout > MAX_VOUT) return fail();
  return { at: value.slice(0, value.indexOf('|')), txid: m[7]!, vout };
}

export class RegisterDepositDto {
  @ApiProperty({ description: 'Deposit transaction id, display hex' }) txid!: string;
  @ApiProperty({ description: 'Index of the output paying the deposit address' }) vout!: number;
  @ApiProperty({ description: 'Deposit leaf script, hex: <max_fee u64 BE ‖ evm_recipient> OP_DROP <custody group key> OP_CHECKSIG' }) depositScript!: string;
  @ApiProperty({ description: 'Reclaim leaf script, hex: <lock_blocks> OP_CHECKSEQUENCEVERIFY OP_DROP <depositor key> OP_CHECKSIG' }) reclaimScript!: string;
}

export class HistoryEntryDto {
  @ApiProperty({ enum: DEPOSIT_STATUSES }) status!: string;
  @ApiPropertyOptional() blockHash?: string;
  @ApiPropertyOptional() blockHeight?: number;
  @ApiProperty({ description: 'What happened' }) detail!: string;
  @ApiProperty() at!: string;
}

export class DepositDto {
  @ApiProperty() txid!: string;
  @ApiProperty() vout!: number;
  @ApiProperty({ enum: ['taproot', 'op_return'] }) kind!: string;
  @ApiProperty({ enum: DEPOSIT_STATUSES, description: 'registered → seen → confirmed → swept | reclaimed; dropped / reorged when its block left the best chain' }) status!: string;
  @ApiProperty({ description: 'Satoshis, decimal string' }) amountSats!: string;
  @ApiProperty({ description: 'EVM recipient' }) recipient!: string;
  @ApiProperty({ description: 'Most the signers may take as sweep fee, satoshis' }) maxFeeSats!: string;
  @ApiProperty() scriptPubKey!: string;
  @ApiPropertyOptional() depositScript?: string;
  @ApiPropertyOptional() reclaimScript?: string;
  @ApiPropertyOptional({ description: 'Reclaim lock, blocks' }) lockBlocks?: number;
  @ApiPropertyOptional({ description: 'Best-chain block holding the deposit output' }) blockHash?: string;
  @ApiPropertyOptional() blockHeight?: number;
  @ApiProperty({ description: 'Confirmations on the indexer\u2019s best chain (0 when not in a block)' }) confirmations!: number;
  @ApiPropertyOptional({ description: 'Merkle block (gettxoutproof format) proving the deposit transaction in blockHash' }) merkleProof?: string;
  @ApiProperty() registeredAt!: string;
  @ApiProperty() updatedAt!: string;
}

export class DepositWithHistoryDto extends DepositDto {
  @ApiProperty({ type: [HistoryEntryDto] }) history!: HistoryEntryDto[];
}

export class DepositPageDto {
  @ApiProperty({ type: [DepositDto] }) items!: DepositDto[];
  @ApiPropertyOptional({ description: 'Pass as ?cursor= for the next page' }) nextCursor?: string;
}

export class CustodyUtxoDto {
  @ApiProperty() txid!: string;
  @ApiProperty() vout!: number;
  @ApiProperty() amountSats!: string;
  @ApiProperty() blockHash!: string;
  @ApiProperty() blockHeight!: number;
  @ApiProperty() confirmations!: number;
}

export class CustodyUtxosDto {
  @ApiPropertyOptional({ description: 'Height of the indexer\u2019s tip' }) tipHeight?: number;
  @ApiProperty({ description: 'Sum of the unspent custody outputs, satoshis' }) totalSats!: string;
  @ApiProperty({ type: [CustodyUtxoDto] }) utxos!: CustodyUtxoDto[];
}
