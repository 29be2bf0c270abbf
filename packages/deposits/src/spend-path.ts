import { bytesToHex } from '@tapbridge/bitcoin';
import type { DepositRecord, DepositStatus, SpendPath } from './types.js';

/** BIP341: a last witness element starting with 0x50, with at least two elements, is the annex. */
const ANNEX_TAG = 0x50;

/**
 * Which path a taproot input took, from its witness: one element is a key-path signature; otherwise the
 * second-to-last element (after any annex) is the executed leaf script, compared with the deposit's own leaves.
 */
export function spendPath(witness: readonly Uint8Array[], deposit: DepositRecord): SpendPath {
  let stack = witness;
  if (stack.length >= 2 && stack[stack.length - 1]![0] === ANNEX_TAG) stack = stack.slice(0, -1);
  if (stack.length === 1) return 'key-path';
  if (stack.length < 2) return 'unknown';
  const script = bytesToHex(stack[stack.length - 2]!);
  if (deposit.depositScript !== undefined && script === deposit.depositScript) return 'deposit-leaf';
  if (deposit.reclaimScript !== undefined && script === deposit.reclaimScript) return 'reclaim-leaf';
  return 'unknown';
}

/**
 * What a spend makes of a deposit. The deposit leaf is the signers' sweep; so is the key path of a simple-form
 * deposit, which sits in the custody output. Any other spend is recorded as `spent`, not guessed at.
 */
export function statusAfterSpend(path: SpendPath, deposit: DepositRecord): DepositStatus {
  if (path === 'reclaim-leaf') return 'reclaimed';
  if (path === 'deposit-leaf') return 'swept';
  if (path === 'key-path' && deposit.kind === 'op_return') return 'swept';
  return 'spent';
}
