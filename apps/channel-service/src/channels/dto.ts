// The channel service's REST and rpc.channels.* shapes, declared once (validation, serialisation, OpenAPI).
// Requests strict, responses loose (NEST.md pitfalls).
import { balanceSheetJsonSchema, channelParamsJsonSchema } from '@tapbridge/channels';
import { createZodDto } from '@tapbridge/runtime/nest';
import { z } from 'zod';

const hex = (bytes: number) => z.string().regex(new RegExp(`^[0-9a-f]{${bytes * 2}}$`), `${bytes} bytes of lowercase hex`);
const sats = z.string().regex(/^(0|[1-9][0-9]{0,18})$/, 'satoshis as a decimal string');
export const channelIdSchema = z.string().regex(/^[0-9a-f]{64}:(0|[1-9][0-9]{0,9})$/, 'a channel id is its funding outpoint txid:vout');

export class ChannelIdParam extends createZodDto(z.object({ id: channelIdSchema }).strict()) {}

export const termsView = z.object({
  network: z.string(),
  groupKey: z.string().describe('The custody FROST group key (x-only): the funding leaf names it'),
  custodyRevocationBasepoint: z.string(),
  custodyPayoutScript: z.string(),
  challengePeriod: z.number().int().describe('CSV blocks on the publisher\'s own output'),
  commitmentFee: z.string(),
  minConfirmations: z.number().int(),
});
export type TermsView = z.infer<typeof termsView>;
export class TermsDto extends createZodDto(termsView) {}

export const openingPointsView = z.object({ channelId: z.string(), points: z.array(z.string()).describe("Custody's per-commitment points of states 0 and 1") });
export class OpeningPointsDto extends createZodDto(openingPointsView) {}

export const registerBody = z
  .object({
    params: channelParamsJsonSchema,
    evmAddress: z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'a 20-byte 0x address').describe('Owner of the L2 channel account, credited with payments'),
    userPoints: z.tuple([hex(33), hex(33)]).describe("The user's per-commitment points of states 0 and 1"),
    userSignature: hex(64).describe("The user's signature on custody's state-0 commitment"),
  })
  .strict();
export class RegisterBody extends createZodDto(registerBody) {}
export const registeredView = z.object({ channelId: z.string(), signature: z.string().describe("Custody's group signature on the user's state-0 commitment"), custodyPoints: z.array(z.string()) });
export type RegisteredView = z.infer<typeof registeredView>;
export class RegisteredDto extends createZodDto(registeredView) {}

export const proposalBody = z.object({ sheet: balanceSheetJsonSchema, signature: hex(64) }).strict();
export class ProposalBody extends createZodDto(proposalBody) {}
export const acceptanceView = z.object({ stateNumber: z.number().int(), signature: z.string(), revocation: z.object({ stateNumber: z.number().int(), secret: z.string(), nextPoint: z.string() }) });
export type AcceptanceView = z.infer<typeof acceptanceView>;
export class AcceptanceDto extends createZodDto(acceptanceView) {}

export const revocationBody = z.object({ stateNumber: z.number().int().min(0), secret: hex(32), nextPoint: hex(33) }).strict();
export class RevocationBody extends createZodDto(revocationBody) {}

export const returnBody = z.object({ stateNumber: z.number().int().min(1), amountSats: sats }).strict();
export class ReturnBody extends createZodDto(returnBody) {}

export const executedView = z.object({ stateNumber: z.number().int(), userSats: z.string(), custodySats: z.string(), kind: z.string(), amountSats: z.string() });
export type ExecutedView = z.infer<typeof executedView>;
export class ExecutedDto extends createZodDto(executedView) {}

export const closeBody = z.object({ feeSats: sats, feePaidBy: z.enum(['user', 'custody']), userSignature: hex(64) }).strict();
export class CloseBody extends createZodDto(closeBody) {}
export const closeView = z.object({ txid: z.string(), transaction: z.string(), userSats: z.string(), custodySats: z.string(), broadcast: z.string().describe('accepted, already-known, or the broadcast error') });
export type CloseView = z.infer<typeof closeView>;
export class CloseDto extends createZodDto(closeView) {}

export const channelView = z.object({
  channelId: z.string(),
  status: z.string(),
  evmAddress: z.string(),
  capacitySats: z.string(),
  latest: executedView.describe('The latest state the L2 executed'),
  signedState: z.number().int().describe("The latest state custody holds the user's signature for"),
  updateInFlight: z.number().int().nullable(),
  l2: z.object({ channelAccountSats: z.string().describe("The user's side, shown on the L2; not transferable"), creditedSats: z.string(), burnedSats: z.string() }),
  closeTxid: z.string().nullable(),
  params: z.record(z.string(), z.unknown()),
});
export type ChannelView = z.infer<typeof channelView>;
export class ChannelDto extends createZodDto(channelView) {}

export const ledgerView = z.object({ channelId: z.string(), status: z.string(), params: z.record(z.string(), z.unknown()), executed: z.array(executedView) });
export type LedgerView = z.infer<typeof ledgerView>;
export class LedgerDto extends createZodDto(ledgerView) {}
export class LedgerRequest extends createZodDto(z.object({ channelId: channelIdSchema }).strict()) {}
