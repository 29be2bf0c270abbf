// Request and response shapes of the REST and RPC APIs, declared once: each zod schema validates requests (the
// global pipe), serialises responses (@ZodResponse) and is the OpenAPI schema. Response schemas are loose (no
// regexes): they describe what the queries build, and strip nothing they return.
import { createZodDto } from '@tapbridge/runtime/nest';
import { WITHDRAWAL_STATUSES } from '@tapbridge/sweeps';
import { z } from 'zod';

// 78 digits hold 2^256 − 1 and also numbers above it: the refine keeps those out of the store (found by fuzz-rest.test.ts).
export const withdrawalIdParam = z
  .string()
  .regex(/^(0|[1-9][0-9]{0,77})$/, 'id must be a withdrawal id (decimal uint256)')
  // zod runs the refine after a failed regex too: only digits reach BigInt.
  .refine((v) => !/^[0-9]+$/.test(v) || BigInt(v) < 2n ** 256n, 'id must be a withdrawal id (decimal uint256)')
  .transform((v) => BigInt(v));
export const txidParam = z.string().regex(/^[0-9a-fA-F]{64}$/, 'txid must be 32 bytes of hex').transform((v) => v.toLowerCase());
export const listWithdrawalsQuery = z.object({ sender: z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'sender must be a 0x-prefixed 20-byte address') });

// ---- requests (REST and rpc.sweeps.*) ----
export class WithdrawalIdParams extends createZodDto(z.object({ id: withdrawalIdParam })) {}
export class TxidParams extends createZodDto(z.object({ txid: txidParam })) {}
export class ListWithdrawalsQuery extends createZodDto(listWithdrawalsQuery) {}
/** rpc.sweeps.withdrawal.get */
export class WithdrawalRequest extends createZodDto(z.object({ id: withdrawalIdParam })) {}
/** rpc.sweeps.sweep.get: a lowercase txid, as before. */
export class SweepRequest extends createZodDto(z.object({ txid: z.string().regex(/^[0-9a-f]{64}$/, 'txid must be 32 bytes of lowercase hex') })) {}
/** Requests without parameters still have to be a JSON object, as before. */
export class EmptyRequest extends createZodDto(z.looseObject({})) {}

// ---- responses ----
const blockRef = z.object({ hash: z.string(), height: z.number() });

const withdrawal = z.object({
  id: z.string().describe('Bridge withdrawal id (decimal uint256)'),
  sender: z.string(),
  scriptPubKey: z.string().describe('Where the BTC goes (hex scriptPubKey)'),
  amountSats: z.string().describe('Burned amount, satoshis'),
  maxFeeSats: z.string(),
  status: z.enum(WITHDRAWAL_STATUSES).describe('final → queued → signing → broadcast → confirmed(n) → paid'),
  confirmations: z.number().describe('Confirmations of the payout (0 until in a block)'),
  txid: z.string().optional().describe('Sweep transaction paying it'),
  vout: z.number().optional(),
  feeSats: z.string().optional().describe('Its share of the sweep fee, satoshis'),
  amountReceivedSats: z.string().optional().describe('amountSats − feeSats: what arrives at the script'),
  block: blockRef.optional(),
  waitingReason: z.string().optional().describe('Why it is not in a sweep yet (status final)'),
  waitingBlocks: z.number().describe('Blocks waited since it arrived, while not in a block'),
  stuck: z.boolean().describe('Waiting longer than WITHDRAWAL_STUCK_BLOCKS'),
});
const history = z.object({ status: z.string(), detail: z.string(), sweepTxid: z.string().optional() });
const withdrawalWithHistory = withdrawal.extend({ history: z.array(history) });

const sweep = z.object({
  txid: z.string(),
  familyId: z.number(),
  version: z.number().describe('0, then +1 per RBF replacement'),
  status: z.enum(['planned', 'signing', 'signed', 'broadcast', 'confirmed', 'replaced', 'failed']),
  withdrawalIds: z.array(z.string()).describe('Withdrawal ids paid, in payout order: with output 1 (OP_RETURN "TB" 0x01 count sha256(ids)) anyone checks the commitment'),
  commitmentDigest: z.string().describe('sha256 of the ids as 32-byte big-endian integers, hex'),
  payouts: z.array(z.object({ withdrawalId: z.string(), vout: z.number(), scriptPubKey: z.string(), amountSats: z.string(), feeShareSats: z.string(), paidSats: z.string() })),
  deposits: z.array(z.object({ txid: z.string(), vout: z.number(), amountSats: z.string(), feeShareSats: z.string() })),
  custodyInput: z.object({ txid: z.string(), vout: z.number() }).nullable(),
  custodyOutputSats: z.string(),
  feeSats: z.string(),
  feeRateSatPerVb: z.number(),
  vsize: z.number(),
  plannedAtHeight: z.number(),
  broadcastAtHeight: z.number().nullable(),
  block: blockRef.nullable(),
  confirmations: z.number(),
  replacedBy: z.string().nullable(),
  signingNote: z.string().nullable().describe('Last signing problem (refusal reasons)'),
  mempool: z.object({ inMempool: z.boolean(), confirmed: z.boolean() }).nullable().describe('What a chain source says about it'),
  rawTransaction: z.string().nullable().describe('Signed transaction, hex'),
});

const psbt = z.object({ psbt: z.string().describe('Base64 PSBT of the unsigned sweep (BIP174/BIP371 fields)') });

const reservesUtxo = z.object({
  kind: z.enum(['custody', 'deposit']),
  txid: z.string(),
  vout: z.number(),
  amountSats: z.string(),
  blockHash: z.string(),
  blockHeight: z.number(),
  merkleProof: z.string().nullable().describe('Merkle block (gettxoutproof format) proving the transaction in blockHash'),
});
const reserves = z.object({
  custody: z.object({ totalSats: z.string(), utxos: z.array(reservesUtxo) }),
  l2SupplySats: z.string().nullable(),
  pendingWithdrawalsSats: z.string().nullable(),
  feesPaidSats: z.string(),
  discrepancySats: z.string().nullable().describe('custody − (L2 supply + pending − fees paid)'),
  invariantHolds: z.boolean().nullable(),
  invariant: z.string(),
  indexerCustody: z.object({ totalSats: z.string(), utxos: z.number() }).optional(),
  checkedAt: z.string(),
});

const outflowPlan = z.object({
  at: z.string(),
  reserveSats: z.string().describe('Inputs of the planned sweep: what the reserve holds now'),
  limitSats: z.string().describe('limitBps of (reserve + paidOutInWindowSats): a share of what the reserve held before the window paid out'),
  paidOutInWindowSats: z.string().describe('Payouts of other sweeps signed in the window'),
  headroomSats: z.string(),
  plannedPayoutSats: z.string(),
});
const status = z.object({
  status: z.enum(['idle', 'sweep-in-flight', 'halted']),
  halted: z.object({ reason: z.string(), at: blockRef }).nullable().describe('Why the pipeline stopped (a conflicting spend of custody)'),
  tip: blockRef.nullable(),
  feeRateSatPerVb: z.number().nullable(),
  custody: z.string().nullable(),
  inFlight: z.array(z.object({ familyId: z.number(), versions: z.array(z.object({ txid: z.string(), version: z.number(), status: z.string(), feeSats: z.string(), payouts: z.number() })) })),
  waitingWithdrawals: z.number(),
  stuckWithdrawals: z.array(z.string()),
  outflow: z
    .object({
      limitBps: z.number().describe('SWEEP_OUTFLOW_LIMIT_BPS: the signers’ limit, basis points of the reserve'),
      windowHours: z.number(),
      heldBack: z.array(z.string()).describe('Final withdrawals held back by the limit (their waitingReason says why)'),
      lastPlan: outflowPlan.nullable(),
    })
    .describe('The 24 h outflow limit the planner keeps to (the signers refuse above it)'),
  waitingReasons: z.array(z.object({ reason: z.string(), count: z.number() })),
});

export type WithdrawalView = z.infer<typeof withdrawal>;
export type WithdrawalWithHistory = z.infer<typeof withdrawalWithHistory>;
export type SweepView = z.infer<typeof sweep>;
export type PsbtView = z.infer<typeof psbt>;
export type ReservesReport = z.infer<typeof reserves>;
export type PipelineStatus = z.infer<typeof status>;

export class WithdrawalDto extends createZodDto(withdrawal) {}
export class WithdrawalListDto extends createZodDto(z.array(withdrawal)) {}
export class WithdrawalWithHistoryDto extends createZodDto(withdrawalWithHistory) {}
export class SweepDto extends createZodDto(sweep) {}
export class PsbtDto extends createZodDto(psbt) {}
export class ReservesDto extends createZodDto(reserves) {}
export class StatusDto extends createZodDto(status) {}
