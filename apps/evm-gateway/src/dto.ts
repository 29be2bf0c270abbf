// Response shapes of the REST API (OpenAPI via @nestjs/swagger). Amounts are decimal strings: JSON has no bigint.
import { ApiProperty } from '@nestjs/swagger';

export class ChainDto {
  @ApiProperty({ example: 29794 }) chainId!: number;
  @ApiProperty({ example: '0x7462', description: 'eth_chainId form' }) chainIdHex!: string;
  @ApiProperty({ description: 'Number of the latest committed block' }) height!: number;
  @ApiProperty({ description: 'Hash of the latest committed block, 0x hex' }) headHash!: string;
  @ApiProperty({ description: 'Highest block that is final (height − finalityDepth; genesis is always final), as JSON-RPC "finalized"' })
  finalizedHeight!: number;
  @ApiProperty({ description: 'Blocks a burn must be buried under before withdrawal.requested is published' }) finalityDepth!: number;
  @ApiProperty({ example: '0x0000000000000000000000000000000000b71d6E', description: 'The predeployed bridge contract (withdraw burns)' })
  bridgeAddress!: string;
  @ApiProperty({ description: 'Longest wait before an empty block is sealed' }) blockTimeMs!: number;
  @ApiProperty({ description: 'Transactions waiting in the mempool' }) mempoolSize!: number;
  @ApiProperty({ enum: ['devnet', 'genesis-file'], description: 'devnet: funded public dev keys; genesis-file: EVM_GENESIS_FILE' })
  genesis!: 'devnet' | 'genesis-file';
}

export class MintReorgDto {
  @ApiProperty() reason!: string;
  @ApiProperty() recordedAt!: string;
}

export class MintBackingDto {
  @ApiProperty({ enum: ['reorged', 'reconfirmed'] }) status!: 'reorged' | 'reconfirmed';
  @ApiProperty({ type: String, nullable: true, description: 'Bitcoin block that left the best chain (reorged) or confirms the deposit again (reconfirmed)' })
  btcBlockHash!: string | null;
  @ApiProperty() detail!: string;
  @ApiProperty() recordedAt!: string;
}

export class MintDto {
  @ApiProperty({ example: '4a5e…:0', description: 'Deposit id: Bitcoin txid (display hex) and output index' }) depositId!: string;
  @ApiProperty() txid!: string;
  @ApiProperty() vout!: number;
  @ApiProperty({ description: 'L2 address credited' }) recipient!: string;
  @ApiProperty({ example: '150000' }) amountSats!: string;
  @ApiProperty({ example: '1500000000000000', description: 'amountSats × 10^10' }) amountWei!: string;
  @ApiProperty({ description: 'L2 block holding the credit' }) blockNumber!: number;
  @ApiProperty() blockHash!: string;
  @ApiProperty({ description: 'EIP-4895 withdrawal index (global counter) of the credit' }) withdrawalIndex!: string;
  @ApiProperty({ description: 'Position of the credit in the block\u2019s withdrawals list' }) withdrawalPosition!: number;
  @ApiProperty({ type: MintReorgDto, nullable: true, description: 'Set while the deposit\u2019s Bitcoin block is reorged out after the mint (cleared when it confirms again)' })
  reorged!: MintReorgDto | null;
  @ApiProperty({ enum: ['backed', 'reorged'], description: 'backed: the deposit is on the best Bitcoin chain (as last reported); reorged: not now' })
  backing!: 'backed' | 'reorged';
  @ApiProperty({ type: [MintBackingDto], description: 'Every reorg and re-confirmation of the deposit after its mint, oldest first' })
  backingHistory!: MintBackingDto[];
}

export class WithdrawalDto {
  @ApiProperty({ example: '0', description: 'The bridge\u2019s sequential withdrawal id' }) withdrawalId!: string;
  @ApiProperty({
    enum: ['requested', 'final', 'published'],
    description: 'requested: in a block, not yet final; final: deep enough, withdrawal.requested in the outbox; published: on JetStream',
  })
  status!: 'requested' | 'final' | 'published';
  @ApiProperty() sender!: string;
  @ApiProperty({ description: 'Bitcoin output script to pay, hex' }) btcScriptPubKey!: string;
  @ApiProperty() amountSats!: string;
  @ApiProperty() maxFeeSats!: string;
  @ApiProperty() evmBlockNumber!: number;
  @ApiProperty() evmBlockHash!: string;
  @ApiProperty() evmTxHash!: string;
  @ApiProperty() logIndex!: number;
  @ApiProperty({ description: 'Blocks from the burn\u2019s block to the head, itself included' }) confirmations!: number;
  @ApiProperty({ description: 'Head height at which the burn is final' }) finalAtBlock!: number;
  @ApiProperty({ example: 'withdrawal.requested:0', description: 'Event id (Nats-Msg-Id) of withdrawal.requested' }) eventId!: string;
  @ApiProperty({ type: String, nullable: true }) finalizedAt!: string | null;
  @ApiProperty({ type: String, nullable: true }) publishedAt!: string | null;
}
