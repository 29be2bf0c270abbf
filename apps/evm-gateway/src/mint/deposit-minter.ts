import { MAX_MINTS_PER_BLOCK, MintError, type CustodyView, type EvmEngine, type HeaderChain, type MintRecord, type CapacityGate, type GatedDeposit } from '@tapbridge/evm';
import { hashToHex, verifyMerkleBlockProof } from '@tapbridge/bitcoin';
import {
  claimEvent, depositConfirmed, depositReclaimed, depositReorged, HeldBackError, NonRetryableError, prismaExecutor,
  type BatchEvent, type BatchResult, type EventPayload,
} from '@tapbridge/messaging';
import type { Logger } from '@tapbridge/observability';
import type { PrismaClient } from '../generated/prisma/client.js';
import { mintProofRejectionsTotal, mintReconfirmationsTotal, mintRefusalsTotal, mintReorgsTotal, unbackedMints } from '../metrics.js';
import { verifyDeposit, type CustodySource } from './deposit-proof.js';

/** Durable consumer name on `deposit.>`; also the inbox key of what it applied. */
export const MINT_CONSUMER = 'evm-gateway-mint';

type DepositConfirmed = EventPayload<typeof depositConfirmed>;
type DepositReorged = EventPayload<typeof depositReorged>;

/** The deposit's id on L2: `<txid>:<vout>`, the same whichever Bitcoin block confirmed it. */
export function depositIdOf(p: { txid: string; vout: number }): string {
  return `${p.txid}:${p.vout}`;
}

export interface DepositMinterOptions {
  engine: EvmEngine;
  /** The service's schema (the inbox's, for messaging's claimEvent). */
  schema: string;
  /** The inbox: which deliveries were applied. */
  prisma: Pick<PrismaClient, 'inbox' | '$transaction'>;
  logger: Logger;
  /** The header chain every deposit.confirmed is checked against (the header-watcher over NATS). */
  headers: HeaderChain;
  /** Our custody (the signing-coordinator over NATS): a deposit must be locked to it. */
  custody: CustodySource;
  /** Confirmations the deposit's block must have on the header chain (DEPOSIT_CONFIRMATIONS of the indexer). */
  minConfirmations: number;
  /** Mint an event without a raw transaction on its proof alone (EVM_ACCEPT_UNPROVEN_DEPOSITS); default false. */
  acceptUnprovenDeposits?: boolean;
  /**
   * The dynamic pledge (EVM_MINT_CAPACITY=stake): deposits beyond stake value / R are held (held_capacity) and minted
   * in confirmation order when capacity returns (packages/evm capacity-gate.ts). Absent: every valid deposit is minted.
   */
  gate?: CapacityGate;
}

/** A deposit event that is not true (proof, block or chain do not agree): dead-lettered with this reason, nothing minted. */
export class ForgedDepositError extends NonRetryableError {}

export type MintResult =
  | { outcome: 'minted' | 'already-minted' | 'reconfirmed'; record: MintRecord }
  | { outcome: 'duplicate-delivery' }
  /** Beyond capacity: recorded as held (the event is acked; the held line is durable) and minted later, in order. */
  | { outcome: 'held_capacity' }
  | { outcome: 'refused'; reason: string };
export type ReorgResult = 'recorded' | 'cancelled-pending' | 'unknown' | 'duplicate-delivery' | 'stale';

/**
 * Applies deposit events to the L2: deposit.confirmed credits the recipient in the next block, deposit.reorged of a
 * minted deposit is recorded and raised as an alert.
 *
 * Exactly once per deposit id, argued from what is durable:
 * - The credit and its mint record (`evm_mint`, primary key = deposit id) are written in the block's own commit
 *   transaction by the engine's store: a block that credits a deposit cannot exist without its record and vice versa,
 *   and a second record for the same id fails the whole block commit.
 * - Before queueing, the engine looks the id up in that table (and in its pending queue), and the sequencer looks
 *   again when it assembles the block. So any number of deliveries, under any event id (a re-confirmation in another
 *   Bitcoin block has a new event id but the same deposit id), yields at most one credit.
 * - The message is acked only after the block holding the credit is committed (or was already). A crash before that
 *   loses only the in-memory queue entry; JetStream redelivers and it is queued again. So none is lost.
 * - The inbox row (consumer, event id) is then written as the record of the delivery; a redelivery that finds it is
 *   acked at once. It is a shortcut, not the guarantee: a crash between the block commit and the inbox write is
 *   covered by the mint record above.
 *
 * Nothing is believed on the event's word: before anything is minted (or a reorged mint is marked backed again) its
 * merkle proof must commit to the txid under a header the header-watcher holds on its best chain, at the stated
 * height, with `minConfirmations` (deposit-proof.ts). A false event is dead-lettered with the reason and counted
 * (tapbridge_evm_mint_proof_rejections_total); a watcher that is behind or unreachable means retry later.
 * The proof proves that the transaction is in the block, not what it pays: so the event's raw transaction must hash to
 * the txid and its output must pay the amount to the recipient's deposit script (or carry its OP_RETURN); an event
 * without a raw transaction is refused unless EVM_ACCEPT_UNPROVEN_DEPOSITS (deposit-proof.ts, checkDepositPayment).
 *
 * A minted deposit whose block is reorged away is marked unbacked (tapbridge_evm_unbacked_mints, the alert); its
 * deposit.confirmed in another block (or in the same block again, see packages/deposits' confirmation counter)
 * marks it backed again, with the history kept (evm_mint_backing).
 */
export class DepositMinter {
  constructor(private readonly o: DepositMinterOptions) {}

  /**
   * The durable consumer's batch handler. Events are applied in stream order, in runs: every deposit.confirmed up to
   * the next deposit.reorged is checked together and credited in one L2 block, then the reorg is applied, and so on.
   * Confirmations of different deposits commute, so inside a run order does not matter; across a reorg it does. A
   * deposit that must wait (header chain behind, custody unknown) holds back every event after its run
   * (HeldBackError), so a reorg is never applied before the confirmation ahead of it. Other deposit.* events
   * (reclaimed, swept) are not the gateway's business.
   */
  async handleBatch(all: readonly BatchEvent[]): Promise<BatchResult> {
    const events = all.slice(0, wholeBlocks(all));
    const results: BatchResult = all.map((_, k) => (k < events.length ? undefined : new HeldBackError('the rest of its Bitcoin block comes in the next batch')));
    let i = 0;
    while (i < events.length) {
      const { event } = events[i]!;
      if (event.subject === depositReclaimed.subject) {
        // Its owner took it back on Bitcoin: a held deposit must never be minted now.
        try {
          await this.o.gate?.drop([depositIdOf(event.payload as { txid: string; vout: number })]);
        } catch (err) {
          results[i] = err as Error;
          return holdBack(results, i + 1, event.id);
        }
        i++;
        continue;
      }
      if (event.subject === depositReorged.subject) {
        try {
          await this.reorg(event.id, event.payload as DepositReorged);
        } catch (err) {
          results[i] = err as Error;
          if (!(err instanceof NonRetryableError)) return holdBack(results, i + 1, event.id);
        }
        i++;
        continue;
      }
      let end = i;
      while (end < events.length && events[end]!.event.subject !== depositReorged.subject && events[end]!.event.subject !== depositReclaimed.subject) end++;
      const run = events.slice(i, end).flatMap(({ event }, k) => (event.subject === depositConfirmed.subject ? [{ index: i + k, eventId: event.id, deposit: event.payload as DepositConfirmed }] : []));
      const outcomes = await this.mintRun(run);
      let waiting: string | undefined;
      for (const [k, { index, eventId }] of run.entries()) {
        const outcome = outcomes[k]!;
        if (outcome instanceof Error) {
          results[index] = outcome;
          if (!(outcome instanceof NonRetryableError)) waiting ??= eventId;
        }
      }
      if (waiting !== undefined) return holdBack(results, end, waiting);
      i = end;
    }
    return results;
  }

  /** One event on its own (tests, tools): the batch path with a batch of one. Throws what the batch would retry. */
  async mint(eventId: string, deposit: DepositConfirmed): Promise<MintResult> {
    const [outcome] = await this.mintRun([{ eventId, deposit }]);
    if (outcome instanceof Error) throw outcome;
    return outcome!;
  }

  /**
   * Checks and credits a run of deposit.confirmed events together: one inbox read, one custody answer, the proofs
   * checked concurrently (headers asked once per Bitcoin block), every valid deposit queued for the same L2 block,
   * and after that block commits one inbox write. One result per event: a MintResult, or the Error to retry or
   * dead-letter it with.
   */
  private async mintRun(run: ReadonlyArray<{ eventId: string; deposit: DepositConfirmed }>): Promise<Array<MintResult | Error>> {
    const out: Array<MintResult | Error | undefined> = run.map(() => undefined);
    if (run.length === 0) return [];
    // Applied before (the inbox), or a second copy of an event earlier in this run: nothing to do.
    const seen = await this.seen(run.map((r) => r.eventId));
    const todo = run.flatMap((r, k) => {
      if (!seen.has(r.eventId)) {
        seen.add(r.eventId);
        return [k];
      }
      out[k] = { outcome: 'duplicate-delivery' };
      return [];
    });
    if (todo.length > 0) {
      const custody = await this.o.custody.get();
      if (!custody.known) {
        // Until we know whose deposits to credit, credit none: retried later, never minted on trust.
        for (const k of todo) out[k] = new Error(`deposit ${depositIdOf(run[k]!.deposit)}: held until our custody is known: ${custody.reason}`);
      } else {
        await this.checkAndMint(run, todo, custody.custody, out);
      }
    }
    return out.map((o) => o ?? new Error('internal: a deposit of the batch was left without an outcome'));
  }

  private async checkAndMint(
    run: ReadonlyArray<{ eventId: string; deposit: DepositConfirmed }>,
    todo: number[],
    custody: CustodyView,
    out: Array<MintResult | Error | undefined>,
  ): Promise<void> {
    const { engine, logger } = this.o;
    const started = performance.now();
    const headers = memoizedHeaders(this.o.headers);
    const check = (k: number, c: CustodyView) =>
      verifyDeposit(run[k]!.deposit, headers, this.o.minConfirmations, { acceptUnproven: this.o.acceptUnprovenDeposits ?? false, custody: c });
    let verdicts = await mapLimit(todo, CHECK_CONCURRENCY, (k) => check(k, custody));
    // A deposit to another key: perhaps our key changed (a new DKG). Ask the coordinator again, once, before refusing.
    if (verdicts.some((v) => v.verdict === 'forged' && v.foreignCustody === true)) {
      const again = await this.o.custody.refresh();
      if (again.known && (again.custody.groupKey !== custody.groupKey || again.custody.scriptPubKey !== custody.scriptPubKey)) {
        verdicts = await mapLimit(todo, CHECK_CONCURRENCY, (k) => check(k, again.custody));
      }
    }
    const valid: number[] = [];
    for (const [j, k] of todo.entries()) {
      const verdict = verdicts[j]!;
      const { deposit, eventId } = run[k]!;
      const depositId = depositIdOf(deposit);
      if (verdict.verdict === 'valid') valid.push(k);
      else if (verdict.verdict === 'not-yet') out[k] = new Error(`deposit ${depositId}: cannot check its proof yet: ${verdict.reason}`);
      else {
        mintProofRejectionsTotal.inc();
        const alert = verdict.foreignCustody === true ? 'deposit_not_ours' : 'deposit_proof_rejected';
        logger.error({ alert, depositId, eventId, blockHash: deposit.blockHash, blockHeight: deposit.blockHeight, reason: verdict.reason }, 'ALERT: deposit.confirmed failed its checks; nothing minted');
        out[k] = new ForgedDepositError(`deposit.confirmed ${eventId} refused, nothing minted: ${verdict.reason}`);
      }
    }
    if (valid.length === 0) return;
    const checkedAt = performance.now();
    const request = (k: number) => ({ depositId: depositIdOf(run[k]!.deposit), recipient: run[k]!.deposit.recipient, amountSats: BigInt(run[k]!.deposit.amountSats) });
    let credit = valid;
    let settled: Credited[];
    if (this.o.gate === undefined) {
      settled = await this.credit(valid.map(request));
    } else {
      // Deposits minted before (a redelivery) are not the gate's business: they go the usual way, never held.
      const minted = await engine.store.getMints(valid.map((k) => depositIdOf(run[k]!.deposit)));
      const gated = valid.filter((k) => !minted.has(depositIdOf(run[k]!.deposit)));
      const byId = new Map<string, Credited>();
      let held: Set<string>;
      try {
        const admitted = await this.o.gate.admit(gated.map((k) => gatedDeposit(run[k]!.deposit)), async (ds) => {
          const results = await this.credit(ds);
          ds.forEach((d, i) => byId.set(d.depositId, results[i]!));
          this.logHeldMinted(ds, results);
          // Not committed (engine closing, failed block): the gate keeps what it held; the events are retried.
          const failed = results.find((r): r is Error => r instanceof Error && !(r instanceof MintError));
          if (failed !== undefined) throw failed;
        });
        held = new Set(admitted.held.map((h) => h.depositId));
      } catch (err) {
        for (const k of gated) out[k] = err as Error;
        return;
      }
      const done: string[] = [];
      for (const k of gated) {
        if (!held.has(depositIdOf(run[k]!.deposit))) continue;
        out[k] = { outcome: 'held_capacity' };
        done.push(run[k]!.eventId);
        logger.warn({ depositId: depositIdOf(run[k]!.deposit), amountSats: run[k]!.deposit.amountSats, blockHeight: run[k]!.deposit.blockHeight }, 'deposit beyond capacity: held (held_capacity) until stake allows it');
      }
      if (done.length > 0) await this.o.prisma.inbox.createMany({ data: done.map((eventId) => ({ consumer: MINT_CONSUMER, eventId })), skipDuplicates: true });
      credit = valid.filter((k) => !held.has(depositIdOf(run[k]!.deposit)));
      const again = credit.filter((k) => minted.has(depositIdOf(run[k]!.deposit)));
      const againResults = again.length === 0 ? [] : await this.credit(again.map(request));
      again.forEach((k, i) => byId.set(depositIdOf(run[k]!.deposit), againResults[i]!));
      settled = credit.map((k) => byId.get(depositIdOf(run[k]!.deposit)) ?? new Error('internal: a deposit admitted by the gate has no mint result'));
    }
    const committedAt = performance.now();
    const done: string[] = [];
    let reconfirmed = false;
    for (const [j, k] of credit.entries()) {
      const { deposit, eventId } = run[k]!;
      const depositId = depositIdOf(deposit);
      const result = settled[j]!;
      if (result instanceof MintError) {
        // The same deposit id with another amount or recipient, or an amount no L2 can hold: an upstream bug that no
        // retry fixes. Raised as an alert and acknowledged, so the strictly ordered consumer is not held up. (Not
        // dead-lettered: nats-server 2.9 ignores a TERM that carries a reason, so the message would come back.)
        mintRefusalsTotal.inc();
        logger.error({ alert: 'deposit_not_mintable', depositId, eventId, deposit, reason: result.message }, 'ALERT: deposit.confirmed refused; nothing minted');
        out[k] = { outcome: 'refused', reason: result.message };
        done.push(eventId);
      } else if (result instanceof Error) {
        out[k] = result; // not committed (engine closing, block failed): retried; the credit is exactly-once by id
      } else if ('status' in result) {
        // Confirmed again (another block, or the same one after a reorg and back): backed again if it was reorged.
        const detail = `confirmed in Bitcoin block ${deposit.blockHash} (height ${deposit.blockHeight}, event ${eventId})`;
        const again = (await engine.recordMintReconfirmation(depositId, deposit.blockHash, detail)) === 'reconfirmed';
        if (again) {
          reconfirmed = true;
          mintReconfirmationsTotal.inc();
          logger.warn({ depositId, btcBlockHash: deposit.blockHash, btcBlockHeight: deposit.blockHeight }, 'reorged deposit confirmed again: its L2 BTC is backed again');
        } else {
          logger.info({ depositId, eventId, block: result.record.blockNumber.toString() }, 'deposit already minted; delivery acknowledged');
        }
        out[k] = { outcome: again ? 'reconfirmed' : 'already-minted', record: result.record };
        done.push(eventId);
      } else {
        const { record } = result;
        logger.info({ depositId, recipient: record.recipient, amountSats: record.amountSats.toString(), block: record.blockNumber.toString(), withdrawalIndex: record.withdrawalIndex.toString() }, 'deposit minted');
        out[k] = { outcome: 'minted', record };
        done.push(eventId);
      }
    }
    // The record of these deliveries, after the block: a shortcut for redeliveries, not the guarantee (class comment).
    if (done.length > 0) await this.o.prisma.inbox.createMany({ data: done.map((eventId) => ({ consumer: MINT_CONSUMER, eventId })), skipDuplicates: true });
    if (reconfirmed) await this.refreshUnbacked();
    const ms = (a: number, b: number) => Math.round(b - a);
    logger.info(
      { deposits: todo.length, credited: credit.length, checkMs: ms(started, checkedAt), blockMs: ms(checkedAt, committedAt), inboxMs: ms(committedAt, performance.now()) },
      'deposit batch applied',
    );
  }

  /** Queues credits for the next block and waits for it: per deposit its record, 'already-minted', or the Error. */
  private async credit(requests: ReadonlyArray<{ depositId: string; recipient: string; amountSats: bigint }>): Promise<Credited[]> {
    const queued = await this.o.engine.queueMints(requests.map((r) => ({ depositId: r.depositId, recipient: r.recipient, amountSats: r.amountSats })));
    // Every queued credit is in the block the engine builds next; wait for it (or for those already there).
    return Promise.all(queued.map(async (q): Promise<Credited> => {
      if (q instanceof MintError || q.status === 'already-minted') return q;
      try {
        return { record: await q.committed };
      } catch (err) {
        return err as Error;
      }
    }));
  }

  /** Mints held deposits that fit now (a stake.capacity event, a burn, the timer); no-op without a gate. */
  async drainHeld(): Promise<number> {
    if (this.o.gate === undefined) return 0;
    const minted = await this.o.gate.drain(async (ds) => {
      const results = await this.credit(ds);
      this.logHeldMinted(ds, results);
      const failed = results.find((r): r is Error => r instanceof Error && !(r instanceof MintError));
      if (failed !== undefined) throw failed;
    });
    return minted.length;
  }

  private logHeldMinted(ds: readonly GatedDeposit[], results: readonly Credited[]): void {
    ds.forEach((d, i) => {
      const r = results[i];
      if (r instanceof MintError) this.o.logger.error({ alert: 'deposit_not_mintable', depositId: d.depositId, reason: r.message }, 'ALERT: admitted deposit refused by the engine; nothing minted');
      else if (r !== undefined && !(r instanceof Error) && 'record' in r) this.o.logger.info({ depositId: d.depositId, block: r.record.blockNumber.toString() }, 'deposit minted within capacity');
    });
  }

  /**
   * A deposit's Bitcoin block left the best chain. Minted BTC cannot be taken back on L2, so a minted deposit is
   * recorded (evm_mint_reorg), counted and logged at error level for operators. The inbox claim and the count share
   * one transaction; the engine's record is idempotent, so a crash in between repeats nothing that matters.
   */
  async reorg(eventId: string, deposit: DepositReorged): Promise<ReorgResult> {
    const { engine, logger, schema } = this.o;
    const depositId = depositIdOf(deposit);
    // A reorg claim is checked too: only a block the header chain holds off its best chain was reorged out.
    let header;
    try {
      header = await this.o.headers.byHash(deposit.blockHash);
    } catch (err) {
      throw new Error(`deposit ${depositId}: cannot check the reorg with the header-watcher: ${(err as Error).message}`, { cause: err });
    }
    // The indexer follows the watcher's headers, so a block it reorged out is one the watcher holds off its best chain.
    if (header === undefined || header.inBest) {
      mintProofRejectionsTotal.inc();
      const why = header === undefined ? 'is unknown to the header chain' : `is on the best chain at height ${header.height}`;
      logger.error({ alert: 'deposit_proof_rejected', depositId, eventId, blockHash: deposit.blockHash, reason: `block ${why}` }, 'ALERT: deposit.reorged contradicts the header chain; ignored');
      throw new ForgedDepositError(`deposit.reorged ${eventId} refused: block ${deposit.blockHash} ${why}`);
    }
    // A reorg of a block that no longer backs the mint (it re-confirmed elsewhere since) changes nothing.
    const last = (await engine.getMintBackingHistory(depositId)).at(-1);
    if (last?.status === 'reconfirmed' && last.btcBlockHash !== deposit.blockHash) {
      await this.o.prisma.inbox.createMany({ data: [{ consumer: MINT_CONSUMER, eventId }], skipDuplicates: true });
      logger.info({ depositId, btcBlockHash: deposit.blockHash, backedBy: last.btcBlockHash }, 'deposit.reorged of a block that no longer backs the mint; nothing to do');
      return 'stale';
    }
    // The claim commits only if the engine recorded the reorg: a failed record is retried, not taken as done.
    const result = await this.o.prisma.$transaction(async (tx) => {
      if (!(await claimEvent(prismaExecutor(tx), schema, MINT_CONSUMER, eventId))) return 'duplicate-delivery' as const;
      const result = await engine.recordMintReorg(depositId, `Bitcoin block ${deposit.blockHash} (height ${deposit.blockHeight}) left the best chain`, deposit.blockHash);
      if (result === 'recorded') {
        mintReorgsTotal.inc();
        const mint = await engine.getMint(depositId);
        logger.error(
          {
            alert: 'minted_deposit_reorged', depositId, btcBlockHash: deposit.blockHash, btcBlockHeight: deposit.blockHeight,
            amountSats: deposit.amountSats, recipient: deposit.recipient, evmBlock: mint?.blockNumber.toString(),
          },
          'ALERT: a minted deposit was reorged out of Bitcoin; its L2 BTC is no longer backed',
        );
      } else {
        logger.warn({ depositId, result }, 'deposit reorged out before it was minted');
        // Held for capacity: it is no longer a deposit to mint (the engine never saw it).
        await this.o.gate?.drop([depositId]);
      }
      return result;
    }, REORG_TRANSACTION);
    if (result === 'recorded') await this.refreshUnbacked();
    return result;
  }

  /** Sets the gauge the "no longer backed" alert reads: minted deposits that are reorged and not confirmed again. */
  async refreshUnbacked(): Promise<number> {
    const n = (await this.o.engine.getMintReorgs()).length;
    unbackedMints.set(n);
    return n;
  }

  /** Which of these deliveries were applied before. A plain read: the claim happens after the credit (class comment). */
  private async seen(eventIds: readonly string[]): Promise<Set<string>> {
    const rows = await this.o.prisma.inbox.findMany({ where: { consumer: MINT_CONSUMER, eventId: { in: [...eventIds] } }, select: { eventId: true } });
    return new Set(rows.map((r) => r.eventId));
  }
}

/** What a queued credit came to: committed (its record), minted before, refused, or not committed (retry). */
type Credited = { record: MintRecord } | { status: 'already-minted'; record: MintRecord } | MintError | Error;

/** A checked deposit as the capacity gate orders it: its position in the block from its merkle proof. */
export function gatedDeposit(d: DepositConfirmed): GatedDeposit {
  let position = 0;
  try {
    const txid = d.txid.toLowerCase();
    const match = verifyMerkleBlockProof(d.merkleProof).matches.find((m) => hashToHex(m.txid) === txid);
    position = match?.index ?? 0;
  } catch {
    // Already verified before it gets here; position 0 only orders it first within its block.
  }
  return { depositId: depositIdOf(d), recipient: d.recipient, amountSats: BigInt(d.amountSats), blockHash: d.blockHash, blockHeight: d.blockHeight, position, vout: d.vout };
}

/**
 * How many events of the batch to apply now: all, unless a full batch (MAX_MINTS_PER_BLOCK) ends inside a Bitcoin
 * block; then that block's trailing deposits wait for the next batch, so a block's deposits stay in one L2 block.
 */
function wholeBlocks(events: readonly BatchEvent[]): number {
  const blockOf = (e: BatchEvent | undefined) => (e?.event.subject === depositConfirmed.subject ? (e.event.payload as DepositConfirmed).blockHash : undefined);
  const last = blockOf(events.at(-1));
  if (events.length < MAX_MINTS_PER_BLOCK || last === undefined) return events.length;
  let k = events.length;
  while (k > 0 && blockOf(events[k - 1]) === last) k--;
  return k > 0 ? k : events.length; // one block larger than a batch: split it, nothing else can be done
}

/**
 * The reorg's inbox claim waits for the engine's record (a write on the chain store's own connection), which can
 * queue behind a block commit on a loaded machine: far more than Prisma's default 5 s.
 */
const REORG_TRANSACTION = { maxWait: 30_000, timeout: 120_000 };

/** Proofs checked at once: bounded, so a 4,000-deposit block does not open 4,000 requests to the header-watcher. */
const CHECK_CONCURRENCY = 64;

/** Every event from `from` on waits behind `eventId`: not attempted, offered again in order once it is through. */
function holdBack(results: BatchResult, from: number, eventId: string): BatchResult {
  for (let k = from; k < results.length; k++) results[k] ??= new HeldBackError(`waits behind event ${eventId}, which is retried first`);
  return results;
}

/** The header chain, each block asked once per batch: a Bitcoin block's deposits share their header. */
function memoizedHeaders(chain: HeaderChain): HeaderChain {
  const byHash = new Map<string, ReturnType<HeaderChain['byHash']>>();
  let tip: ReturnType<HeaderChain['tipHeight']> | undefined;
  const forget = <T>(p: Promise<T>, drop: () => void) => {
    p.catch(drop); // a failed answer is asked again, not remembered
    return p;
  };
  return {
    byHash(hash) {
      let answer = byHash.get(hash);
      if (answer === undefined) {
        answer = forget(chain.byHash(hash), () => byHash.delete(hash));
        byHash.set(hash, answer);
      }
      return answer;
    },
    tipHeight() {
      tip ??= forget(chain.tipHeight(), () => (tip = undefined));
      return tip;
    },
  };
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
