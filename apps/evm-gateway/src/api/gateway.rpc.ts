// Read-only queries over NATS request/reply (rpc.evm.*): the L2 supply of bridged BTC for the sweep-coordinator's
// proof of reserves and stake-accounting's capacity, the chain (as GET /chain) for the api-gateway, and whether a
// channel ledger system call settled (the channel-service signs a return only once its burn is applied).
import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { EmptyRequest, SystemCallStatusRequest, type BridgeSupply, type ChainView, type SystemCallStatus } from './dto.js';
import { GatewayQueries } from './gateway-queries.js';

/** The patterns served, each on `<prefix>.rpc.<pattern>` (packages/messaging's permissions-drift test reads this object). */
export const NATS_API_SUBJECTS = { supply: 'evm.supply.get', chain: 'evm.chain.get', systemCall: 'evm.system_call.get' } as const;

@Controller()
export class GatewayRpcController {
  constructor(@Inject(GatewayQueries) private readonly queries: GatewayQueries) {}

  @MessagePattern(NATS_API_SUBJECTS.supply)
  supply(@Payload() _request: EmptyRequest): Promise<BridgeSupply> {
    return this.queries.supply();
  }

  @MessagePattern(NATS_API_SUBJECTS.chain)
  chain(@Payload() _request: EmptyRequest): ChainView {
    return this.queries.chain();
  }

  @MessagePattern(NATS_API_SUBJECTS.systemCall)
  systemCall(@Payload() request: SystemCallStatusRequest): Promise<SystemCallStatus> {
    return this.queries.systemCallStatus(request.id);
  }
}
