import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { bytesToHex } from '@noble/hashes/utils.js';
import { InjectConfig, ZodResponse } from '@tapbridge/runtime/nest';
import { PolicyRegistry, SignerProtocol } from '@tapbridge/signing';
import type { SignerConfig } from './config.js';
import { SignerStatusDto } from './dto.js';
import { SignerSweepView } from './sweep-view.js';

@ApiTags('signer')
@Controller()
export class StatusController {
  constructor(
    @Inject(SignerProtocol) private readonly protocol: SignerProtocol,
    @Inject(PolicyRegistry) private readonly policies: PolicyRegistry,
    @Inject(SignerSweepView) private readonly sweepView: SignerSweepView | null,
    @InjectConfig() private readonly config: SignerConfig,
  ) {}

  @Get('status')
  @ApiOperation({ summary: 'Who this signer is and whether it holds a key share (public data only)' })
  @ZodResponse({ status: 200, type: SignerStatusDto })
  status(): SignerStatusDto {
    const share = this.protocol.share;
    const coordinator = this.protocol.coordinatorKey;
    const index = this.config.SIGNER_INDEX;
    return {
      index,
      n: this.config.SIGNER_COUNT,
      t: this.config.SIGNER_THRESHOLD,
      hostPubkey: bytesToHex(this.protocol.hostPubkey),
      groupKey: share ? bytesToHex(share.groupKey.threshPk) : null,
      pubshare: share ? bytesToHex(share.groupKey.pubshares[index - 1] as Uint8Array) : null,
      ready: this.protocol.ready,
      purposes: this.policies.purposes(),
      coordinatorPubkey: coordinator ? bytesToHex(coordinator) : null,
      secretNonces: this.protocol.heldNonces,
      sweep: this.sweepView?.status() ?? null,
    };
  }
}
