/**
 * System calls: stake-accounting's decisions (slash, unbonding release, epoch rewards) applied to the staking
 * predeploy by the sequencer, from STAKE_SYSTEM_ADDRESS, which no key controls (EIP-4788/7002 style: no signature,
 * no nonce, no gas charged). They run after the block's transactions and before its mints, so their logs follow the
 * transactions' logs in the order they executed.
 *
 * Exactly once per decision id, by two independent records, both committed with the block:
 *  - the system transaction: each executed call is stored as a transaction + receipt whose hash is a function of the
 *    decision (id and call), so a redelivered decision finds its receipt (`ChainStore.getReceipt`) and is not run again;
 *  - the contract's own guard, checked on the block's state right before the call: `slashApplied(evidenceIdHash)`,
 *    `epochRewarded(epoch)`, `releasedBelow >= below`. A decision already applied on chain is settled as
 *    'already-applied' and not executed (this also covers the same id arriving with different arguments).
 *
 * The system transaction is a legacy transaction { nonce 0, gasPrice 0, gasLimit SYSTEM_CALL_GAS_LIMIT, to STAKING,
 * value, data } whose signature fields are not a signature: v = 27, r = keccak256("tapbridge/system-call/" + id),
 * s = 1. It decodes like any transaction (eth_getTransactionByHash), `from` is the system address, and it is not in
 * the block body (like Optimism's deposit transactions, its sender comes from the chain, not from a signature); its
 * transactionIndex comes after the body's transactions.
 *
 * Channel ledger calls (issue 12): the channel-service's executed channel states as real L2 BTC. A payment to custody
 * (`channel_credit`) credits the channel's EVM address; a return (`channel_burn`) burns the user's L2 BTC back into the
 * channel. They are not contract calls: the sequencer changes the balance itself (as a mint does) and records the
 * decision in a storage slot of CHANNEL_LEDGER_ADDRESS (keccak256("tapbridge/channel-ledger/" + id) = 1 applied,
 * 2 refused), its guard like the staking contract's; a log of that address (ChannelCredited / ChannelBurned) carries
 * the amount, so indexers and the gateway's supply see it. Id: `channel:<funding txid:vout>:<state number>`, one per
 * executed (channel, state), whichever kind. A burn larger than the account's balance is refused (status 0, guard 2):
 * the channel-service must not sign the state it pays for.
 */
import type { Common } from '@ethereumjs/common';
import { createLegacyTx } from '@ethereumjs/tx';
import { EvmEngineError } from './errors.js';
import { fromHex, toHex } from './hex.js';
import { keccak256 } from './keccak.js';
import { STAKE_SYSTEM_ADDRESS, STAKING_ADDRESS } from './stake-predeploy.js';
import { MAX_SATS } from './units.js';

/** The channel ledger's record account: holds no code, only the guard slots of applied channel calls (module comment). */
export const CHANNEL_LEDGER_ADDRESS = '0x000000000000000000000000000000000000c4a1';

/** Gas each system call may use (EIP-4788's 30M); not charged and not counted against the block's gas limit. */
export const SYSTEM_CALL_GAS_LIMIT = 30_000_000n;
/** System calls per block: bounds a block's extra work. */
export const MAX_SYSTEM_CALLS_PER_BLOCK = 64;
/** At most this many positions per call (delegators + unbonding entries, or reward recipients): fits SYSTEM_CALL_GAS_LIMIT. */
export const MAX_SYSTEM_CALL_ENTRIES = 500;

export class SystemCallError extends EvmEngineError {}

export type SystemCall =
  | {
      kind: 'slash';
      /** keccak256 of the evidence id text, as the contract keys slashes. */
      evidenceIdHash: string;
      signer: string;
      selfAmount: bigint;
      delegators: string[];
      delegatorAmounts: bigint[];
      unbondingIds: bigint[];
      unbondingAmounts: bigint[];
    }
  | { kind: 'release_unbonding'; below: bigint }
  | {
      kind: 'credit_rewards';
      epoch: bigint;
      recipients: string[];
      amounts: bigint[];
      /** BTC (wei) sent with the call; paid from the coinbase (the fee recipient), where the L2's fees collect. */
      valueWei: bigint;
    }
  | ChannelLedgerCall;

/** A channel state executed on the L2 (module comment): a payment credited, or a return burned. */
export interface ChannelLedgerCall {
  kind: 'channel_credit' | 'channel_burn';
  /** The funding outpoint `txid:vout`, as channel ids are written everywhere else. */
  channelId: string;
  stateNumber: bigint;
  /** The channel's EVM address (credited, or burned from). */
  account: string;
  amountSats: bigint;
}

export const CHANNEL_SYSTEM_CALL_KINDS = ['channel_credit', 'channel_burn'] as const;
export const isChannelLedgerCall = (call: SystemCall): call is ChannelLedgerCall => call.kind === 'channel_credit' || call.kind === 'channel_burn';

export type SystemCallKind = SystemCall['kind'];

/** The decision id: one per fact stake-accounting decided; the same id is never applied twice. */
export function systemCallId(call: SystemCall): string {
  switch (call.kind) {
    case 'slash':
      return `slash:${call.evidenceIdHash.toLowerCase()}`;
    case 'release_unbonding':
      return `release:${call.below}`;
    case 'credit_rewards':
      return `rewards:${call.epoch}`;
    case 'channel_credit':
    case 'channel_burn':
      return `channel:${call.channelId}:${call.stateNumber}`;
  }
}

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;
const HASH = /^0x[0-9a-fA-F]{64}$/;
const CHANNEL_ID = /^[0-9a-f]{64}:(0|[1-9][0-9]{0,9})$/;
const UINT256_LIMIT = 2n ** 256n;

function uint(v: unknown, what: string, limit = UINT256_LIMIT): bigint {
  if (typeof v !== 'bigint' || v < 0n || v >= limit) throw new SystemCallError(`${what} must be a bigint in [0, ${limit}), got ${String(v)}`);
  return v;
}

function address(v: unknown, what: string): string {
  if (typeof v !== 'string' || !ADDRESS.test(v)) throw new SystemCallError(`${what} is not an address: ${String(v)}`);
  return v.toLowerCase();
}

function list<T>(v: unknown, what: string, item: (x: unknown, w: string) => T): T[] {
  if (!Array.isArray(v)) throw new SystemCallError(`${what} must be an array`);
  return v.map((x, i) => item(x, `${what}[${i}]`));
}

/** Validates and normalises (lower-case addresses) a system call; SystemCallError says what is wrong. */
export function checkSystemCall(call: SystemCall): SystemCall {
  switch (call?.kind) {
    case 'slash': {
      if (typeof call.evidenceIdHash !== 'string' || !HASH.test(call.evidenceIdHash)) throw new SystemCallError(`evidenceIdHash must be 32 bytes of 0x hex, got ${String(call.evidenceIdHash)}`);
      const out: SystemCall = {
        kind: 'slash',
        evidenceIdHash: call.evidenceIdHash.toLowerCase(),
        signer: address(call.signer, 'signer'),
        selfAmount: uint(call.selfAmount, 'selfAmount'),
        delegators: list(call.delegators, 'delegators', address),
        delegatorAmounts: list(call.delegatorAmounts, 'delegatorAmounts', (x, w) => uint(x, w)),
        unbondingIds: list(call.unbondingIds, 'unbondingIds', (x, w) => uint(x, w)),
        unbondingAmounts: list(call.unbondingAmounts, 'unbondingAmounts', (x, w) => uint(x, w)),
      };
      if (out.delegators.length !== out.delegatorAmounts.length) throw new SystemCallError('delegators and delegatorAmounts differ in length');
      if (out.unbondingIds.length !== out.unbondingAmounts.length) throw new SystemCallError('unbondingIds and unbondingAmounts differ in length');
      if (out.delegators.length + out.unbondingIds.length > MAX_SYSTEM_CALL_ENTRIES) throw new SystemCallError(`a slash may name at most ${MAX_SYSTEM_CALL_ENTRIES} positions`);
      return out;
    }
    case 'release_unbonding':
      return { kind: 'release_unbonding', below: uint(call.below, 'below') };
    case 'credit_rewards': {
      const out: SystemCall = {
        kind: 'credit_rewards',
        epoch: uint(call.epoch, 'epoch', 2n ** 64n),
        recipients: list(call.recipients, 'recipients', address),
        amounts: list(call.amounts, 'amounts', (x, w) => uint(x, w)),
        valueWei: uint(call.valueWei, 'valueWei'),
      };
      if (out.recipients.length !== out.amounts.length) throw new SystemCallError('recipients and amounts differ in length');
      if (out.recipients.length > MAX_SYSTEM_CALL_ENTRIES) throw new SystemCallError(`a reward credit may name at most ${MAX_SYSTEM_CALL_ENTRIES} recipients`);
      const total = out.amounts.reduce((a, b) => a + b, 0n);
      // The contract refuses to owe more than it holds; a credit without the funds would revert every time.
      if (out.valueWei < total) throw new SystemCallError(`valueWei ${out.valueWei} does not cover the credited ${total}`);
      return out;
    }
    case 'channel_credit':
    case 'channel_burn': {
      if (typeof call.channelId !== 'string' || !CHANNEL_ID.test(call.channelId) || Number(call.channelId.split(':')[1]) > 0xffffffff) throw new SystemCallError(`channelId must be a funding outpoint txid:vout, got ${String(call.channelId)}`);
      const amountSats = uint(call.amountSats, 'amountSats', MAX_SATS + 1n);
      if (amountSats === 0n) throw new SystemCallError('a channel credit or burn moves a positive amount');
      return { kind: call.kind, channelId: call.channelId, stateNumber: uint(call.stateNumber, 'stateNumber', 2n ** 48n), account: address(call.account, 'account'), amountSats };
    }
    default:
      throw new SystemCallError(`unknown system call kind ${JSON.stringify((call as { kind?: unknown } | undefined)?.kind)}`);
  }
}

// ---------------------------------------------------------------- ABI (the few static shapes these calls use)

function selector(signature: string): Uint8Array {
  return keccak256(new TextEncoder().encode(signature)).subarray(0, 4);
}

function word(value: bigint): Uint8Array {
  return fromHex(`0x${value.toString(16).padStart(64, '0')}`, 32);
}

type Arg = { static: bigint } | { array: bigint[] };
const addr = (a: string): bigint => BigInt(a);

/** Head/tail ABI encoding of static words and dynamic arrays of static words. */
function encodeCall(signature: string, args: Arg[]): Uint8Array {
  const head: Uint8Array[] = [];
  const tail: Uint8Array[] = [];
  let tailOffset = BigInt(args.length * 32);
  for (const a of args) {
    if ('static' in a) {
      head.push(word(a.static));
    } else {
      head.push(word(tailOffset));
      tail.push(word(BigInt(a.array.length)), ...a.array.map(word));
      tailOffset += BigInt(32 * (a.array.length + 1));
    }
  }
  const parts = [selector(signature), ...head, ...tail];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The call's calldata and value against the staking contract (a channel call's: the record its system transaction carries). */
export function encodeSystemCall(call: SystemCall): { to: string; data: Uint8Array; value: bigint } {
  switch (call.kind) {
    case 'slash':
      return {
        to: STAKING_ADDRESS,
        value: 0n,
        data: encodeCall('slash(bytes32,address,uint256,address[],uint256[],uint256[],uint256[])', [
          { static: BigInt(call.evidenceIdHash) },
          { static: addr(call.signer) },
          { static: call.selfAmount },
          { array: call.delegators.map(addr) },
          { array: call.delegatorAmounts },
          { array: call.unbondingIds },
          { array: call.unbondingAmounts },
        ]),
      };
    case 'release_unbonding':
      return { to: STAKING_ADDRESS, value: 0n, data: encodeCall('releaseUnbonding(uint256)', [{ static: call.below }]) };
    case 'credit_rewards':
      return {
        to: STAKING_ADDRESS,
        value: call.valueWei,
        data: encodeCall('creditRewards(uint64,address[],uint256[])', [{ static: call.epoch }, { array: call.recipients.map(addr) }, { array: call.amounts }]),
      };
    case 'channel_credit':
    case 'channel_burn': {
      const [txid, vout] = call.channelId.split(':') as [string, string];
      return {
        to: CHANNEL_LEDGER_ADDRESS,
        value: 0n,
        data: encodeCall(`${call.kind === 'channel_credit' ? 'channelCredit' : 'channelBurn'}(bytes32,uint32,uint64,address,uint256)`, [
          { static: BigInt(`0x${txid}`) }, { static: BigInt(vout) }, { static: call.stateNumber }, { static: addr(call.account) }, { static: call.amountSats },
        ]),
      };
    }
  }
}

/** ChannelCredited / ChannelBurned(bytes32 indexed channelKey, address indexed account, uint64 stateNumber, uint256 amountSats): the ledger's logs. */
export const CHANNEL_CREDITED_TOPIC = toHex(keccak256(new TextEncoder().encode('ChannelCredited(bytes32,address,uint64,uint256)')));
export const CHANNEL_BURNED_TOPIC = toHex(keccak256(new TextEncoder().encode('ChannelBurned(bytes32,address,uint64,uint256)')));

/** A channel's key in the ledger's logs: keccak256 of its id text (`txid:vout`). */
export const channelLedgerKey = (channelId: string): Uint8Array => keccak256(new TextEncoder().encode(channelId));

/** The guard slot of a channel call in CHANNEL_LEDGER_ADDRESS's storage. */
export const channelLedgerSlot = (id: string): Uint8Array => keccak256(new TextEncoder().encode(`tapbridge/channel-ledger/${id}`));

/** The log a channel call leaves: [address, topics, data]. */
export function channelLedgerLog(call: ChannelLedgerCall): [Uint8Array, Uint8Array[], Uint8Array] {
  const data = new Uint8Array(64);
  data.set(word(call.stateNumber), 0);
  data.set(word(call.amountSats), 32);
  return [fromHex(CHANNEL_LEDGER_ADDRESS, 20), [fromHex(call.kind === 'channel_credit' ? CHANNEL_CREDITED_TOPIC : CHANNEL_BURNED_TOPIC, 32), channelLedgerKey(call.channelId), word(addr(call.account))], data];
}

/** The view that tells whether the contract already applied this decision, and how to read its answer. */
export function appliedQuery(call: SystemCall): { data: Uint8Array; applied: (ret: Uint8Array) => boolean } {
  const asWord = (ret: Uint8Array): bigint => {
    if (ret.length !== 32) throw new SystemCallError(`staking view returned ${ret.length} bytes, expected 32`);
    return BigInt(toHex(ret));
  };
  switch (call.kind) {
    case 'slash':
      return { data: encodeCall('slashApplied(bytes32)', [{ static: BigInt(call.evidenceIdHash) }]), applied: (r) => asWord(r) !== 0n };
    case 'release_unbonding':
      return { data: encodeCall('releasedBelow()', []), applied: (r) => asWord(r) >= call.below };
    case 'credit_rewards':
      return { data: encodeCall('epochRewarded(uint64)', [{ static: call.epoch }]), applied: (r) => asWord(r) !== 0n };
    case 'channel_credit':
    case 'channel_burn':
      throw new SystemCallError(`${call.kind} has no staking view: the channel ledger's slot is its guard`);
  }
}

/** r of the system transaction: the decision id's hash, reduced into [1, 2^256). */
function idWord(id: string): bigint {
  const h = BigInt(toHex(keccak256(new TextEncoder().encode(`tapbridge/system-call/${id}`))));
  return h === 0n ? 1n : h;
}

/** The system transaction recorded for an executed call (see the module comment): its raw bytes and hash. */
export function systemTransaction(call: SystemCall, common: Common): { id: string; hash: string; raw: Uint8Array } {
  const id = systemCallId(call);
  const { to, data, value } = encodeSystemCall(call);
  const tx = createLegacyTx({ nonce: 0n, gasPrice: 0n, gasLimit: SYSTEM_CALL_GAS_LIMIT, to: to as `0x${string}`, value, data, v: 27n, r: idWord(id), s: 1n }, { common });
  return { id, hash: toHex(tx.hash()), raw: tx.serialize() };
}

/** What a system call came to, once its block is committed. */
export interface SystemCallRecord {
  id: string;
  kind: SystemCallKind;
  /**
   * 'applied': executed, its effects and logs are in the block. 'reverted': executed and reverted (the contract
   * refused it; recorded with a status-0 receipt so it is not run again). 'already-applied': the contract's guard
   * says an earlier call applied this decision; nothing was executed.
   */
  status: 'applied' | 'reverted' | 'already-applied';
  /** The system transaction's hash (none when already applied). */
  transactionHash: string | null;
  blockNumber: bigint;
  blockHash: string;
  /** Hex revert data when reverted. */
  revertData?: string;
}

interface PendingCall {
  id: string;
  call: SystemCall;
  hash: string;
  raw: Uint8Array;
  settle: { resolve: (r: SystemCallRecord) => void; reject: (e: Error) => void };
  committed: Promise<SystemCallRecord>;
}

export type QueuedSystemCall = Omit<PendingCall, 'settle' | 'committed'>;

/** Two calls under one id must be the same call: a different one is a bug upstream, never something to apply. */
export function assertSameSystemCall(id: string, a: Uint8Array, b: Uint8Array): void {
  if (toHex(a) !== toHex(b)) throw new SystemCallError(`system call ${id} was already queued with other arguments; refusing the new ones`);
}

/** System calls waiting for the next block, one per decision id, in arrival order. */
export class SystemCallQueue {
  private readonly pending = new Map<string, PendingCall>();

  get size(): number {
    return this.pending.size;
  }

  has(id: string): boolean {
    return this.pending.has(id);
  }

  enqueue(entry: QueuedSystemCall): Promise<SystemCallRecord> {
    const existing = this.pending.get(entry.id);
    if (existing !== undefined) {
      assertSameSystemCall(entry.id, existing.raw, entry.raw);
      return existing.committed;
    }
    let settle!: PendingCall['settle'];
    const committed = new Promise<SystemCallRecord>((resolve, reject) => {
      settle = { resolve, reject };
    });
    committed.catch(() => undefined); // fire-and-forget callers must not crash the process
    this.pending.set(entry.id, { ...entry, settle, committed });
    return committed;
  }

  peek(max: number): QueuedSystemCall[] {
    const out: QueuedSystemCall[] = [];
    for (const p of this.pending.values()) {
      if (out.length >= max) break;
      out.push({ id: p.id, call: p.call, hash: p.hash, raw: p.raw });
    }
    return out;
  }

  /** After the block holding these outcomes is committed. */
  settle(records: SystemCallRecord[]): void {
    for (const r of records) {
      const p = this.pending.get(r.id);
      if (p === undefined) continue;
      this.pending.delete(r.id);
      p.settle.resolve(r);
    }
  }

  rejectAll(reason: Error): void {
    for (const [id, p] of [...this.pending]) {
      this.pending.delete(id);
      p.settle.reject(reason);
    }
  }
}

export const SYSTEM_CALLER = STAKE_SYSTEM_ADDRESS;

/** The wire form (stake.system.call's payload: decimal strings) of a system call. */
export interface SystemCallJson {
  id: string;
  call:
    | { kind: 'slash'; evidenceIdHash: string; signer: string; selfAmount: string; delegators: string[]; delegatorAmounts: string[]; unbondingIds: string[]; unbondingAmounts: string[] }
    | { kind: 'release_unbonding'; below: string }
    | { kind: 'credit_rewards'; epoch: string; recipients: string[]; amounts: string[]; valueWei: string };
}

/** The wire form (channel.system.call's payload: decimal strings) of a channel ledger call. */
export interface ChannelSystemCallJson {
  id: string;
  call: { kind: 'channel_credit' | 'channel_burn'; channelId: string; stateNumber: string; account: string; amountSats: string };
}

function big(v: string, what: string): bigint {
  if (!/^(0|[1-9][0-9]{0,77})$/.test(v)) throw new SystemCallError(`${what} must be a whole number as a decimal string, got ${JSON.stringify(v)}`);
  return BigInt(v);
}

/** A system call from its wire form; the id must be the call's own (systemCallId), or it is refused. */
export function parseSystemCall(json: SystemCallJson): SystemCall {
  const c = json.call;
  const call = checkSystemCall(
    c.kind === 'slash'
      ? {
          kind: 'slash', evidenceIdHash: c.evidenceIdHash, signer: c.signer, selfAmount: big(c.selfAmount, 'selfAmount'), delegators: c.delegators,
          delegatorAmounts: c.delegatorAmounts.map((v) => big(v, 'delegatorAmounts')), unbondingIds: c.unbondingIds.map((v) => big(v, 'unbondingIds')),
          unbondingAmounts: c.unbondingAmounts.map((v) => big(v, 'unbondingAmounts')),
        }
      : c.kind === 'release_unbonding'
        ? { kind: 'release_unbonding', below: big(c.below, 'below') }
        : { kind: 'credit_rewards', epoch: big(c.epoch, 'epoch'), recipients: c.recipients, amounts: c.amounts.map((v) => big(v, 'amounts')), valueWei: big(c.valueWei, 'valueWei') },
  );
  const id = systemCallId(call);
  if (json.id !== id) throw new SystemCallError(`system call id ${JSON.stringify(json.id)} is not its call's id ${id}`);
  return call;
}

/** A channel ledger call from its wire form (channel.system.call); only channel kinds, and the id must be its own. */
export function parseChannelSystemCall(json: ChannelSystemCallJson): ChannelLedgerCall {
  const c = json.call;
  if (c?.kind !== 'channel_credit' && c?.kind !== 'channel_burn') throw new SystemCallError(`${JSON.stringify(c?.kind)} is not a channel ledger call`);
  const call = checkSystemCall({ kind: c.kind, channelId: c.channelId, stateNumber: big(c.stateNumber, 'stateNumber'), account: c.account, amountSats: big(c.amountSats, 'amountSats') });
  if (!isChannelLedgerCall(call)) throw new SystemCallError('not a channel ledger call');
  const id = systemCallId(call);
  if (json.id !== id) throw new SystemCallError(`system call id ${JSON.stringify(json.id)} is not its call's id ${id}`);
  return call;
}

/** The wire form of a channel ledger call (what the channel-service publishes). */
export function channelSystemCallJson(call: ChannelLedgerCall): ChannelSystemCallJson {
  const c = checkSystemCall(call);
  if (!isChannelLedgerCall(c)) throw new SystemCallError('not a channel ledger call');
  return { id: systemCallId(c), call: { kind: c.kind, channelId: c.channelId, stateNumber: c.stateNumber.toString(), account: c.account, amountSats: c.amountSats.toString() } };
}

/** The wire form of a stake system call (what stake-accounting publishes); channel calls have channelSystemCallJson. */
export function systemCallJson(call: SystemCall): SystemCallJson {
  const s = (v: bigint) => v.toString();
  const c = checkSystemCall(call);
  if (isChannelLedgerCall(c)) throw new SystemCallError(`${c.kind} is a channel ledger call: its wire form is channelSystemCallJson`);
  const body: SystemCallJson['call'] =
    c.kind === 'slash'
      ? { kind: 'slash', evidenceIdHash: c.evidenceIdHash, signer: c.signer, selfAmount: s(c.selfAmount), delegators: c.delegators, delegatorAmounts: c.delegatorAmounts.map(s), unbondingIds: c.unbondingIds.map(s), unbondingAmounts: c.unbondingAmounts.map(s) }
      : c.kind === 'release_unbonding'
        ? { kind: 'release_unbonding', below: s(c.below) }
        : { kind: 'credit_rewards', epoch: s(c.epoch), recipients: c.recipients, amounts: c.amounts.map(s), valueWei: s(c.valueWei) };
  return { id: systemCallId(c), call: body };
}
