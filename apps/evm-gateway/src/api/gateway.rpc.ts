// Read-only queries over NATS request/reply (rpc.evm.*): the L2 supply of bridged BTC for the sweep-coordinator's
// proof of reserves and stake-accounting's capacity, and the chain (as GET /chain) for the api-gateway.
import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { EmptyRequest, type BridgeSupply, type ChainView } from './dto.js';
import { GatewayQueries } from './gateway-queries.js';

/** The patterns served, each on `<prefix>.rpc.<pattern>` (packages/messaging's permissions-drift test reads this object). */
export const NATS_API_SUBJECTS = { supply: 'evm.supply.get', chain: 'evm.chain.get' } as const;

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
}
