// Request shapes (zod validates at the edge) and response shapes (@nestjs/swagger documents them).
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { WITHDRAWAL_STATUSES } from '@tapbridge/sweeps';
import { z } from 'zod';

export const withdrawalIdParam = z.string().regex(/^(0|[1-9][0-9]{0,77})$/, 'id must be a withdrawal id (decimal uint256)').transform((v) => BigInt(v));
export const txidParam = z.string().regex(/^[0-9a-fA-F]{64}$/, 'txid must be 32 bytes of hex').transform((v) => v.toLowerCase());
export const listWithdrawalsQuery = z.object({ sender: z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'sender must be a 0x-prefixed 20-byte address') });

export class BlockRefDto {
  @ApiProperty() hash!: string;
  @ApiProperty() height!: number;
}

export class WithdrawalDto {
  @ApiProperty({ description: 'Bridge withdrawal id (decimal uint256)' }) id!: string;
  @ApiProperty() sender!: string;
  @ApiProperty({ description: 'Where the BTC goes (hex scriptPubKey)' }) scriptPubKey!: string;
  @ApiProperty({ description: 'Burned amount, satoshis' }) amountSats!: string;
  @ApiProperty() maxFeeSats!: string;
  @ApiProperty({ enum: WITHDRAWAL_STATUSES, description: 'final → queued → signing → broadcast → confirmed(n) → paid' }) status!: string;
  @ApiProperty({ description: 'Confirmations of the payout (0 until in a block)' }) confirmations!: number;
  @ApiPropertyOptional({ description: 'Sweep transaction paying it' }) txid?: string;
  @ApiPropertyOptional() vout?: number;
  @ApiPropertyOptional({ description: 'Its share of the sweep fee, satoshis' }) feeSats?: string;
  @ApiPropertyOptional({ description: 'amountSats − feeSats: what arrives at the script' }) amountReceivedSats?: string;
  @ApiPropertyOptional({ type: BlockRefDto }) block?: BlockRefDto;
  @ApiPropertyOptional({ description: 'Why it is not in a sweep yet (status final)' }) waitingReason?: string;
  @ApiProperty({ description: 'Blocks waited since it arrived, while not in a block' }) waitingBlocks!: number;
  @ApiProperty({ description: 'Waiting longer than WITHDRAWAL_STUCK_BLOCKS' }) stuck!: boolean;
}

export class HistoryDto {
  @ApiProperty() status!: string;
  @ApiProperty() detail!: string;
  @ApiPropertyOptional() sweepTxid?: string;
}

export class WithdrawalWithHistoryDto extends WithdrawalDto {
  @ApiProperty({ type: [HistoryDto] }) history!: HistoryDto[];
}

export class PayoutDto {
  @ApiProperty() withdrawalId!: string;
  @ApiProperty() vout!: number;
  @ApiProperty() scriptPubKey!: string;
  @ApiProperty() amountSats!: string;
  @ApiProperty() feeShareSats!: string;
  @ApiProperty() paidSats!: string;
}

export class SweptDepositDto {
  @ApiProperty() txid!: string;
  @ApiProperty() vout!: number;
  @ApiProperty() amountSats!: string;
  @ApiProperty() feeShareSats!: string;
}

export class SweepDto {
  @ApiProperty() txid!: string;
  @ApiProperty() familyId!: number;
  @ApiProperty({ description: '0, then +1 per RBF replacement' }) version!: number;
  @ApiProperty({ enum: ['planned', 'signing', 'signed', 'broadcast', 'confirmed', 'replaced', 'failed'] }) status!: string;
  @ApiProperty({ type: [String], description: 'Withdrawal ids paid, in payout order: with output 1 (OP_RETURN "TB" 0x01 count sha256(ids)) anyone checks the commitment' }) withdrawalIds!: string[];
  @ApiProperty({ description: 'sha256 of the ids as 32-byte big-endian integers, hex' }) commitmentDigest!: string;
  @ApiProperty({ type: [PayoutDto] }) payouts!: PayoutDto[];
  @ApiProperty({ type: [SweptDepositDto] }) deposits!: SweptDepositDto[];
  @ApiPropertyOptional({ nullable: true, type: Object }) custodyInput!: { txid: string; vout: number } | null;
  @ApiProperty() custodyOutputSats!: string;
  @ApiProperty() feeSats!: string;
  @ApiProperty() feeRateSatPerVb!: number;
  @ApiProperty() vsize!: number;
  @ApiProperty() plannedAtHeight!: number;
  @ApiPropertyOptional({ nullable: true, type: Number }) broadcastAtHeight!: number | null;
  @ApiPropertyOptional({ nullable: true, type: BlockRefDto }) block!: BlockRefDto | null;
  @ApiProperty() confirmations!: number;
  @ApiPropertyOptional({ nullable: true, type: String }) replacedBy!: string | null;
  @ApiPropertyOptional({ nullable: true, type: String, description: 'Last signing problem (refusal reasons)' }) signingNote!: string | null;
  @ApiPropertyOptional({ nullable: true, type: Object, description: 'What a chain source says about it' }) mempool!: object | null;
  @ApiPropertyOptional({ nullable: true, type: String, description: 'Signed transaction, hex' }) rawTransaction!: string | null;
}

export class PsbtDto {
  @ApiProperty({ description: 'Base64 PSBT of the unsigned sweep (BIP174/BIP371 fields)' }) psbt!: string;
}

export class ReservesUtxoDto {
  @ApiProperty({ enum: ['custody', 'deposit'] }) kind!: string;
  @ApiProperty() txid!: string;
  @ApiProperty() vout!: number;
  @ApiProperty() amountSats!: string;
  @ApiProperty() blockHash!: string;
  @ApiProperty() blockHeight!: number;
  @ApiPropertyOptional({ nullable: true, type: String, description: 'Merkle block (gettxoutproof format) proving the transaction in blockHash' }) merkleProof!: string | null;
}

export class ReservesCustodyDto {
  @ApiProperty() totalSats!: string;
  @ApiProperty({ type: [ReservesUtxoDto] }) utxos!: ReservesUtxoDto[];
}

export class ReservesDto {
  @ApiProperty({ type: ReservesCustodyDto }) custody!: ReservesCustodyDto;
  @ApiPropertyOptional({ nullable: true, type: String }) l2SupplySats!: string | null;
  @ApiPropertyOptional({ nullable: true, type: String }) pendingWithdrawalsSats!: string | null;
  @ApiProperty() feesPaidSats!: string;
  @ApiPropertyOptional({ nullable: true, type: String, description: 'custody − (L2 supply + pending − fees paid)' }) discrepancySats!: string | null;
  @ApiPropertyOptional({ nullable: true, type: Boolean }) invariantHolds!: boolean | null;
  @ApiProperty() invariant!: string;
  @ApiPropertyOptional({ type: Object }) indexerCustody?: object;
  @ApiProperty() checkedAt!: string;
}

export class OutflowPlanDto {
  @ApiProperty() at!: string;
  @ApiProperty({ description: 'Inputs of the planned sweep: the reserve the limit is a share of' }) reserveSats!: string;
  @ApiProperty() limitSats!: string;
  @ApiProperty({ description: 'Payouts of other sweeps signed in the window' }) paidOutInWindowSats!: string;
  @ApiProperty() headroomSats!: string;
  @ApiProperty() plannedPayoutSats!: string;
}

export class OutflowStatusDto {
  @ApiProperty({ description: 'SWEEP_OUTFLOW_LIMIT_BPS: the signers\u2019 limit, basis points of the reserve' }) limitBps!: number;
  @ApiProperty() windowHours!: number;
  @ApiProperty({ type: [String], description: 'Final withdrawals held back by the limit (their waitingReason says why)' }) heldBack!: string[];
  @ApiPropertyOptional({ nullable: true, type: OutflowPlanDto }) lastPlan!: OutflowPlanDto | null;
}

export class StatusDto {
  @ApiProperty({ enum: ['idle', 'sweep-in-flight', 'halted'] }) status!: string;
  @ApiPropertyOptional({ nullable: true, type: Object, description: 'Why the pipeline stopped (a conflicting spend of custody)' }) halted!: object | null;
  @ApiPropertyOptional({ nullable: true, type: BlockRefDto }) tip!: BlockRefDto | null;
  @ApiPropertyOptional({ nullable: true, type: Number }) feeRateSatPerVb!: number | null;
  @ApiPropertyOptional({ nullable: true, type: String }) custody!: string | null;
  @ApiProperty({ type: 'array', items: { type: 'object' } }) inFlight!: object[];
  @ApiProperty() waitingWithdrawals!: number;
  @ApiProperty({ type: [String] }) stuckWithdrawals!: string[];
  @ApiProperty({ type: OutflowStatusDto, description: 'The 24 h outflow limit the planner keeps to (the signers refuse above it)' }) outflow!: OutflowStatusDto;
  @ApiProperty({ type: 'array', items: { type: 'object' } }) waitingReasons!: object[];
}
