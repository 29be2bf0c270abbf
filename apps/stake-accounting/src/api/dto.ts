// The shapes of the read API, declared once: each zod schema validates requests (REST and rpc.stake.*), serialises
// responses (@ZodResponse) and is the OpenAPI schema. Amounts are decimal strings (stake-token base units, sats, wei).
import { createZodDto } from '@tapbridge/runtime/nest';
import { z } from 'zod';

const units = z.string().describe('Whole number as a decimal string');

export const capacity = z.object({
  seq: z.number().int(),
  status: z.enum(['open', 'frozen']),
  capacitySats: z.string().describe('stake value / R − obligations; negative when under-collateralised; 0 when frozen'),
  stakeUnits: units.describe('Stake backing custody (bonded, delegated, unbonding not released), base units'),
  stakeValueSats: units.nullable(),
  obligationsSats: units.describe('What the bridge owes (the L2 supply of bridged BTC)'),
  collateralRatioBps: z.number().int().describe('R in bps'),
  ratioBps: units.nullable().describe('stake value / obligations in bps (null when nothing is owed or frozen)'),
  priceSatsPerToken: units.nullable(),
  reason: z.string().optional(),
  at: z.string(),
});
export class CapacityDto extends createZodDto(capacity) {}

export const signerSummary = z.object({
  address: z.string(),
  hostPubkey: z.string(),
  selfBond: units,
  delegated: units,
  stake: units.describe('Bonded + delegated, less any slash decided on evidence (counted at once, before the L2 applies it)'),
  unbonding: units.describe('Unbonding, not yet withdrawn (still slashable until released and matured)'),
  pendingSlash: units.describe('Slashes decided on verified evidence that the L2 has not applied yet (already taken off the figures above)'),
  status: z.enum(['active', 'jailed', 'standby']).describe('active: in the current epoch set; jailed: jailed for the current epoch; standby: bonded, not in the set'),
  jailedUntilEpoch: z.number().int(),
});
export class SignerSummaryDto extends createZodDto(signerSummary) {}

export const slashSummary = z.object({
  evidenceId: z.string(),
  evidenceIdHash: z.string(),
  offence: z.string(),
  signer: z.string(),
  hostPubkey: z.string(),
  epoch: z.number().int(),
  jailedUntilEpoch: z.number().int(),
  plannedTotal: units,
  appliedOnL2: units.describe('Stake the staking contract has taken for this evidence (StakeSlashed logs indexed)'),
  createdAt: z.string(),
});
export class SlashSummaryDto extends createZodDto(slashSummary) {}

export const slashDetail = slashSummary.extend({
  debits: z.array(z.object({ kind: z.string(), owner: z.string(), unbondingId: z.string().optional(), before: units, amount: units })),
  evidence: z.unknown().describe('The evidence as received: check it offline with `tapbridge stake verify-evidence <file>`'),
});
export class SlashDetailDto extends createZodDto(slashDetail) {}

export const signerDetail = signerSummary.extend({
  delegations: z.array(z.object({ delegator: z.string(), amount: units })),
  unbondings: z.array(z.object({ id: z.string(), owner: z.string(), amount: units, maturesAt: z.number().int(), released: z.boolean() })),
  uptimeBps: z.number().int().nullable().describe('Share of the coordinator\u2019s heartbeat probes answered in the current epoch so far, bps (rpc.signing.uptime.get); null when not probed or the coordinator does not answer'),
  slashes: z.array(slashSummary),
});
export class SignerDetailDto extends createZodDto(signerDetail) {}

export const epochView = z.object({
  epoch: z.number().int(),
  startHeight: z.number().int(),
  startHash: z.string(),
  threshold: z.number().int(),
  totalStake: units,
  members: z.array(z.object({ address: z.string(), hostPubkey: z.string(), selfBond: units, delegated: units, stake: units })),
  createdAt: z.string(),
});
export class EpochDto extends createZodDto(epochView) {}

export const misbehaviourView = z.object({
  eventId: z.string(),
  sessionId: z.string(),
  signerIndex: z.number().int(),
  reason: z.string(),
  detail: z.string(),
  status: z.enum(['unproven', 'slash_planned', 'duplicate', 'rejected']),
  statusReason: z.string(),
  evidenceId: z.string().nullable(),
  receivedAt: z.string(),
});
export class MisbehaviourDto extends createZodDto(misbehaviourView) {}

export const rewardsView = z.object({
  address: z.string(),
  owedWei: units.describe('Rewards recorded in the ledger for this address and not yet written back to the L2'),
  epochs: z.array(z.object({ epoch: z.number().int(), amountWei: units })),
});
export class RewardsDto extends createZodDto(rewardsView) {}

export const priceView = z.object({
  satsPerToken: units.nullable(),
  median: units.nullable(),
  acceptedAt: z.string().nullable(),
  usableSatsPerToken: units.nullable().describe('What capacity uses now; null = frozen (missing or stale)'),
  lastStatus: z.enum(['ok', 'frozen']).nullable(),
  lastReason: z.string().nullable(),
  sourceErrors: z.record(z.string(), z.string()),
});
export class PriceDto extends createZodDto(priceView) {}

export class SetDevnetPriceBody extends createZodDto(z.object({ satsPerToken: z.string().regex(/^[1-9][0-9]{0,30}$/, 'must be a positive whole number of sats per token') })) {}
export class EpochParam extends createZodDto(z.object({ n: z.coerce.number().int().nonnegative() })) {}
export class AddressParam extends createZodDto(z.object({ address: z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'must be a 0x address') })) {}
export class EmptyRequest extends createZodDto(z.object({}).passthrough()) {}
export class SignerRequest extends createZodDto(z.object({ id: z.string().min(1).describe('Bonding address or host key') })) {}

export type CapacityView = z.infer<typeof capacity>;
export type SignerSummary = z.infer<typeof signerSummary>;
export type SignerDetail = z.infer<typeof signerDetail>;
export type SlashSummary = z.infer<typeof slashSummary>;
export type SlashDetail = z.infer<typeof slashDetail>;
export type EpochView = z.infer<typeof epochView>;
export type MisbehaviourView = z.infer<typeof misbehaviourView>;
export type RewardsView = z.infer<typeof rewardsView>;
export type PriceView = z.infer<typeof priceView>;
