/**
 * Running a block's system calls (system-calls.ts) on the block producer's VM, and turning what they did into the
 * system transactions and receipts the store commits with the block.
 */
import type { Block } from '@ethereumjs/block';
import type { Common } from '@ethereumjs/common';
import { Account, createAddressFromString } from '@ethereumjs/util';
import { Bloom, type VM } from '@ethereumjs/vm';
import { toHex } from './hex.js';
import { STAKING_ADDRESS } from './stake-predeploy.js';
import type { StoredLog, StoredReceipt, StoredTransaction } from './store/chain-store.js';
import {
  appliedQuery, CHANNEL_LEDGER_ADDRESS, channelLedgerLog, channelLedgerSlot, encodeSystemCall, isChannelLedgerCall, SYSTEM_CALL_GAS_LIMIT, SYSTEM_CALLER, SystemCallError,
  type ChannelLedgerCall, type QueuedSystemCall, type SystemCallRecord,
} from './system-calls.js';
import { satsToWei } from './units.js';

type Log = [Uint8Array, Uint8Array[], Uint8Array];

export type ExecutedSystemCall =
  | { entry: QueuedSystemCall; outcome: 'applied'; logs: Log[] }
  | { entry: QueuedSystemCall; outcome: 'reverted'; revertData: string }
  | { entry: QueuedSystemCall; outcome: 'already-applied' }
  /** A reward credit the coinbase cannot fund yet: stays queued for a later block. */
  | { entry: QueuedSystemCall; outcome: 'deferred' };

/**
 * Executes the calls in order on `vm`'s state, inside the block's open checkpoint (block-executor.ts calls this after
 * the transactions). Each call first asks the contract whether the decision is already applied (its guard is the
 * on-chain record of the id); a call that reverts leaves no state change. Throws only on a broken staking contract.
 */
export async function runSystemCalls(vm: VM, block: Block, calls: readonly QueuedSystemCall[]): Promise<ExecutedSystemCall[]> {
  const system = createAddressFromString(SYSTEM_CALLER);
  const staking = createAddressFromString(STAKING_ADDRESS);
  const out: ExecutedSystemCall[] = [];
  for (const entry of calls) {
    if (isChannelLedgerCall(entry.call)) {
      out.push(await runChannelLedgerCall(vm, entry, entry.call));
      continue;
    }
    const query = appliedQuery(entry.call);
    const view = await vm.evm.runCall({ caller: system, origin: system, to: staking, data: query.data, gasLimit: SYSTEM_CALL_GAS_LIMIT, isStatic: true, skipNonceIncrement: true, block });
    if (view.execResult.exceptionError !== undefined) throw new SystemCallError(`the staking contract's guard for ${entry.id} failed: ${view.execResult.exceptionError.error}`);
    if (query.applied(view.execResult.returnValue)) {
      out.push({ entry, outcome: 'already-applied' });
      continue;
    }
    const { data, value } = encodeSystemCall(entry.call);
    await vm.evm.journal.checkpoint();
    if (value > 0n) {
      // Rewards are paid from the fees the coinbase collected; the system address holds nothing of its own.
      const coinbase = block.header.coinbase;
      const funds = await vm.stateManager.getAccount(coinbase);
      if (funds === undefined || funds.balance < value) {
        await vm.evm.journal.revert();
        out.push({ entry, outcome: 'deferred' });
        continue;
      }
      funds.balance -= value;
      await vm.evm.journal.putAccount(coinbase, funds);
      const caller = (await vm.stateManager.getAccount(system)) ?? new Account();
      caller.balance += value;
      await vm.evm.journal.putAccount(system, caller);
    }
    const r = await vm.evm.runCall({ caller: system, origin: system, to: staking, data, value, gasLimit: SYSTEM_CALL_GAS_LIMIT, gasPrice: 0n, skipNonceIncrement: true, block });
    if (r.execResult.exceptionError !== undefined) {
      await vm.evm.journal.revert(); // also undoes the funding above
      out.push({ entry, outcome: 'reverted', revertData: toHex(r.execResult.returnValue) });
    } else {
      await vm.evm.journal.commit();
      out.push({ entry, outcome: 'applied', logs: (r.execResult.logs ?? []) as Log[] });
    }
  }
  return out;
}

const GUARD_APPLIED = Uint8Array.of(1);
const GUARD_REFUSED = Uint8Array.of(2);

/**
 * A channel credit or burn (system-calls.ts module comment): the guard slot says whether this id was settled
 * before; otherwise the balance changes, the guard is set and the ledger's log is emitted, all in one checkpoint. A
 * burn beyond the balance changes no balance; its guard says refused, so the id stays settled.
 */
async function runChannelLedgerCall(vm: VM, entry: QueuedSystemCall, call: ChannelLedgerCall): Promise<ExecutedSystemCall> {
  const ledger = createAddressFromString(CHANNEL_LEDGER_ADDRESS);
  const slot = channelLedgerSlot(entry.id);
  const ledgerAccount = await vm.stateManager.getAccount(ledger);
  if (ledgerAccount !== undefined) {
    const guard = await vm.stateManager.getStorage(ledger, slot);
    if (guard.some((b) => b !== 0)) return { entry, outcome: 'already-applied' };
  }
  await vm.evm.journal.checkpoint();
  // Nonce 1: never an empty account (EIP-161), so its guard slots are never cleared with it.
  if (ledgerAccount === undefined) await vm.evm.journal.putAccount(ledger, new Account(1n, 0n));
  const target = createAddressFromString(call.account);
  const account = (await vm.stateManager.getAccount(target)) ?? new Account();
  const wei = satsToWei(call.amountSats);
  if (call.kind === 'channel_burn' && account.balance < wei) {
    await vm.stateManager.putStorage(ledger, slot, GUARD_REFUSED);
    await vm.evm.journal.commit();
    return { entry, outcome: 'reverted', revertData: toHex(new TextEncoder().encode(`burn of ${call.amountSats} sat exceeds the balance of ${call.account}`)) };
  }
  account.balance = call.kind === 'channel_credit' ? account.balance + wei : account.balance - wei;
  await vm.evm.journal.putAccount(target, account);
  await vm.stateManager.putStorage(ledger, slot, GUARD_APPLIED);
  await vm.evm.journal.commit();
  return { entry, outcome: 'applied', logs: [channelLedgerLog(call)] };
}

/** The system calls' logs in the block's bloom (bitvector of `blockBloom` extended, returned new). */
export function withSystemLogs(blockBloom: Uint8Array, executed: readonly ExecutedSystemCall[], common: Common): Uint8Array {
  const bloom = new Bloom(new Uint8Array(blockBloom), common);
  for (const e of executed) if (e.outcome === 'applied') for (const [address, topics] of e.logs) [address, ...topics].forEach((x) => bloom.add(x));
  return bloom.bitvector;
}

/**
 * The system transactions, receipts and outcome records of a built block. Indexes follow the body's transactions
 * (`firstIndex`) and logs follow theirs (`firstLogIndex`), in execution order.
 */
export function systemCallRecords(
  executed: readonly ExecutedSystemCall[],
  at: { blockNumber: bigint; blockHash: string; firstIndex: number; firstLogIndex: number; blockGasUsed: bigint; common: Common },
): { transactions: StoredTransaction[]; receipts: StoredReceipt[]; records: SystemCallRecord[] } {
  const from = SYSTEM_CALLER.toLowerCase();
  const transactions: StoredTransaction[] = [];
  const receipts: StoredReceipt[] = [];
  const records: SystemCallRecord[] = [];
  let index = at.firstIndex;
  let logIndex = at.firstLogIndex;
  const { blockNumber, blockHash } = at;
  for (const e of executed) {
    const { id, call, hash, raw } = e.entry;
    if (e.outcome === 'deferred') continue;
    if (e.outcome === 'already-applied') {
      records.push({ id, kind: call.kind, status: 'already-applied', transactionHash: null, blockNumber, blockHash });
      continue;
    }
    const logs: StoredLog[] =
      e.outcome === 'applied'
        ? e.logs.map(([address, topics, data]) => ({ address: toHex(address), topics: topics.map(toHex), data: toHex(data), blockNumber, blockHash, transactionHash: hash, transactionIndex: index, logIndex: logIndex++ }))
        : [];
    const bloom = new Bloom(undefined, at.common);
    if (e.outcome === 'applied') for (const [address, topics] of e.logs) [address, ...topics].forEach((x) => bloom.add(x));
    transactions.push({ hash, raw, from, blockNumber, blockHash, index });
    receipts.push({
      transactionHash: hash, transactionIndex: index, blockHash, blockNumber, from, to: encodeSystemCall(call).to.toLowerCase(), contractAddress: null,
      // No gas is charged: the block's gas stays what its transactions used.
      cumulativeGasUsed: at.blockGasUsed, gasUsed: 0n, effectiveGasPrice: 0n, status: e.outcome === 'applied' ? 1 : 0, type: 0,
      logsBloom: toHex(bloom.bitvector), logs,
    });
    records.push({
      id, kind: call.kind, status: e.outcome, transactionHash: hash, blockNumber, blockHash,
      ...(e.outcome === 'reverted' ? { revertData: e.revertData } : {}),
    });
    index++;
  }
  return { transactions, receipts, records };
}

/** The record of a system call whose transaction the store already has. */
export function recordFromReceipt(entry: QueuedSystemCall, receipt: StoredReceipt): SystemCallRecord {
  return {
    id: entry.id, kind: entry.call.kind, status: receipt.status === 1 ? 'applied' : 'reverted',
    transactionHash: receipt.transactionHash, blockNumber: receipt.blockNumber, blockHash: receipt.blockHash,
  };
}
