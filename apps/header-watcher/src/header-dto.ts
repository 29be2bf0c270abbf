// The shapes of the read API, declared once: each zod schema validates requests (REST and rpc.btc.headers.*),
// serialises responses (@ZodResponse) and is the OpenAPI schema.
import { createZodDto } from '@tapbridge/runtime/nest';
import { z } from 'zod';

export const header = z.object({
  height: z.number().int().meta({ example: 812345 }),
  hash: z.string().describe('Block hash, display order (hex)'),
  prevHash: z.string().describe('Previous block hash, display order'),
  merkleRoot: z.string().describe('Merkle root, display order'),
  version: z.number().int(),
  time: z.number().int().describe('Block time, seconds since the epoch'),
  bits: z.string().describe('Compact target, 8 hex digits').meta({ example: '207fffff' }),
  nonce: z.number().int(),
  chainwork: z.string().describe('Cumulative work up to and including this block, 64 hex digits'),
  header: z.string().describe('The raw 80-byte header, hex'),
  inBest: z.boolean().describe('On the validated best chain'),
  confirmations: z.number().int().describe('Best-chain blocks from this one to the tip, itself included; 0 off the best chain'),
});
export class HeaderDto extends createZodDto(header) {}

export const headerRange = z.object({
  from: z.number().int(),
  to: z.number().int(),
  headers: z.array(header).describe('Best-chain headers in ascending height (fewer than asked when beyond the tip)'),
});
export class HeaderRangeDto extends createZodDto(headerRange) {}

export const forkTip = z.object({
  height: z.number().int().describe('Height of the branch tip'),
  hash: z.string(),
  chainwork: z.string(),
  forkHeight: z.number().int().describe('Height of the last best-chain block the branch shares'),
  branchLength: z.number().int().describe('Headers on the branch above the fork point'),
});
export class ForkTipDto extends createZodDto(forkTip) {}

export const sourceStatus = z.object({
  name: z.string().meta({ example: 'core@127.0.0.1:18443' }),
  height: z.number().int().optional().describe('Tip height the source last claimed (not validated)'),
  hash: z.string().optional(),
  lag: z.number().int().optional().describe('Blocks our best chain is behind the source\u2019s claim'),
  lastPolledAt: z.string().optional(),
  lastError: z.string().optional(),
  lastErrorAt: z.string().optional(),
  strikes: z.number().int().describe('Consecutive failed rounds'),
  skippedUntil: z.string().optional().describe('Benched (not asked) until this time after repeated failures or bad data'),
});

export const syncStatus = z.object({
  network: z.string().meta({ example: 'regtest' }),
  bestHeight: z.number().int(),
  bestHash: z.string(),
  rootHeight: z.number().int().describe('Lowest height held in memory (the restart root)'),
  sources: z.array(sourceStatus),
});
export class SyncStatusDto extends createZodDto(syncStatus) {}

export type HeaderView = z.infer<typeof header>;
export type HeaderRange = z.infer<typeof headerRange>;
export type ForkTip = z.infer<typeof forkTip>;
export type SyncStatus = z.infer<typeof syncStatus>;

// Requests. Heights arrive as text (REST) or numbers (RPC); HeaderApi turns them into heights with its own messages.
const heightText = z.union([z.number(), z.string()]);

export class RangeQuery extends createZodDto(
  z.object({
    from: z.string().optional().describe('First height (inclusive)'),
    to: z.string().optional().describe('Last height (inclusive)'),
  }),
) {}

/** Requests without parameters still have to be a JSON object, as before. */
export class EmptyRequest extends createZodDto(z.looseObject({})) {}
export class GetHeaderRequest extends createZodDto(z.object({ heightOrHash: heightText })) {}
export class RangeRequest extends createZodDto(z.object({ from: heightText, to: heightText })) {}
