// The `channel` policy (issue 12): a custody signer co-signs custody's half of a channel's funding spend (the
// user's commitment, custody's own commitment, a cooperative close) only if packages/channels' rules hold against
// the L2's executed record of that channel: the state number never goes back, a state crediting custody was
// executed on the L2 first (exactly once per (channel, state number)), and the sighash asked for is the one of the
// transaction the signer rebuilds itself from the channel's parameters. The coordinator's word counts for nothing.
//
// It is the sweep policy's mechanism: registered for its purpose in the signer's PolicyRegistry, evaluated before
// the nonce and again before the partial signature, and an approved user commitment is recorded in the signer's
// own store before the verdict returns (before any nonce for it leaves the signer).
import { ChannelPolicyError, channelIdOf, checkChannelSigningRequest, fundingOutput, toLocalOutput, buildCommitment, type BalanceSheet, type ChannelParams, type Side } from '@tapbridge/channels';
import { encodeTransaction, equalBytes, type Transaction } from '@tapbridge/bitcoin';
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import type { SigningRequest, SigningRequestWire } from '../request.js';
import type { ChannelContext } from './channel-context.js';
import { ALLOW, deny, type PolicyDecision, type SigningPolicy } from './policy.js';

export const CHANNEL_PURPOSE = 'channel';

/** A channel as the L2 knows it: its parameters and the balances after each executed state (0 = the opening). */
export interface ChannelRecord {
  params: ChannelParams;
  executed: ReadonlyMap<number, { user: bigint; custody: bigint }>;
}

/** The signer's view of the L2's channel ledger. Throws when it cannot be asked (the policy then refuses). */
export interface ChannelView {
  channel(channelId: string): Promise<ChannelRecord | undefined>;
}

/** What the signer remembers itself: the highest state it approved a user commitment for, per channel. */
export interface ChannelSignedStore {
  highestUserCommitment(channelId: string): Promise<number>;
  /** Durable; keeps the maximum. */
  recordUserCommitment(channelId: string, stateNumber: number): Promise<void>;
}

export class MemoryChannelSignedStore implements ChannelSignedStore {
  readonly #highest = new Map<string, number>();
  async highestUserCommitment(channelId: string): Promise<number> {
    return this.#highest.get(channelId) ?? 0;
  }
  async recordUserCommitment(channelId: string, stateNumber: number): Promise<void> {
    if (stateNumber > (this.#highest.get(channelId) ?? 0)) this.#highest.set(channelId, stateNumber);
  }
}

/** A fixed ledger (tests, tools): `execute` plays the L2 executing a state. */
export class MemoryChannelView implements ChannelView {
  readonly #channels = new Map<string, { params: ChannelParams; executed: Map<number, { user: bigint; custody: bigint }> }>();
  open(params: ChannelParams): string {
    const id = channelIdOf(params);
    this.#channels.set(id, { params, executed: new Map([[0, { user: params.capacity, custody: 0n }]]) });
    return id;
  }
  execute(channelId: string, stateNumber: number, user: bigint, custody: bigint): void {
    const c = this.#channels.get(channelId);
    if (!c) throw new Error(`no channel ${channelId}`);
    c.executed.set(stateNumber, { user, custody });
  }
  async channel(channelId: string): Promise<ChannelRecord | undefined> {
    const c = this.#channels.get(channelId);
    return c ? { params: c.params, executed: new Map(c.executed) } : undefined;
  }
}

export interface ChannelPolicyOptions {
  /** The signer's x-only group key; undefined before its DKG. */
  groupKey: () => Uint8Array | undefined;
  view: ChannelView;
  signed: ChannelSignedStore;
  /** Most a cooperative close may take from custody's side as its fee. */
  maxCustodyCloseFee: bigint;
}

export class ChannelPolicy implements SigningPolicy {
  readonly name = 'channel';
  /** One check at a time: the state-number rule reads and then writes the signer's record. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly o: ChannelPolicyOptions) {
    if (o.maxCustodyCloseFee < 0n) throw new RangeError('maxCustodyCloseFee must be 0 or more');
  }

  evaluate(request: SigningRequest): Promise<PolicyDecision> {
    const run = this.#queue.then(() => this.#evaluate(request));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #evaluate(request: SigningRequest): Promise<PolicyDecision> {
    if (request.kind !== 'taproot-sighash' || !request.transaction) return deny('a channel update is signed as a BIP341 sighash of its transaction, not a raw message');
    const c = request.context?.channel;
    if (!c) return deny('the request must carry context.channel (channel, kind, balance sheet)');
    if (request.context?.sweep) return deny('a channel request carries no sweep context');
    // The funding leaf names the untweaked group key.
    if (request.tweak.kind !== 'none') return deny(`the funding leaf is signed by the untweaked group key (tweak none), not tweak ${request.tweak.kind}`);
    const groupKey = this.o.groupKey();
    if (!groupKey) return deny('this signer holds no key share yet');
    let record: ChannelRecord | undefined;
    try {
      record = await this.o.view.channel(c.channelId);
    } catch (err) {
      return deny(`the L2 channel ledger cannot be read: ${(err as Error).message}`);
    }
    if (!record) return deny(`not-open: channel ${c.channelId} is not open on the L2`);
    if (channelIdOf(record.params) !== c.channelId) return deny(`the L2 record for ${c.channelId} names another funding outpoint`);
    if (!equalBytes(record.params.groupKey, groupKey)) return deny(`channel ${c.channelId} is not with this signer's group key`);
    const sheet = { stateNumber: c.stateNumber, user: BigInt(c.user), custody: BigInt(c.custody) };
    const highest = await this.o.signed.highestUserCommitment(c.channelId);
    try {
      checkChannelSigningRequest(
        record.params,
        {
          channelId: c.channelId,
          kind: c.kind,
          sheet,
          // The signer's own BIP341 sighash of the transaction in the request: what its share would sign.
          sighash: request.message,
          ...(c.holderPerCommitmentPoint ? { holderPerCommitmentPoint: hexToBytes(c.holderPerCommitmentPoint) } : {}),
          ...(c.close ? { close: { fee: BigInt(c.close.fee), feePaidBy: c.close.feePaidBy } } : {}),
          ...(c.sweep ? { sweep: { fee: BigInt(c.sweep.fee) } } : {}),
        },
        { channelId: c.channelId, executed: record.executed },
        { highestSignedState: highest, maxCustodyCloseFee: this.o.maxCustodyCloseFee },
      );
    } catch (err) {
      if (err instanceof ChannelPolicyError) return deny(`${err.reason}: ${err.message}`);
      throw err;
    }
    // Durable before any nonce for it leaves this signer.
    if (c.kind === 'user-commitment') await this.o.signed.recordUserCommitment(c.channelId, c.stateNumber);
    return ALLOW;
  }
}

/** The wire request asking the group to co-sign one funding spend of a channel (the funding leaf, tweak none, SIGHASH_DEFAULT). */
export function channelSigningRequestWire(o: {
  requestId: string;
  params: ChannelParams;
  kind: ChannelContext['kind'];
  sheet: BalanceSheet;
  tx: Transaction;
  holderPerCommitmentPoint?: Uint8Array;
  close?: { fee: bigint; feePaidBy: Side };
  sweep?: { fee: bigint };
}): SigningRequestWire {
  // A funding spend signs the funding output's cooperative leaf; custody's delayed sweep signs the delayed leaf of its
  // own commitment's to_local (rebuilt here from the state and custody's per-commitment point).
  let spent: { value: bigint; scriptPubKey: Uint8Array; leafHash: Uint8Array };
  if (o.kind === 'custody-delayed-sweep') {
    if (!o.holderPerCommitmentPoint) throw new TypeError('a delayed sweep request needs custody\'s per-commitment point');
    const toLocal = buildCommitment(o.params, 'custody', o.sheet, o.holderPerCommitmentPoint).toLocal;
    if (!toLocal) throw new TypeError(`custody's commitment ${o.sheet.stateNumber} has no to_local output`);
    const out = toLocalOutput(o.params, 'custody', o.holderPerCommitmentPoint);
    spent = { value: toLocal.value, scriptPubKey: out.scriptPubKey, leafHash: out.delayedLeaf.leafHash };
  } else {
    const funding = fundingOutput(o.params);
    spent = { value: o.params.capacity, scriptPubKey: funding.scriptPubKey, leafHash: funding.cooperativeLeaf.leafHash };
  }
  return {
    requestId: o.requestId,
    purpose: CHANNEL_PURPOSE,
    payload: {
      kind: 'taproot-sighash',
      transaction: bytesToHex(encodeTransaction(o.tx)),
      inputIndex: 0,
      prevouts: [{ value: spent.value.toString(), scriptPubKey: bytesToHex(spent.scriptPubKey) }],
      hashType: 0,
      leafHash: bytesToHex(spent.leafHash),
    },
    tweak: { kind: 'none' },
    context: {
      channel: {
        channelId: channelIdOf(o.params),
        kind: o.kind,
        stateNumber: o.sheet.stateNumber,
        user: o.sheet.user.toString(),
        custody: o.sheet.custody.toString(),
        ...(o.holderPerCommitmentPoint ? { holderPerCommitmentPoint: bytesToHex(o.holderPerCommitmentPoint) } : {}),
        ...(o.close ? { close: { fee: o.close.fee.toString(), feePaidBy: o.close.feePaidBy } } : {}),
        ...(o.sweep ? { sweep: { fee: o.sweep.fee.toString() } } : {}),
      },
    },
  };
}
