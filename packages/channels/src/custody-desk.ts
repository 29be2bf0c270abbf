// The custody's side of every channel, as the channel service runs it (issue 12, "the L2 side"): the custody's party
// state machine, the L2 ledger of executed states and the rules that tie them together. Storage and the group's
// signature are interfaces: the app gives Postgres (Prisma) and the signing-coordinator (ROAST, `channel` policy);
// tests give memory and a plain key or an in-process FROST group.
//
// Ledger rules (README "L2 rules"):
// - a channel is registered with its state 0 = (capacity, 0) executed; its L2 account opens (status open) only once
//   the funding output is confirmed and merkle-proved against the service's own header chain;
// - a payment to custody for state n+1 executes on the L2 exactly once per (channel, n+1), and only with the user's
//   revocation of state n (before it the user could still publish n unpunished); it credits the amount as L2 BTC to
//   the channel's EVM address (the store publishes a channel ledger system call with the state, which the sequencer
//   applies once per (channel, state));
// - a return executes first (an L2 burn of the user's L2 BTC, once per (channel, n+1)); only once the L2 applied the
//   burn (`l2Settled`) does custody sign the user's commitment that moves value to the user;
// - custody's own commitment and a cooperative close are signed only for the latest executed state.
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { equalBytes, type Transaction } from '@tapbridge/bitcoin';
import { ChannelError } from './errors.js';
import { channelIdOf, encodeChannelParams } from './params-codec.js';
import { validateParams, type BalanceSheet, type ChannelParams, type Side } from './params.js';
import { openParty, openingPoints, ownPoint, receiveProposal, receiveRevocation, type Acceptance, type PartyState, type Proposal, type RevocationMessage } from './state-machine.js';
import { custodyDelayedSweep } from './policy.js';
import { buildCommitment, buildCooperativeClose, completeDelayedSweep, completeFundingSpend, verifyFundingSignature } from './transactions.js';

export type ChannelStatus = 'pending-funding' | 'open' | 'closing' | 'closed';

/** One executed L2 operation, unique per (channel, state number). */
export interface ExecutedState {
  stateNumber: number;
  user: bigint;
  custody: bigint;
  /** open: the channel account; credit: a payment minted as L2 BTC; burn: a return burned from L2 BTC. */
  kind: 'open' | 'credit' | 'burn';
  amount: bigint;
}

export interface CustodyChannel {
  channelId: string;
  params: ChannelParams;
  /** The user's EVM address that owns the L2 channel account and receives credits (0x, lower case). */
  evmAddress: string;
  status: ChannelStatus;
  party: PartyState;
  /** Custody's signature on the user's state-0 commitment (returned again on a repeated registration). */
  openingSignature: Uint8Array;
  executed: ExecutedState[];
  /** The transaction that spent the funding output, once seen. */
  closeTxid?: string;
}

export type ChannelEvent =
  | { type: 'opened'; channelId: string; evmAddress: string; capacity: bigint }
  | { type: 'updated'; channelId: string; evmAddress: string; stateNumber: number; user: bigint; custody: bigint; kind: 'credit' | 'burn'; amount: bigint }
  | { type: 'closing'; channelId: string; how: 'cooperative' | 'user-force-close' | 'custody-force-close' | 'revoked-state-penalised'; txid: string; stateNumber?: number }
  | { type: 'closed'; channelId: string; txid: string };

/** Storage: every `save` is one transaction (state, executed row, event), and an executed (channel, state) is written once. */
export interface CustodyChannelStore {
  get(channelId: string): Promise<CustodyChannel | undefined>;
  list(statuses: readonly ChannelStatus[]): Promise<CustodyChannel[]>;
  /** Inserts; false if the channel exists already. */
  create(channel: CustodyChannel, event?: ChannelEvent): Promise<boolean>;
  /**
   * Writes the new party state / status and, if given, the executed state (a second write of the same (channel,
   * state) with the same balances is a no-op; with other balances it throws) and the event, atomically.
   * `expectStateOf` guards against a concurrent writer: the stored party's latest state number must still be it.
   */
  save(channelId: string, change: ChannelChange): Promise<void>;
}

export interface ChannelChange {
  party?: PartyState;
  status?: ChannelStatus;
  openingSignature?: Uint8Array;
  closeTxid?: string;
  execute?: ExecutedState;
  event?: ChannelEvent;
}

/** What the custody group signs: one funding spend of one channel (the app sends it to ROAST under the channel policy). */
export interface GroupSignRequest {
  channelId: string;
  params: ChannelParams;
  kind: 'user-commitment' | 'custody-commitment' | 'cooperative-close' | 'custody-delayed-sweep';
  sheet: BalanceSheet;
  tx: Transaction;
  sighash: Uint8Array;
  holderPerCommitmentPoint?: Uint8Array;
  close?: { fee: bigint; feePaidBy: Side };
  /** custody-delayed-sweep: its fee. */
  sweep?: { fee: bigint };
}
export type GroupSigner = (request: GroupSignRequest) => Promise<Uint8Array>;

/** What custody brings to every channel; the user builds ChannelParams with these. */
export interface CustodyTerms {
  groupKey: Uint8Array;
  custodyRevocationBasepoint: Uint8Array;
  custodyPayoutScript: Uint8Array;
  challengePeriod: number;
  commitmentFee: bigint;
}

export interface CustodyDeskOptions {
  store: CustodyChannelStore;
  sign: GroupSigner;
  terms: () => CustodyTerms;
  /** Custody's per-commitment seeds are derived per channel from this secret (HMAC-SHA256 over the channel id). */
  seedSecret: Uint8Array;
  /** Proves the funding output confirmed on the service's own header chain; returns why not. */
  proveFunding: (params: ChannelParams) => Promise<{ ok: true } | { ok: false; reason: string }>;
  /**
   * What the L2 made of a state's ledger call (the sequencer's channel ledger): applied, refused (a burn beyond the
   * balance) or not in a block yet. A return is signed only once its burn is applied. Absent: the service's own
   * ledger stands for the L2 (packages' tests without a chain).
   */
  l2Settled?: (channelId: string, stateNumber: number) => Promise<L2Settlement>;
}

export type L2Settlement = 'applied' | 'refused' | 'pending';

export const channelSeed = (seedSecret: Uint8Array, channelId: string): Uint8Array => hmac(sha256, seedSecret, new TextEncoder().encode(`tapbridge/channel-seed/${channelId}`));

const isEvmAddress = (a: string): boolean => /^0x[0-9a-f]{40}$/.test(a);


const sameParams = (a: ChannelParams, b: ChannelParams): boolean => JSON.stringify(encodeChannelParams(a)) === JSON.stringify(encodeChannelParams(b));

/** The L2 view of a channel: the account (user's side, not transferable) and the L2 BTC credited minus burned. */
export function l2Balances(c: Pick<CustodyChannel, 'executed' | 'status'>): { channelAccount: bigint; l2Credited: bigint; l2Burned: bigint; latest: ExecutedState } {
  const latest = c.executed.reduce((a, b) => (b.stateNumber > a.stateNumber ? b : a));
  const l2Credited = c.executed.filter((e) => e.kind === 'credit').reduce((s, e) => s + e.amount, 0n);
  const l2Burned = c.executed.filter((e) => e.kind === 'burn').reduce((s, e) => s + e.amount, 0n);
  return { channelAccount: c.status === 'open' ? latest.user : 0n, l2Credited, l2Burned, latest };
}

export class CustodyDesk {
  /** One operation per channel at a time in this process (the store's writes are the cross-process guard). */
  readonly #locks = new Map<string, Promise<unknown>>();

  constructor(private readonly o: CustodyDeskOptions) {}

  seedOf(channelId: string): Uint8Array {
    return channelSeed(this.o.seedSecret, channelId);
  }

  async #serial<T>(channelId: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.#locks.get(channelId) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const settled = run.catch(() => undefined);
    this.#locks.set(channelId, settled);
    try {
      return await run;
    } finally {
      if (this.#locks.get(channelId) === settled) this.#locks.delete(channelId);
    }
  }

  async #get(channelId: string): Promise<CustodyChannel> {
    const c = await this.o.store.get(channelId);
    if (!c) throw new ChannelError(`no channel ${channelId}`);
    return c;
  }

  /** Custody's per-commitment points for states 0 and 1 of a channel (the user needs them to build custody's commitment 0). */
  openingPoints(channelId: string): [Uint8Array, Uint8Array] {
    return openingPoints({ perCommitmentSeed: this.seedOf(channelId) });
  }

  /**
   * Registers a channel before its funding is broadcast: checks custody's terms in the params, records state 0 as
   * executed (all of it the user's), signs the user's state-0 commitment through the group and opens custody's party
   * state with the user's signature on custody's. Idempotent: the same registration again returns the same answer.
   */
  register(o: { params: ChannelParams; evmAddress: string; userPoints: [Uint8Array, Uint8Array]; userSignature: Uint8Array }): Promise<{ channelId: string; signature: Uint8Array }> {
    validateParams(o.params);
    const channelId = channelIdOf(o.params);
    return this.#serial(channelId, async () => {
      const evmAddress = o.evmAddress.toLowerCase();
      if (!isEvmAddress(evmAddress)) throw new ChannelError(`EVM address ${o.evmAddress} is not a 20-byte 0x address`);
      const t = this.o.terms();
      const mismatch = (
        [
          ['group key', equalBytes(o.params.groupKey, t.groupKey)],
          ['custody revocation basepoint', equalBytes(o.params.custodyRevocationBasepoint, t.custodyRevocationBasepoint)],
          ['custody payout script', equalBytes(o.params.custodyPayoutScript, t.custodyPayoutScript)],
          ['challenge period', o.params.challengePeriod === t.challengePeriod],
          ['commitment fee', o.params.commitmentFee === t.commitmentFee],
        ] as const
      )
        .filter(([, ok]) => !ok)
        .map(([what]) => what);
      if (mismatch.length > 0) throw new ChannelError(`the channel parameters do not carry custody's terms: ${mismatch.join(', ')}`);
      const s0: BalanceSheet = { stateNumber: 0, user: o.params.capacity, custody: 0n };
      const seed = this.seedOf(channelId);
      let channel = await this.o.store.get(channelId);
      if (channel && (!sameParams(channel.params, o.params) || channel.evmAddress !== evmAddress)) throw new ChannelError(`channel ${channelId} is already registered with other parameters`);
      if (!channel) {
        // The user's signature on custody's commitment 0 must verify before anything is stored or signed.
        const party = openParty(o.params, 'custody', { perCommitmentSeed: seed, sign: () => new Uint8Array(64) }, s0, o.userPoints, o.userSignature);
        channel = {
          channelId,
          params: o.params,
          evmAddress,
          status: 'pending-funding',
          party,
          openingSignature: new Uint8Array(0),
          executed: [{ stateNumber: 0, user: o.params.capacity, custody: 0n, kind: 'open', amount: 0n }],
        };
        // The ledger holds state 0 first: the signers' policy checks the user's commitment 0 against it.
        if (!(await this.o.store.create(channel))) channel = await this.#get(channelId);
      }
      if (channel.openingSignature.length === 64) return { channelId, signature: channel.openingSignature };
      const user0 = buildCommitment(o.params, 'user', s0, o.userPoints[0]);
      const signature = await this.o.sign({ channelId, params: o.params, kind: 'user-commitment', sheet: s0, tx: user0.tx, sighash: user0.sighash, holderPerCommitmentPoint: o.userPoints[0] });
      verifyFundingSignature(o.params, user0.tx, 'custody', signature);
      await this.o.store.save(channelId, { openingSignature: signature });
      return { channelId, signature };
    });
  }

  /** Opens the L2 channel account once the funding output is proven on the service's own header chain. */
  confirmFunding(channelId: string): Promise<{ status: ChannelStatus; reason?: string }> {
    return this.#serial(channelId, async () => {
      const c = await this.#get(channelId);
      if (c.status !== 'pending-funding') return { status: c.status };
      if (c.openingSignature.length !== 64) return { status: c.status, reason: 'the opening signatures were not exchanged' };
      const proof = await this.o.proveFunding(c.params);
      if (!proof.ok) return { status: c.status, reason: proof.reason };
      await this.o.store.save(channelId, { status: 'open', event: { type: 'opened', channelId, evmAddress: c.evmAddress, capacity: c.params.capacity } });
      return { status: 'open' };
    });
  }

  /**
   * An L2 burn of `amount` of the user's L2 BTC back into the channel, as the next state: executed on the L2 first,
   * once per (channel, state). The user then proposes that state, and custody co-signs it.
   */
  burnForReturn(channelId: string, stateNumber: number, amount: bigint): Promise<ExecutedState> {
    return this.#serial(channelId, async () => {
      const c = await this.#get(channelId);
      if (c.status !== 'open') throw new ChannelError(`channel ${channelId} is ${c.status}, not open`);
      const done = c.executed.find((e) => e.stateNumber === stateNumber);
      if (done) {
        if (done.kind === 'burn' && done.amount === amount) return done; // the same burn again
        throw new ChannelError(`state ${stateNumber} of channel ${channelId} is already executed (${done.kind} of ${done.amount} sat)`);
      }
      const { latest, l2Credited, l2Burned } = l2Balances(c);
      if (c.party.pending) throw new ChannelError(`an update to state ${c.party.pending.sheet.stateNumber} is in flight`);
      if (stateNumber !== latest.stateNumber + 1) throw new ChannelError(`state ${stateNumber} is not the next state after ${latest.stateNumber}`);
      if (amount <= 0n) throw new ChannelError('a return burns a positive amount');
      if (amount > latest.custody) throw new ChannelError(`the channel's custody side holds ${latest.custody} sat, less than ${amount}`);
      if (amount > l2Credited - l2Burned) throw new ChannelError(`the user holds ${l2Credited - l2Burned} sat of L2 BTC from this channel, less than ${amount}`);
      const execute: ExecutedState = { stateNumber, user: latest.user + amount, custody: latest.custody - amount, kind: 'burn', amount };
      await this.o.store.save(channelId, { execute, event: { type: 'updated', channelId, evmAddress: c.evmAddress, stateNumber, user: execute.user, custody: execute.custody, kind: 'burn', amount } });
      return execute;
    });
  }

  /**
   * The user's proposal of the next state: a payment (custody's side grows; executed on the L2 when the user
   * revokes its previous state) or a return (its burn must be executed already). Custody's signature on the user's
   * commitment comes from the group; the acceptance carries custody's revocation of its own previous state.
   */
  receiveProposal(channelId: string, proposal: Proposal): Promise<Acceptance> {
    return this.#serial(channelId, async () => {
      const c = await this.#get(channelId);
      if (c.status !== 'open') throw new ChannelError(`channel ${channelId} is ${c.status}, not open`);
      const seed = this.seedOf(channelId);
      const { sheet } = proposal;
      // A resent proposal already accepted: the same acceptance (the state machine answers it without signing).
      const resent = c.party.lastSent?.type === 'acceptance' && c.party.lastSent.stateNumber === sheet.stateNumber && c.party.latest.sheet.stateNumber === sheet.stateNumber;
      let signature: Uint8Array | undefined;
      if (!resent) {
        const from = c.party.latest.sheet;
        if (sheet.custody < from.custody) {
          const burn = c.executed.find((e) => e.stateNumber === sheet.stateNumber);
          if (!burn || burn.kind !== 'burn' || burn.user !== sheet.user || burn.custody !== sheet.custody)
            throw new ChannelError(`state ${sheet.stateNumber} moves ${from.custody - sheet.custody} sat to the user, but no matching L2 burn was executed`);
          const l2 = this.o.l2Settled ? await this.o.l2Settled(channelId, sheet.stateNumber) : 'applied';
          if (l2 === 'pending') throw new ChannelError(`the L2 burn of state ${sheet.stateNumber} is not in an L2 block yet: send the proposal again shortly`);
          if (l2 === 'refused') throw new ChannelError(`the L2 refused the burn of state ${sheet.stateNumber} (the L2 BTC was spent): custody does not sign it`);
        }
        const point = c.party.counterpartyPoints[sheet.stateNumber];
        if (!point) throw new ChannelError(`state ${sheet.stateNumber} does not follow state ${from.stateNumber}`);
        // Check everything the state machine checks (and the user's signature) before asking the group.
        receiveProposal(c.params, c.party, { perCommitmentSeed: seed, sign: () => new Uint8Array(64) }, proposal);
        const theirs = buildCommitment(c.params, 'user', sheet, point);
        signature = await this.o.sign({ channelId, params: c.params, kind: 'user-commitment', sheet, tx: theirs.tx, sighash: theirs.sighash, holderPerCommitmentPoint: point });
        verifyFundingSignature(c.params, theirs.tx, 'custody', signature);
      }
      const out = receiveProposal(c.params, c.party, {
        perCommitmentSeed: seed,
        sign: () => {
          if (!signature) throw new ChannelError('no group signature for this proposal');
          return signature;
        },
      }, proposal);
      if (!resent) await this.o.store.save(channelId, { party: out.state });
      return out.message;
    });
  }

  /**
   * The user's revocation of its previous state completes an update. For a payment this is when the L2 executes
   * the credit, exactly once per (channel, state number), in the same write as the party state.
   */
  receiveRevocation(channelId: string, message: RevocationMessage): Promise<ExecutedState> {
    return this.#serial(channelId, async () => {
      const c = await this.#get(channelId);
      const pending = c.party.pending;
      const party = receiveRevocation(c.party, message);
      const stateNumber = message.stateNumber + 1;
      const done = c.executed.find((e) => e.stateNumber === stateNumber);
      if (!pending) {
        // A revocation resent after the update completed: nothing new.
        if (!done) throw new ChannelError(`state ${stateNumber} is not executed`);
        return done;
      }
      const sheet = pending.sheet;
      const from = c.executed.find((e) => e.stateNumber === message.stateNumber);
      if (!from) throw new ChannelError(`state ${message.stateNumber} was never executed on the L2`);
      if (done) {
        // A return: its burn was executed before custody signed; the revocation only completes the update.
        await this.o.store.save(channelId, { party });
        return done;
      }
      const amount = sheet.custody - from.custody;
      if (amount < 0n) throw new ChannelError(`state ${stateNumber} moves value to the user without an executed burn`);
      const execute: ExecutedState = { stateNumber, user: sheet.user, custody: sheet.custody, kind: 'credit', amount };
      await this.o.store.save(channelId, { party, execute, event: { type: 'updated', channelId, evmAddress: c.evmAddress, stateNumber, user: sheet.user, custody: sheet.custody, kind: 'credit', amount } });
      return execute;
    });
  }

  /**
   * A cooperative close of the latest executed state: the user's signature on the close comes with the request,
   * the group signs custody's half; returns the complete transaction (the caller broadcasts it).
   */
  cooperativeClose(channelId: string, o: { fee: bigint; feePaidBy: Side; userSignature: Uint8Array }): Promise<{ tx: Transaction; user: bigint; custody: bigint }> {
    return this.#serial(channelId, async () => {
      const c = await this.#get(channelId);
      if (c.status !== 'open' && c.status !== 'closing') throw new ChannelError(`channel ${channelId} is ${c.status}`);
      if (c.party.pending) throw new ChannelError(`an update to state ${c.party.pending.sheet.stateNumber} is in flight: finish it (resend) before closing`);
      const sheet = c.party.latest.sheet;
      const { latest } = l2Balances(c);
      if (latest.stateNumber !== sheet.stateNumber) throw new ChannelError(`the latest signed state ${sheet.stateNumber} is not the latest executed ${latest.stateNumber}`);
      const close = buildCooperativeClose(c.params, { sheet, fee: o.fee, feePaidBy: o.feePaidBy });
      verifyFundingSignature(c.params, close.tx, 'user', o.userSignature);
      const custody = await this.o.sign({ channelId, params: c.params, kind: 'cooperative-close', sheet, tx: close.tx, sighash: close.sighash, close: { fee: o.fee, feePaidBy: o.feePaidBy } });
      const tx = completeFundingSpend(c.params, close.tx, { user: o.userSignature, custody });
      return { tx, user: close.user, custody: close.custody };
    });
  }

  /** Custody settles alone: its latest commitment, signed by the user already and now by the group. */
  custodyForceClose(channelId: string): Promise<Transaction> {
    return this.#serial(channelId, async () => {
      const c = await this.#get(channelId);
      const sheet = c.party.latest.sheet;
      const mine = buildCommitment(c.params, 'custody', sheet, ownPoint({ perCommitmentSeed: this.seedOf(channelId) }, sheet.stateNumber));
      const custody = await this.o.sign({ channelId, params: c.params, kind: 'custody-commitment', sheet, tx: mine.tx, sighash: mine.sighash, holderPerCommitmentPoint: ownPoint({ perCommitmentSeed: this.seedOf(channelId) }, sheet.stateNumber) });
      return completeFundingSpend(c.params, mine.tx, { user: c.party.latest.counterpartySignature, custody });
    });
  }

  /**
   * After custody's own commitment of `stateNumber` confirmed and its CSV passed: custody's to_local back to the
   * custody payout script, signed by the group (the signers' rule 6 allows exactly this spend). Returns the signed
   * sweep (the caller broadcasts it); throws if that commitment has no to_local (custody's side was dust).
   */
  sweepCustodyDelayed(channelId: string, o: { stateNumber: number; fee: bigint }): Promise<{ tx: Transaction; commitmentTxid: string; vout: number }> {
    return this.#serial(channelId, async () => {
      const c = await this.#get(channelId);
      const state = c.executed.find((e) => e.stateNumber === o.stateNumber);
      if (!state) throw new ChannelError(`state ${o.stateNumber} of channel ${channelId} was never executed: custody holds no commitment of it`);
      const sheet: BalanceSheet = { stateNumber: o.stateNumber, user: state.user, custody: state.custody };
      const point = ownPoint({ perCommitmentSeed: this.seedOf(channelId) }, o.stateNumber);
      const sweep = custodyDelayedSweep(c.params, sheet, point, o.fee);
      if (!sweep.commitment.toLocal) throw new ChannelError(`custody's commitment ${o.stateNumber} of ${channelId} has no to_local output`);
      const sig = await this.o.sign({ channelId, params: c.params, kind: 'custody-delayed-sweep', sheet, tx: sweep.tx, sighash: sweep.sighash, holderPerCommitmentPoint: point, sweep: { fee: o.fee } });
      return { tx: completeDelayedSweep(sweep, sig), commitmentTxid: sweep.commitment.txid, vout: sweep.commitment.toLocal.vout };
    });
  }

  /** Records what the watchtower saw spend the funding output: closing (with how), or closed once it confirmed (and any penalty did). */
  noteFundingSpend(channelId: string, o: { txid: string; how: 'cooperative' | 'user-force-close' | 'custody-force-close' | 'revoked-state-penalised'; stateNumber?: number; settled: boolean }): Promise<ChannelStatus> {
    return this.#serial(channelId, async () => {
      const c = await this.#get(channelId);
      if (c.status === 'closed') return c.status;
      if (c.status !== 'closing') {
        await this.o.store.save(channelId, { status: 'closing', closeTxid: o.txid, event: { type: 'closing', channelId, how: o.how, txid: o.txid, ...(o.stateNumber !== undefined ? { stateNumber: o.stateNumber } : {}) } });
      }
      if (!o.settled) return 'closing';
      await this.o.store.save(channelId, { status: 'closed', closeTxid: o.txid, event: { type: 'closed', channelId, txid: o.txid } });
      return 'closed';
    });
  }
}

/** In memory, for tests and tools: the same once-per-(channel, state) rule as the Postgres store. */
export class MemoryCustodyChannelStore implements CustodyChannelStore {
  readonly channels = new Map<string, CustodyChannel>();
  readonly events: ChannelEvent[] = [];

  async get(channelId: string): Promise<CustodyChannel | undefined> {
    const c = this.channels.get(channelId);
    return c ? { ...c, executed: [...c.executed] } : undefined;
  }
  async list(statuses: readonly ChannelStatus[]): Promise<CustodyChannel[]> {
    return [...this.channels.values()].filter((c) => statuses.includes(c.status)).map((c) => ({ ...c, executed: [...c.executed] }));
  }
  async create(channel: CustodyChannel, event?: ChannelEvent): Promise<boolean> {
    if (this.channels.has(channel.channelId)) return false;
    this.channels.set(channel.channelId, { ...channel, executed: [...channel.executed] });
    if (event) this.events.push(event);
    return true;
  }
  async save(channelId: string, change: ChannelChange): Promise<void> {
    const c = this.channels.get(channelId);
    if (!c) throw new ChannelError(`no channel ${channelId}`);
    const executed = [...c.executed];
    if (change.execute) {
      const e = change.execute;
      const prior = executed.find((x) => x.stateNumber === e.stateNumber);
      if (prior && (prior.user !== e.user || prior.custody !== e.custody || prior.kind !== e.kind)) throw new ChannelError(`state ${e.stateNumber} of ${channelId} is already executed differently`);
      if (!prior) executed.push(e);
    }
    this.channels.set(channelId, {
      ...c,
      executed,
      ...(change.party ? { party: change.party } : {}),
      ...(change.status ? { status: change.status } : {}),
      ...(change.openingSignature ? { openingSignature: change.openingSignature } : {}),
      ...(change.closeTxid ? { closeTxid: change.closeTxid } : {}),
    });
    if (change.event) this.events.push(change.event);
  }
}
