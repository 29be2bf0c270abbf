import { DUST_LIMIT, assertXOnlyKey, hexToHash } from '@tapbridge/bitcoin';
import { ChannelError } from './errors.js';

export type Side = 'user' | 'custody';
export const otherSide = (side: Side): Side => (side === 'user' ? 'custody' : 'user');

/** Challenge period on mainnet: 1008 blocks, about 7 days. */
export const MAINNET_CHALLENGE_PERIOD = 1008;

/** Everything both sides agree on at opening; fixed for the channel's life. */
export interface ChannelParams {
  /** Funding outpoint: txid in display hex. */
  funding: { txid: string; vout: number };
  /** Funding output value in satoshis. */
  capacity: bigint;
  /** The user's x-only funding key (also the key of the user's delayed output). */
  userKey: Uint8Array;
  /** The custody's FROST group key, x-only, untweaked. */
  groupKey: Uint8Array;
  /** The user's revocation basepoint (33-byte compressed); custody's commitments are revocable with it. */
  userRevocationBasepoint: Uint8Array;
  /** The custody watchtower's revocation basepoint (33-byte compressed, a plain key, not the FROST key). */
  custodyRevocationBasepoint: Uint8Array;
  /** Where the user's side is paid (to_remote on custody's commitment, cooperative close). */
  userPayoutScript: Uint8Array;
  /** Where the custody's side is paid. */
  custodyPayoutScript: Uint8Array;
  /** CSV on the publisher's own output, in blocks: 1008 on mainnet, a few on the devnet. */
  challengePeriod: number;
  /** Fee of each commitment transaction, paid by its holder first. */
  commitmentFee: bigint;
  /** Outputs below this are left out (added to the fee), as Core would not relay them. Defaults to 546. */
  dustLimit?: bigint;
}

/** One state: who owns what, and its number. Both sides sign it (as each other's commitment transactions). */
export interface BalanceSheet {
  stateNumber: number;
  user: bigint;
  custody: bigint;
}

export const dustLimitOf = (params: ChannelParams): bigint => params.dustLimit ?? DUST_LIMIT;

export function validateParams(params: ChannelParams): void {
  hexToHash(params.funding.txid);
  if (!Number.isInteger(params.funding.vout) || params.funding.vout < 0 || params.funding.vout > 0xffffffff) throw new ChannelError(`funding vout ${params.funding.vout} is not a u32`);
  assertXOnlyKey(params.userKey, 'user key');
  assertXOnlyKey(params.groupKey, 'group key');
  for (const [what, bp] of [['user revocation basepoint', params.userRevocationBasepoint], ['custody revocation basepoint', params.custodyRevocationBasepoint]] as const)
    if (!(bp instanceof Uint8Array) || bp.length !== 33) throw new ChannelError(`${what} must be a 33-byte compressed point`);
  if (!Number.isInteger(params.challengePeriod) || params.challengePeriod < 1 || params.challengePeriod > 0xffff)
    throw new ChannelError(`challenge period ${params.challengePeriod} must be 1..65535 blocks`);
  const dust = dustLimitOf(params);
  if (params.commitmentFee < 0n) throw new ChannelError('commitment fee is negative');
  if (params.capacity <= params.commitmentFee + dust) throw new ChannelError(`capacity ${params.capacity} does not cover the commitment fee and one output above dust`);
  if (params.userPayoutScript.length === 0 || params.custodyPayoutScript.length === 0) throw new ChannelError('payout scripts must not be empty');
}

/** A balance sheet is valid when both sides are non-negative and together hold exactly the capacity. */
export function checkBalanceSheet(params: Pick<ChannelParams, 'capacity'>, sheet: BalanceSheet): void {
  if (!Number.isSafeInteger(sheet.stateNumber) || sheet.stateNumber < 0 || sheet.stateNumber >= 2 ** 48)
    throw new ChannelError(`state number ${sheet.stateNumber} is not in 0..2^48-1`);
  if (typeof sheet.user !== 'bigint' || typeof sheet.custody !== 'bigint') throw new ChannelError('balances must be bigint satoshis');
  if (sheet.user < 0n || sheet.custody < 0n) throw new ChannelError(`state ${sheet.stateNumber} has a negative balance`);
  if (sheet.user + sheet.custody !== params.capacity)
    throw new ChannelError(`state ${sheet.stateNumber} holds ${sheet.user + sheet.custody} sat, the channel ${params.capacity} sat: balances must be conserved`);
}
