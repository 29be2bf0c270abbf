// rpc.stake.* for services that ask rather than call HTTP (the evm-gateway's capacity check, the coordinators, tools).
import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { EmptyRequest, SignerRequest, type CapacityView, type EpochView, type SignerDetail, type SignerSummary } from './dto.js';
import { StakeApi } from './stake-api.js';

/** The patterns served, each on `<prefix>.rpc.<pattern>` (packages/messaging's permissions-drift test reads this object). */
export const NATS_API_SUBJECTS = {
  capacity: 'stake.capacity.get',
  signers: 'stake.signers.list',
  signer: 'stake.signers.get',
  epoch: 'stake.epochs.current',
} as const;

@Controller()
export class StakeRpcController {
  constructor(@Inject(StakeApi) private readonly api: StakeApi) {}

  @MessagePattern(NATS_API_SUBJECTS.capacity)
  capacity(@Payload() _request: EmptyRequest): Promise<CapacityView> {
    return this.api.capacity();
  }

  @MessagePattern(NATS_API_SUBJECTS.signers)
  signers(@Payload() _request: EmptyRequest): Promise<SignerSummary[]> {
    return this.api.signers();
  }

  @MessagePattern(NATS_API_SUBJECTS.signer)
  signer(@Payload() request: SignerRequest): Promise<SignerDetail> {
    return this.api.signer(request.id);
  }

  @MessagePattern(NATS_API_SUBJECTS.epoch)
  async epoch(@Payload() _request: EmptyRequest): Promise<EpochView | null> {
    const [latest] = await this.api.epochs();
    return latest ?? null;
  }
}
