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
    };
  }
}
