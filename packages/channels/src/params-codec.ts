// Channel parameters as JSON (bigints as decimal strings, bytes as hex), validated on read: the channel service
// stores them, the signers' channel view fetches them and the CLI keeps them in its channel file. Whoever reads
// them rebuilds every transaction from them, so a malformed field must fail here, not later in a sighash.
import { z } from 'zod';
import { bytesToHex, hexToBytes } from '@tapbridge/bitcoin';
import { ChannelError } from './errors.js';
import { validateParams, type BalanceSheet, type ChannelParams } from './params.js';

const hex = (bytes: number) => z.string().regex(new RegExp(`^[0-9a-f]{${bytes * 2}}$`), `${bytes} bytes of lowercase hex`);
const sats = z.string().regex(/^(0|[1-9][0-9]{0,18})$/, 'satoshis as a decimal string');

export const channelParamsJsonSchema = z
  .object({
    funding: z.object({ txid: hex(32), vout: z.number().int().min(0).max(0xffff_ffff) }).strict(),
    capacity: sats,
    userKey: hex(32),
    groupKey: hex(32),
    userRevocationBasepoint: hex(33),
    custodyRevocationBasepoint: hex(33),
    userPayoutScript: z.string().regex(/^(?:[0-9a-f]{2}){1,80}$/, 'a script as lowercase hex (1..80 bytes)'),
    custodyPayoutScript: z.string().regex(/^(?:[0-9a-f]{2}){1,80}$/, 'a script as lowercase hex (1..80 bytes)'),
    challengePeriod: z.number().int().min(1).max(0xffff),
    commitmentFee: sats,
    dustLimit: sats.optional(),
  })
  .strict();
export type ChannelParamsJson = z.infer<typeof channelParamsJsonSchema>;

export const balanceSheetJsonSchema = z.object({ stateNumber: z.number().int().min(0).max(2 ** 48 - 1), user: sats, custody: sats }).strict();
export type BalanceSheetJson = z.infer<typeof balanceSheetJsonSchema>;

/** A channel's id: its funding outpoint `txid:vout` (display hex), unique by construction. */
export const channelIdOf = (params: Pick<ChannelParams, 'funding'>): string => `${params.funding.txid.toLowerCase()}:${params.funding.vout}`;
export const CHANNEL_ID_PATTERN = /^[0-9a-f]{64}:(0|[1-9][0-9]{0,9})$/;

export function encodeChannelParams(p: ChannelParams): ChannelParamsJson {
  return {
    funding: { txid: p.funding.txid.toLowerCase(), vout: p.funding.vout },
    capacity: p.capacity.toString(),
    userKey: bytesToHex(p.userKey),
    groupKey: bytesToHex(p.groupKey),
    userRevocationBasepoint: bytesToHex(p.userRevocationBasepoint),
    custodyRevocationBasepoint: bytesToHex(p.custodyRevocationBasepoint),
    userPayoutScript: bytesToHex(p.userPayoutScript),
    custodyPayoutScript: bytesToHex(p.custodyPayoutScript),
    challengePeriod: p.challengePeriod,
    commitmentFee: p.commitmentFee.toString(),
    ...(p.dustLimit !== undefined ? { dustLimit: p.dustLimit.toString() } : {}),
  };
}

/** Parses and validates (validateParams): throws ChannelError naming every bad field. */
export function decodeChannelParams(input: unknown): ChannelParams {
  const parsed = channelParamsJsonSchema.safeParse(input);
  if (!parsed.success) throw new ChannelError(`channel parameters are malformed: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(params)'}: ${i.message}`).join('; ')}`);
  const j = parsed.data;
  const params: ChannelParams = {
    funding: j.funding,
    capacity: BigInt(j.capacity),
    userKey: hexToBytes(j.userKey),
    groupKey: hexToBytes(j.groupKey),
    userRevocationBasepoint: hexToBytes(j.userRevocationBasepoint),
    custodyRevocationBasepoint: hexToBytes(j.custodyRevocationBasepoint),
    userPayoutScript: hexToBytes(j.userPayoutScript),
    custodyPayoutScript: hexToBytes(j.custodyPayoutScript),
    challengePeriod: j.challengePeriod,
    commitmentFee: BigInt(j.commitmentFee),
    ...(j.dustLimit !== undefined ? { dustLimit: BigInt(j.dustLimit) } : {}),
  };
  validateParams(params);
  return params;
}

export const sheetToJson = (s: BalanceSheet): BalanceSheetJson => ({ stateNumber: s.stateNumber, user: s.user.toString(), custody: s.custody.toString() });
export const sheetFromJson = (s: BalanceSheetJson): BalanceSheet => ({ stateNumber: s.stateNumber, user: BigInt(s.user), custody: BigInt(s.custody) });
