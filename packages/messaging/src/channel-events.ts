import { z } from 'zod';
import { defineEvent, evmAddress, hex32, satsAmount } from './catalog.js';

// ---- state channels (apps/channel-service, issue 12). Channel id = the funding outpoint `txid:vout`.
const channelId = z.string().regex(/^[0-9a-f]{64}:(0|[1-9][0-9]{0,9})$/, 'must be the funding outpoint txid:vout');
const stateNumber = z.number().int().min(0).max(2 ** 48 - 1);

/** The funding output is proven on the service's header chain: the L2 channel account exists. */
export const channelOpened = defineEvent({
  subject: 'channel.opened',
  version: 1,
  stream: 'CHANNEL',
  schema: z.object({ channelId, evmAddress, capacitySats: satsAmount }),
  id: (p) => `channel.opened:${p.channelId}`,
});

/** A state executed on the L2, once per (channel, state): a payment credited or a return burned. */
export const channelUpdated = defineEvent({
  subject: 'channel.updated',
  version: 1,
  stream: 'CHANNEL',
  schema: z.object({ channelId, stateNumber, userSats: satsAmount, custodySats: satsAmount, kind: z.enum(['credit', 'burn']), amountSats: satsAmount }),
  id: (p) => `channel.updated:${p.channelId}:${p.stateNumber}`,
});

/**
 * A channel state executed on the L2 as real L2 BTC (issue 12): the sequencer (evm-gateway) applies it as a channel
 * ledger system call, exactly once per `id` = `channel:<channelId>:<stateNumber>` (packages/evm system-calls.ts):
 * channel_credit credits a payment to the channel's EVM address, channel_burn burns a return from it.
 */
const uintString = z.string().regex(/^(0|[1-9][0-9]*)$/, 'must be a whole number as a decimal string');
export const channelSystemCall = defineEvent({
  subject: 'channel.system.call',
  version: 1,
  stream: 'CHANNEL',
  schema: z.object({
    id: z.string().min(1).max(200),
    call: z.object({ kind: z.enum(['channel_credit', 'channel_burn']), channelId, stateNumber: uintString, account: evmAddress, amountSats: uintString }),
  }),
  id: (p) => `channel.system.call:${p.id}`,
});

/** Something spent the funding output: a cooperative close, a force close by either side, or a penalised revoked state. */
export const channelClosing = defineEvent({
  subject: 'channel.closing',
  version: 1,
  stream: 'CHANNEL',
  schema: z.object({ channelId, how: z.enum(['cooperative', 'user-force-close', 'custody-force-close', 'revoked-state-penalised']), txid: hex32, stateNumber: stateNumber.optional() }),
  id: (p) => `channel.closing:${p.channelId}`,
});

/** The close (and any penalty) confirmed: nothing of the channel is left to watch. */
export const channelClosed = defineEvent({
  subject: 'channel.closed',
  version: 1,
  stream: 'CHANNEL',
  schema: z.object({ channelId, txid: hex32 }),
  id: (p) => `channel.closed:${p.channelId}`,
});
