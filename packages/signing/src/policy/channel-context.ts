// What a `channel` signing request claims beyond its transaction: which channel, which kind of funding spend, the
// balance sheet and what the signer needs to rebuild the transaction. Every claim is checked by the channel policy
// (the rebuilt transaction's sighash must be the one the request asks for), never trusted.
import { z } from 'zod';

const decimalSats = z.string().regex(/^(0|[1-9][0-9]{0,18})$/, 'satoshis as a decimal string');

export const channelContextSchema = z
  .object({
    /** The funding outpoint `txid:vout` (display hex). */
    channelId: z.string().regex(/^[0-9a-f]{64}:(0|[1-9][0-9]{0,9})$/, 'channelId is the funding outpoint txid:vout'),
    kind: z.enum(['user-commitment', 'custody-commitment', 'cooperative-close', 'custody-delayed-sweep']),
    stateNumber: z.number().int().min(0).max(2 ** 48 - 1),
    user: decimalSats,
    custody: decimalSats,
    /** Commitments: the holder's per-commitment point for this state (33-byte compressed). */
    holderPerCommitmentPoint: z.string().regex(/^0[23][0-9a-f]{64}$/, '33-byte compressed point as lowercase hex').optional(),
    /** Closes: the fee and whose side pays it. */
    close: z.object({ fee: decimalSats, feePaidBy: z.enum(['user', 'custody']) }).strict().optional(),
    /** Custody's delayed sweep (its to_local back to the custody payout script): the fee. */
    sweep: z.object({ fee: decimalSats }).strict().optional(),
  })
  .strict();
export type ChannelContext = z.infer<typeof channelContextSchema>;
