// Proof of reserves: what custody holds on Bitcoin against what the bridge owes.
//   custody = L2 supply + pending withdrawals − fees paid by custody
// custody: the confirmed custody UTXO plus every confirmed deposit not yet swept (both minted and spendable by the
// signers); L2 supply: minted − final burns (evm-gateway); pending: final burns not yet paid on Bitcoin; fees paid:
// per confirmed sweep, its fee minus what withdrawals' shares covered (deposits are minted in full, so their share
// is custody's). Every term is exact in satoshis, so the difference is 0 when nothing is in transit between services.
import type { CustodyUtxo, DepositRecord, WithdrawalRecord } from './types.js';

export interface ReservesInputs {
  custodyUtxo?: CustodyUtxo;
  /** Confirmed deposits the pipeline holds as available or in a sweep in flight. */
  unsweptDeposits: readonly DepositRecord[];
  l2: { mintedSats: bigint; finalBurnedSats: bigint };
  /** Withdrawals whose payout is in a block (confirmed or paid). */
  paidWithdrawals: readonly WithdrawalRecord[];
  feesPaidSats: bigint;
}

export interface Reserves {
  custodySats: bigint;
  l2SupplySats: bigint;
  pendingWithdrawalsSats: bigint;
  feesPaidSats: bigint;
  /** custody − (L2 supply + pending − fees paid): 0 when the books balance. */
  discrepancySats: bigint;
  holds: boolean;
}

export function computeReserves(i: ReservesInputs): Reserves {
  const custodySats = (i.custodyUtxo?.value ?? 0n) + i.unsweptDeposits.reduce((s, d) => s + d.amountSats, 0n);
  const l2SupplySats = i.l2.mintedSats - i.l2.finalBurnedSats;
  const paid = i.paidWithdrawals.reduce((s, w) => s + w.amountSats, 0n);
  const pendingWithdrawalsSats = i.l2.finalBurnedSats - paid;
  const discrepancySats = custodySats - (l2SupplySats + pendingWithdrawalsSats - i.feesPaidSats);
  return { custodySats, l2SupplySats, pendingWithdrawalsSats, feesPaidSats: i.feesPaidSats, discrepancySats, holds: discrepancySats === 0n };
}
