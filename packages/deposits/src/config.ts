import { checkXOnly } from '@tapbridge/bitcoin';

/** The parameters the deposit rules run with (the service builds them from its configuration). */
export interface DepositRules {
  /** DEPOSIT_CONFIRMATIONS: depth at which a deposit (or its spend) is announced; 1 = in the tip block. */
  confirmations: number;
  /** The custody (FROST group) x-only key every deposit leaf must name. */
  groupKey: Uint8Array;
  /** scriptPubKey of the custody address: simple-form deposits pay it; the custody UTXO set is its outputs. */
  custodyScriptPubKey: Uint8Array;
  /** Fee cap for simple-form deposits, which state none (never more than the amount above dust). */
  opReturnMaxFeeSats: bigint;
}

export function checkDepositRules(rules: DepositRules): DepositRules {
  if (!Number.isInteger(rules.confirmations) || rules.confirmations < 1) throw new RangeError(`confirmations must be a positive integer, got ${rules.confirmations}`);
  checkXOnly(rules.groupKey, 'group key', 'deposit rules');
  const spk = rules.custodyScriptPubKey;
  if (!(spk instanceof Uint8Array) || spk.length !== 34 || spk[0] !== 0x51 || spk[1] !== 0x20)
    throw new RangeError('custody scriptPubKey must be a P2TR output script (OP_1 <32 bytes>)');
  if (typeof rules.opReturnMaxFeeSats !== 'bigint' || rules.opReturnMaxFeeSats < 0n) throw new RangeError('opReturnMaxFeeSats must be a non-negative bigint');
  return rules;
}
