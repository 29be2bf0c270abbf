// rpc.channels.* : the signers' channel view asks here (over NATS, with their own identity) for a channel's ledger.
import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { ChannelsApi } from './channels-api.js';
import { LedgerRequest, type LedgerView } from './dto.js';

/** The patterns served, each on `<prefix>.rpc.<pattern>`. */
export const NATS_API_SUBJECTS = {
  ledger: 'channels.ledger.get',
} as const;

@Controller()
export class ChannelsRpcController {
  constructor(@Inject(ChannelsApi) private readonly api: ChannelsApi) {}

  @MessagePattern(NATS_API_SUBJECTS.ledger)
  ledger(@Payload() request: LedgerRequest): Promise<LedgerView> {
    return this.api.ledger(request.channelId);
  }
}
