// Test keys and a channel between them. The custody's group key is a plain key here: a FROST/ROAST signature for
// the group key is an ordinary BIP340 signature over the same sighash, which is all these transactions check.
import { schnorr } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { taprootOutput, type Transaction } from '@tapbridge/bitcoin';
import { Transaction as BitcoinjsTransaction } from 'bitcoinjs-lib';
import { encodeTransaction } from '@tapbridge/bitcoin';
import { pointOf, type BalanceSheet, type ChannelParams, type PartyKeys } from '../src/index.js';

export const secret = (label: string): Uint8Array => sha256(new TextEncoder().encode(`channels test ${label}`));

export const userSecret = secret('user funding');
export const groupSecret = secret('custody group');
export const userRevocationBaseSecret = secret('user revocation base');
export const custodyRevocationBaseSecret = secret('custody revocation base');
export const userSeed = secret('user shachain seed');
export const custodySeed = secret('custody shachain seed');

export const userKey = schnorr.getPublicKey(userSecret);
export const groupKey = schnorr.getPublicKey(groupSecret);
export const userPayoutScript = taprootOutput(schnorr.getPublicKey(secret('user payout'))).scriptPubKey;
export const custodyPayoutScript = taprootOutput(schnorr.getPublicKey(secret('custody payout'))).scriptPubKey;

export const sign = (sk: Uint8Array) => (msg: Uint8Array): Uint8Array => schnorr.sign(msg, sk, new Uint8Array(32));

export const userKeys: PartyKeys = { perCommitmentSeed: userSeed, sign: sign(userSecret) };
export const custodyKeys: PartyKeys = { perCommitmentSeed: custodySeed, sign: sign(groupSecret) };

export function channelParams(funding: { txid: string; vout: number }, capacity: bigint, overrides: Partial<ChannelParams> = {}): ChannelParams {
  return {
    funding,
    capacity,
    userKey,
    groupKey,
    userRevocationBasepoint: pointOf(userRevocationBaseSecret),
    custodyRevocationBasepoint: pointOf(custodyRevocationBaseSecret),
    userPayoutScript,
    custodyPayoutScript,
    challengePeriod: 6,
    commitmentFee: 1_000n,
    ...overrides,
  };
}

export const sheet = (stateNumber: number, user: bigint, custody: bigint): BalanceSheet => ({ stateNumber, user, custody });

/** Decodes our serialization with bitcoinjs-lib (an independent decoder) and checks it re-encodes to the same bytes and txid. */
export function decodeIndependently(tx: Transaction): BitcoinjsTransaction {
  const bytes = encodeTransaction(tx);
  const decoded = BitcoinjsTransaction.fromBuffer(bytes);
  if (Buffer.compare(decoded.toBuffer(), Buffer.from(bytes)) !== 0) throw new Error('bitcoinjs-lib re-encodes the transaction differently');
  return decoded;
}
