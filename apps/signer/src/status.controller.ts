import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { bytesToHex } from '@noble/hashes/utils.js';
import type { SignerProtocol } from '@tapbridge/signing';

export const SIGNER_PROTOCOL = Symbol('SIGNER_PROTOCOL');
export const SIGNER_SETTINGS = Symbol('SIGNER_SETTINGS');

export interface SignerSettings {
  index: number;
  n: number;
  t: number;
  purposes: string[];
  /** The sweep policy's view, when it is on (BTC_SOURCES and EVM_RPC_URL set). */
  sweep?: () => SweepStatus;
}

export interface SweepStatus {
  /** The best tip of this signer's own validated header chain. */
  headerTip: { height: number; hash: string } | null;
  /** The custody address this signer derives from its group key and CUSTODY_RECOVERY_* (must equal the coordinator's). */
  custodyAddress: string | null;
}

class SweepHeaderTipDto {
  @ApiProperty() height!: number;
  @ApiProperty() hash!: string;
}

class SweepStatusDto {
  @ApiPropertyOptional({ description: "Best tip of this signer's own validated header chain (its embedded light client)", nullable: true, type: SweepHeaderTipDto }) headerTip!: SweepHeaderTipDto | null;
  @ApiPropertyOptional({ description: 'The custody address this signer derives; a sweep whose output 0 pays anything else is refused', nullable: true, type: String }) custodyAddress!: string | null;
}

class SignerStatusDto {
  @ApiProperty({ description: '1-based signer index' }) index!: number;
  @ApiProperty() n!: number;
  @ApiProperty() t!: number;
  @ApiProperty({ description: 'Compressed host public key (hex): authenticates every message this signer sends' }) hostPubkey!: string;
  @ApiPropertyOptional({ description: 'Compressed even-y group key once the DKG completed', nullable: true, type: String }) groupKey!: string | null;
  @ApiPropertyOptional({ description: 'This signer\'s public share (never the secret one)', nullable: true, type: String }) pubshare!: string | null;
  @ApiProperty({ description: 'Holds a key share' }) ready!: boolean;
  @ApiProperty({ description: 'Purposes this signer has a policy for; anything else is refused', type: [String] }) purposes!: string[];
  @ApiPropertyOptional({ description: 'The coordinator key this signer accepts', nullable: true, type: String }) coordinatorPubkey!: string | null;
  @ApiProperty({ description: 'Secret nonces currently held in memory (count only)' }) secretNonces!: number;
  @ApiPropertyOptional({ description: 'The sweep policy\'s own view; null when the policy is off (regtest without BTC_SOURCES / EVM_RPC_URL)', nullable: true, type: SweepStatusDto }) sweep!: SweepStatusDto | null;
}

@ApiTags('signer')
@Controller()
export class StatusController {
  constructor(
    @Inject(SIGNER_PROTOCOL) private readonly protocol: SignerProtocol,
    @Inject(SIGNER_SETTINGS) private readonly settings: SignerSettings,
  ) {}

  @Get('status')
  @ApiOperation({ summary: 'Who this signer is and whether it holds a key share (public data only)' })
  @ApiOkResponse({ type: SignerStatusDto })
  status(): SignerStatusDto {
    const share = this.protocol.share;
    const coordinator = this.protocol.coordinatorKey;
    return {
      index: this.settings.index,
      n: this.settings.n,
      t: this.settings.t,
      hostPubkey: bytesToHex(this.protocol.hostPubkey),
      groupKey: share ? bytesToHex(share.groupKey.threshPk) : null,
      pubshare: share ? bytesToHex(share.groupKey.pubshares[this.settings.index - 1] as Uint8Array) : null,
      ready: this.protocol.ready,
      purposes: this.settings.purposes,
      coordinatorPubkey: coordinator ? bytesToHex(coordinator) : null,
      secretNonces: this.protocol.heldNonces,
      sweep: this.settings.sweep?.() ?? null,
    };
  }
}
