// The channel's transactions: funding output, commitments (one per side per state), penalty, delayed sweep
// (the unilateral exit's second step) and cooperative close. Signatures are BIP340 over BIP341 sighashes
// (SIGHASH_DEFAULT); the caller signs (the user with its key, the custody through ROAST), these functions check.
import { schnorr } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import {
  NUMS_INTERNAL_KEY,
  SIGHASH_DEFAULT,
  bytesToHex,
  computeTxid,
  concatBytes,
  encodeSegwitAddress,
  addressParams,
  hashToHex,
  hexToHash,
  taprootOutput,
  taprootSighash,
  taprootTweakSecretKey,
  type AddressNetwork,
  type Transaction,
  type TxOutput,
} from '@tapbridge/bitcoin';
import { ChannelError } from './errors.js';
import { revocationPubkey, xOnly } from './keys.js';
import { checkBalanceSheet, dustLimitOf, validateParams, type BalanceSheet, type ChannelParams, type Side } from './params.js';
import { buildCooperativeLeaf, buildDelayedLeaf } from './scripts.js';

export interface LeafSpend {
  script: Uint8Array;
  leafHash: Uint8Array;
  controlBlock: Uint8Array;
}

export interface FundingOutput {
  scriptPubKey: Uint8Array;
  outputKey: Uint8Array;
  /** NUMS: no key path, so the cooperative leaf is the only spend. */
  internalKey: Uint8Array;
  cooperativeLeaf: LeafSpend;
}

/** The funding output: P2TR, NUMS internal key, one leaf `<user> CHECKSIGVERIFY <group> CHECKSIG`. */
export function fundingOutput(keys: Pick<ChannelParams, 'userKey' | 'groupKey'>): FundingOutput {
  const script = buildCooperativeLeaf({ userKey: keys.userKey, groupKey: keys.groupKey });
  const out = taprootOutput(NUMS_INTERNAL_KEY, { script });
  const leaf = out.leaves[0]!;
  return { scriptPubKey: out.scriptPubKey, outputKey: out.outputKey, internalKey: NUMS_INTERNAL_KEY, cooperativeLeaf: { script, leafHash: leaf.leafHash, controlBlock: leaf.controlBlock } };
}

export function fundingAddress(network: AddressNetwork | string, keys: Pick<ChannelParams, 'userKey' | 'groupKey'>): string {
  return encodeSegwitAddress(addressParams(network).bech32Hrp, 1, fundingOutput(keys).outputKey);
}

const fundingPrevout = (params: ChannelParams): TxOutput => ({ value: params.capacity, scriptPubKey: fundingOutput(params).scriptPubKey });

/** Which side's keys a commitment's to_local uses and whose revocation basepoint revokes it. */
function holderKeys(params: ChannelParams, holder: Side): { holderKey: Uint8Array; counterpartyRevocationBasepoint: Uint8Array; remoteScript: Uint8Array } {
  return holder === 'user'
    ? { holderKey: params.userKey, counterpartyRevocationBasepoint: params.custodyRevocationBasepoint, remoteScript: params.custodyPayoutScript }
    : { holderKey: params.groupKey, counterpartyRevocationBasepoint: params.userRevocationBasepoint, remoteScript: params.userPayoutScript };
}

/** BOLT 3's obscuring factor, here from the two funding keys: the lower 48 bits of SHA256(user key ‖ group key). */
function obscuringFactor(params: ChannelParams): bigint {
  const h = sha256(concatBytes(params.userKey, params.groupKey));
  return BigInt('0x' + bytesToHex(h.slice(26)));
}

/** The to_local output of a commitment: key path = revocation key (the penalty), one leaf = holder after CSV. */
export function toLocalOutput(params: ChannelParams, holder: Side, holderPerCommitmentPoint: Uint8Array): { scriptPubKey: Uint8Array; revocationKey: Uint8Array; merkleRoot: Uint8Array; delayedLeaf: LeafSpend } {
  const { holderKey, counterpartyRevocationBasepoint } = holderKeys(params, holder);
  const revocationKey = xOnly(revocationPubkey(counterpartyRevocationBasepoint, holderPerCommitmentPoint));
  const script = buildDelayedLeaf({ delayBlocks: params.challengePeriod, holderKey });
  const out = taprootOutput(revocationKey, { script });
  const leaf = out.leaves[0]!;
  return { scriptPubKey: out.scriptPubKey, revocationKey, merkleRoot: out.merkleRoot!, delayedLeaf: { script, leafHash: leaf.leafHash, controlBlock: leaf.controlBlock } };
}

export interface Commitment {
  holder: Side;
  sheet: BalanceSheet;
  /** Unsigned (no witness) until completeFundingSpend. */
  tx: Transaction;
  txid: string;
  toLocal?: { vout: number; value: bigint };
  toRemote?: { vout: number; value: bigint };
  /** What both sides sign: the BIP341 script-path sighash of the funding input. */
  sighash: Uint8Array;
}

/**
 * The holder's commitment for a state: version 2; locktime and sequence carry the obscured state number (BOLT 3);
 * outputs [to_local (holder, CSV + revocation), to_remote (counterparty's payout script)]. The fee is paid from the
 * holder's balance first (it is the holder who publishes); outputs under the dust limit are left out.
 */
export function buildCommitment(params: ChannelParams, holder: Side, sheet: BalanceSheet, holderPerCommitmentPoint: Uint8Array): Commitment {
  validateParams(params);
  checkBalanceSheet(params, sheet);
  const dust = dustLimitOf(params);
  const own = holder === 'user' ? sheet.user : sheet.custody;
  const other = holder === 'user' ? sheet.custody : sheet.user;
  const fromOwn = own < params.commitmentFee ? own : params.commitmentFee;
  const localValue = own - fromOwn;
  const remoteValue = other - (params.commitmentFee - fromOwn);
  const obscured = BigInt(sheet.stateNumber) ^ obscuringFactor(params);
  const tx: Transaction = {
    version: 2,
    inputs: [{
      prevout: { txid: hexToHash(params.funding.txid), vout: params.funding.vout },
      scriptSig: new Uint8Array(0),
      sequence: 0x80000000 | Number((obscured >> 24n) & 0xffffffn),
      witness: [],
    }],
    outputs: [],
    locktime: 0x20000000 | Number(obscured & 0xffffffn),
  };
  const commitment: Omit<Commitment, 'txid' | 'sighash'> = { holder, sheet, tx };
  if (localValue >= dust) {
    commitment.toLocal = { vout: tx.outputs.length, value: localValue };
    tx.outputs.push({ value: localValue, scriptPubKey: toLocalOutput(params, holder, holderPerCommitmentPoint).scriptPubKey });
  }
  if (remoteValue >= dust) {
    commitment.toRemote = { vout: tx.outputs.length, value: remoteValue };
    tx.outputs.push({ value: remoteValue, scriptPubKey: holderKeys(params, holder).remoteScript });
  }
  if (tx.outputs.length === 0) throw new ChannelError(`state ${sheet.stateNumber} leaves no output above dust on the ${holder}'s commitment`);
  return { ...commitment, txid: hashToHex(computeTxid(tx)), sighash: fundingSpendSighash(params, tx) };
}

/** The state number a published commitment carries (how the watchtower recognises which state it is). */
export function commitmentStateNumber(params: ChannelParams, tx: Transaction): number {
  const input = tx.inputs[0];
  if (tx.inputs.length !== 1 || !input || (tx.locktime >>> 24) !== 0x20 || (input.sequence >>> 24) !== 0x80) throw new ChannelError('not a channel commitment transaction');
  const obscured = (BigInt(input.sequence & 0xffffff) << 24n) | BigInt(tx.locktime & 0xffffff);
  return Number(obscured ^ obscuringFactor(params));
}

/** Sighash of a transaction spending the funding output through the cooperative leaf (input 0). */
export function fundingSpendSighash(params: ChannelParams, tx: Transaction): Uint8Array {
  return taprootSighash({ tx, inputIndex: 0, prevouts: [fundingPrevout(params)], hashType: SIGHASH_DEFAULT, leafHash: fundingOutput(params).cooperativeLeaf.leafHash });
}

function checkSignature(sig: Uint8Array, msg: Uint8Array, key: Uint8Array, what: string): void {
  if (!(sig instanceof Uint8Array) || sig.length !== 64) throw new ChannelError(`${what} must be a 64-byte BIP340 signature (SIGHASH_DEFAULT)`);
  if (!schnorr.verify(sig, msg, key)) throw new ChannelError(`${what} does not verify`);
}

/** Checks one side's signature over a funding spend (a commitment or a close). */
export function verifyFundingSignature(params: ChannelParams, tx: Transaction, signer: Side, sig: Uint8Array): void {
  checkSignature(sig, fundingSpendSighash(params, tx), signer === 'user' ? params.userKey : params.groupKey, `${signer} signature on ${hashToHex(computeTxid(tx))}`);
}

/** Puts both signatures into the funding input's witness, after checking them: `<group sig> <user sig> <leaf> <control>`. */
export function completeFundingSpend(params: ChannelParams, tx: Transaction, sigs: { user: Uint8Array; custody: Uint8Array }): Transaction {
  verifyFundingSignature(params, tx, 'user', sigs.user);
  verifyFundingSignature(params, tx, 'custody', sigs.custody);
  const leaf = fundingOutput(params).cooperativeLeaf;
  const signed: Transaction = { ...tx, inputs: tx.inputs.map((i) => ({ ...i, witness: [] })) };
  signed.inputs[0]!.witness = [sigs.custody, sigs.user, leaf.script, leaf.controlBlock];
  return signed;
}

export interface CooperativeCloseParams {
  sheet: BalanceSheet;
  fee: bigint;
  /** Who pays the fee: the side that asked to close. A custody settle is a cooperative close with feePaidBy 'custody'. */
  feePaidBy: Side;
}

/** The cooperative close: one transaction from the funding output paying both sides their balance (minus the fee, from the payer). */
export function buildCooperativeClose(params: ChannelParams, close: CooperativeCloseParams): { tx: Transaction; sighash: Uint8Array; user: bigint; custody: bigint } {
  validateParams(params);
  checkBalanceSheet(params, close.sheet);
  const dust = dustLimitOf(params);
  if (close.fee <= 0n) throw new ChannelError('a close needs a positive fee');
  const payer = close.feePaidBy === 'user' ? close.sheet.user : close.sheet.custody;
  if (payer < close.fee) throw new ChannelError(`the ${close.feePaidBy} side (${payer} sat) cannot pay the ${close.fee} sat close fee`);
  const user = close.sheet.user - (close.feePaidBy === 'user' ? close.fee : 0n);
  const custody = close.sheet.custody - (close.feePaidBy === 'custody' ? close.fee : 0n);
  const tx: Transaction = {
    version: 2,
    inputs: [{ prevout: { txid: hexToHash(params.funding.txid), vout: params.funding.vout }, scriptSig: new Uint8Array(0), sequence: 0xfffffffd, witness: [] }],
    outputs: [],
    locktime: 0,
  };
  if (user >= dust) tx.outputs.push({ value: user, scriptPubKey: params.userPayoutScript });
  if (custody >= dust) tx.outputs.push({ value: custody, scriptPubKey: params.custodyPayoutScript });
  if (tx.outputs.length === 0) throw new ChannelError('the close leaves no output above dust');
  return { tx, sighash: fundingSpendSighash(params, tx), user: user >= dust ? user : 0n, custody: custody >= dust ? custody : 0n };
}

export interface OutputSpend {
  /** The commitment being spent from. */
  commitment: Commitment;
  destinationScript: Uint8Array;
  fee: bigint;
}

function spendOfOutput(commitmentTxid: string, vout: number, value: bigint, destinationScript: Uint8Array, fee: bigint, sequence: number): Transaction {
  if (fee <= 0n) throw new ChannelError('a spend needs a positive fee');
  if (value - fee <= 0n) throw new ChannelError(`output of ${value} sat cannot pay the ${fee} sat fee`);
  return {
    version: 2,
    inputs: [{ prevout: { txid: hexToHash(commitmentTxid), vout }, scriptSig: new Uint8Array(0), sequence, witness: [] }],
    outputs: [{ value: value - fee, scriptPubKey: destinationScript }],
    locktime: 0,
  };
}

/**
 * The penalty: the counterparty takes a revoked commitment's to_local at once, on the key path with the revocation
 * secret (its own revocation basepoint secret + the holder's revealed per-commitment secret). The revoked
 * commitment's to_remote already pays the counterparty, so it ends with everything but the fees.
 */
export function buildPenalty(
  params: ChannelParams,
  spend: OutputSpend & { holderPerCommitmentPoint: Uint8Array; revocationSecretKey: Uint8Array; auxRand?: Uint8Array },
): Transaction {
  const { commitment } = spend;
  if (!commitment.toLocal) throw new ChannelError(`the ${commitment.holder}'s commitment ${commitment.sheet.stateNumber} has no to_local output to penalise`);
  const local = toLocalOutput(params, commitment.holder, spend.holderPerCommitmentPoint);
  if (!equalKey(schnorr.getPublicKey(spend.revocationSecretKey), local.revocationKey)) throw new ChannelError('revocation secret does not match the commitment\'s revocation key');
  const tx = spendOfOutput(commitment.txid, commitment.toLocal.vout, commitment.toLocal.value, spend.destinationScript, spend.fee, 0xfffffffd);
  const prevouts = [{ value: commitment.toLocal.value, scriptPubKey: local.scriptPubKey }];
  const sighash = taprootSighash({ tx, inputIndex: 0, prevouts, hashType: SIGHASH_DEFAULT });
  const tweaked = taprootTweakSecretKey(spend.revocationSecretKey, local.merkleRoot);
  tx.inputs[0]!.witness = [schnorr.sign(sighash, tweaked, spend.auxRand ?? crypto.getRandomValues(new Uint8Array(32)))];
  return tx;
}

const equalKey = (a: Uint8Array, b: Uint8Array): boolean => bytesToHex(a) === bytesToHex(b);

export interface UnsignedDelayedSweep {
  tx: Transaction;
  sighash: Uint8Array;
  /** The key whose signature spends it: the holder's. */
  holderKey: Uint8Array;
  delayedLeaf: LeafSpend;
}

/**
 * The holder's own output after the challenge period (nSequence = the CSV): the second step of a unilateral close.
 * For the user this is the "network breakdown" exit: it needs only the user's key.
 */
export function buildDelayedSweep(params: ChannelParams, spend: OutputSpend & { holderPerCommitmentPoint: Uint8Array }): UnsignedDelayedSweep {
  const { commitment } = spend;
  if (!commitment.toLocal) throw new ChannelError(`the ${commitment.holder}'s commitment ${commitment.sheet.stateNumber} has no to_local output`);
  const local = toLocalOutput(params, commitment.holder, spend.holderPerCommitmentPoint);
  const tx = spendOfOutput(commitment.txid, commitment.toLocal.vout, commitment.toLocal.value, spend.destinationScript, spend.fee, params.challengePeriod);
  const prevouts = [{ value: commitment.toLocal.value, scriptPubKey: local.scriptPubKey }];
  const sighash = taprootSighash({ tx, inputIndex: 0, prevouts, hashType: SIGHASH_DEFAULT, leafHash: local.delayedLeaf.leafHash });
  return { tx, sighash, holderKey: holderKeys(params, commitment.holder).holderKey, delayedLeaf: local.delayedLeaf };
}

export function completeDelayedSweep(unsigned: UnsignedDelayedSweep, sig: Uint8Array): Transaction {
  checkSignature(sig, unsigned.sighash, unsigned.holderKey, 'delayed sweep signature');
  const tx: Transaction = { ...unsigned.tx, inputs: unsigned.tx.inputs.map((i) => ({ ...i })) };
  tx.inputs[0]!.witness = [sig, unsigned.delayedLeaf.script, unsigned.delayedLeaf.controlBlock];
  return tx;
}

