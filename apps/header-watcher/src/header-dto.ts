// Response shapes of the REST API (OpenAPI via @nestjs/swagger).
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class HeaderDto {
  @ApiProperty({ example: 812345 }) height!: number;
  @ApiProperty({ description: 'Block hash, display order (hex)' }) hash!: string;
  @ApiProperty({ description: 'Previous block hash, display order' }) prevHash!: string;
  @ApiProperty({ description: 'Merkle root, display order' }) merkleRoot!: string;
  @ApiProperty() version!: number;
  @ApiProperty({ description: 'Block time, seconds since the epoch' }) time!: number;
  @ApiProperty({ description: 'Compact target, 8 hex digits', example: '207fffff' }) bits!: string;
  @ApiProperty() nonce!: number;
  @ApiProperty({ description: 'Cumulative work up to and including this block, 64 hex digits' }) chainwork!: string;
  @ApiProperty({ description: 'The raw 80-byte header, hex' }) header!: string;
  @ApiProperty({ description: 'On the validated best chain' }) inBest!: boolean;
  @ApiProperty({ description: 'Best-chain blocks from this one to the tip, itself included; 0 off the best chain' }) confirmations!: number;
}

export class HeaderRangeDto {
  @ApiProperty() from!: number;
  @ApiProperty() to!: number;
  @ApiProperty({ type: [HeaderDto], description: 'Best-chain headers in ascending height (fewer than asked when beyond the tip)' })
  headers!: HeaderDto[];
}

export class ForkTipDto {
  @ApiProperty({ description: 'Height of the branch tip' }) height!: number;
  @ApiProperty() hash!: string;
  @ApiProperty() chainwork!: string;
  @ApiProperty({ description: 'Height of the last best-chain block the branch shares' }) forkHeight!: number;
  @ApiProperty({ description: 'Headers on the branch above the fork point' }) branchLength!: number;
}

export class SourceStatusDto {
  @ApiProperty({ example: 'core@127.0.0.1:18443' }) name!: string;
  @ApiPropertyOptional({ description: 'Tip height the source last claimed (not validated)' }) height?: number;
  @ApiPropertyOptional() hash?: string;
  @ApiPropertyOptional({ description: 'Blocks our best chain is behind the source\u2019s claim' }) lag?: number;
  @ApiPropertyOptional() lastPolledAt?: string;
  @ApiPropertyOptional() lastError?: string;
  @ApiPropertyOptional() lastErrorAt?: string;
  @ApiProperty({ description: 'Consecutive failed rounds' }) strikes!: number;
  @ApiPropertyOptional({ description: 'Benched (not asked) until this time after repeated failures or bad data' }) skippedUntil?: string;
}

export class SyncStatusDto {
  @ApiProperty({ example: 'regtest' }) network!: string;
  @ApiProperty() bestHeight!: number;
  @ApiProperty() bestHash!: string;
  @ApiProperty({ description: 'Lowest height held in memory (the restart root)' }) rootHeight!: number;
  @ApiProperty({ type: [SourceStatusDto] }) sources!: SourceStatusDto[];
}
