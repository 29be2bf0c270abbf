// Request and response shapes of the REST and RPC APIs, declared once: each zod schema validates requests (the
// global pipe), serialises responses (@ZodResponse / @ZodSerializerDto) and is the OpenAPI schema.
import { DEPOSIT_STATUSES, type DepositStatus } from '@tapbridge/deposits';
import { createZodDto, cursorPage, cursorPageQuery } from '@tapbridge/runtime/nest';
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
  txid: txidSchema.describe('Deposit transaction id, display hex'),
  vout: voutSchema.describe('Index of the output paying the deposit address'),
  depositScript: hex('depositScript').describe('Deposit leaf script, hex: <max_fee u64 BE ‖ evm_recipient> OP_DROP <custody group key> OP_CHECKSIG'),
  reclaimScript: hex('reclaimScript').describe('Reclaim leaf script, hex: <lock_blocks> OP_CHECKSEQUENCEVERIFY OP_DROP <depositor key> OP_CHECKSIG'),
}).strict();

export const listDepositsQuery = cursorPageQuery(z.string().transform(parseCursor), { defaultLimit: 50, maxLimit: 500 }).extend({
  recipient: z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'recipient must be a 0x-prefixed 20-byte address').optional(),
  status: z.enum(DEPOSIT_STATUSES as [DepositStatus, ...DepositStatus[]]).optional(),
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

export class RegisterDepositDto extends createZodDto(registerDepositBody) {}
export class ListDepositsQuery extends createZodDto(listDepositsQuery) {}
export class DepositParams extends createZodDto(depositParams) {}

const statusSchema = z.enum(DEPOSIT_STATUSES as [DepositStatus, ...DepositStatus[]]);
/** A deposit's status as the API shows it: the indexer's own, or held_capacity (confirmed, held by the L2 for capacity). */
const VIEW_STATUSES: ReadonlyArray<DepositStatus | 'held_capacity'> = [...DEPOSIT_STATUSES, 'held_capacity'];
const viewStatusSchema = z.enum(VIEW_STATUSES as [DepositStatus | 'held_capacity', ...Array<DepositStatus | 'held_capacity'>]);

export const historyEntry = z.object({
  status: statusSchema,
  blockHash: z.string().optional(),
  blockHeight: z.number().int().optional(),
  detail: z.string().describe('What happened'),
  at: z.string(),
});

export const depositView = z.object({
  txid: z.string(),
  vout: z.number().int(),
  kind: z.enum(['taproot', 'op_return']),
  status: viewStatusSchema.describe('registered → seen → confirmed (→ held_capacity while the L2 holds it for stake capacity) → swept | reclaimed; dropped / reorged when its block left the best chain'),
  amountSats: z.string().describe('Satoshis, decimal string'),
  recipient: z.string().describe('EVM recipient'),
  maxFeeSats: z.string().describe('Most the signers may take as sweep fee, satoshis'),
  scriptPubKey: z.string(),
  depositScript: z.string().optional(),
  reclaimScript: z.string().optional(),
  lockBlocks: z.number().int().optional().describe('Reclaim lock, blocks'),
  blockHash: z.string().optional().describe('Best-chain block holding the deposit output'),
  blockHeight: z.number().int().optional(),
  confirmations: z.number().int().describe('Confirmations on the indexer\u2019s best chain (0 when not in a block)'),
  merkleProof: z.string().optional().describe('Merkle block (gettxoutproof format) proving the deposit transaction in blockHash'),
  registeredAt: z.string(),
  updatedAt: z.string(),
});

export const depositWithHistory = depositView.extend({ history: z.array(historyEntry) });
export class DepositWithHistoryDto extends createZodDto(depositWithHistory) {}

export const depositPage = cursorPage(depositView);
export class DepositPageDto extends createZodDto(depositPage) {}

export const custodyUtxo = z.object({
  txid: z.string(),
  vout: z.number().int(),
  amountSats: z.string(),
  blockHash: z.string(),
  blockHeight: z.number().int(),
  confirmations: z.number().int(),
});

export const custodyUtxos = z.object({
  tipHeight: z.number().int().optional().describe('Height of the indexer\u2019s tip'),
  totalSats: z.string().describe('Sum of the unspent custody outputs, satoshis'),
  utxos: z.array(custodyUtxo),
});
export class CustodyUtxosDto extends createZodDto(custodyUtxos) {}

export type DepositView = z.infer<typeof depositView>;
export type HistoryView = z.infer<typeof historyEntry>;
export type DepositWithHistory = z.infer<typeof depositWithHistory>;
export type DepositPage = z.infer<typeof depositPage>;
export type CustodyUtxoView = z.infer<typeof custodyUtxo>;
export type CustodyUtxos = z.infer<typeof custodyUtxos>;

// rpc.deposits.* requests (the sweep-coordinator sends lowercase txids and numeric vouts).
export class OutpointRequest extends createZodDto(z.object({ txid: z.string().regex(/^[0-9a-f]{64}$/), vout: z.number().int().min(0).max(MAX_VOUT) })) {}
/** Requests without parameters still have to be a JSON object, as before. */
/** rpc.deposits.deposit.list: GET /deposits' filters, and the output script (the api-gateway's by-address query). */
export class ListDepositsRequest extends createZodDto(listDepositsQuery.extend({ scriptPubKey: z.string().regex(/^([0-9a-f]{2}){2,80}$/, 'scriptPubKey must be lowercase hex').optional() })) {}
export class EmptyRequest extends createZodDto(z.looseObject({})) {}
