import { Controller, Get, Inject, Param } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ApiProblem, DomainError, ZodResponse } from '@tapbridge/runtime/nest';
import { ChainDto, MintDto, MintParams, WithdrawalDto, WithdrawalParams, type ChainView, type MintView, type WithdrawalView } from './dto.js';
import { GatewayQueries } from './gateway-queries.js';

@Controller()
export class GatewayController {
  constructor(@Inject(GatewayQueries) private readonly queries: GatewayQueries) {}

  @Get('chain')
  @ApiTags('chain')
  @ApiOperation({ summary: 'Chain id, head, finality and the bridge contract address' })
  @ZodResponse({ status: 200, type: ChainDto })
  chain(): ChainView {
    return this.queries.chain();
  }

  @Get('mints/:txid/:vout')
  @ApiTags('mints')
  @ApiOperation({ summary: 'Where a Bitcoin deposit was credited on L2 (block, EIP-4895 withdrawal index, amount)' })
  @ApiParam({ name: 'txid', description: 'Deposit transaction id, display hex (64 digits)' })
  @ApiParam({ name: 'vout', description: 'Output index of the deposit' })
  @ZodResponse({ status: 200, type: MintDto })
  @ApiProblem(400, 'Malformed txid or vout')
  @ApiProblem(404, 'The deposit has not been minted (unknown, not yet confirmed, or still queued)')
  async mint(@Param() { txid, vout }: MintParams): Promise<MintView> {
    const mint = await this.queries.mint(txid, vout);
    if (mint === undefined) throw new DomainError('not_found', `deposit ${txid}:${vout} has not been minted`);
    return mint;
  }

  @Get('withdrawals/:id')
  @ApiTags('withdrawals')
  @ApiOperation({ summary: 'A burn by its bridge id: requested → final → published (withdrawal.requested on JetStream)' })
  @ApiParam({ name: 'id', description: 'The id WithdrawalRequested carries (decimal)' })
  @ZodResponse({ status: 200, type: WithdrawalDto })
  @ApiProblem(400, 'The id is not a decimal uint256')
  @ApiProblem(404, 'No burn with this id in any committed block')
  async withdrawal(@Param() { id }: WithdrawalParams): Promise<WithdrawalView> {
    const withdrawal = await this.queries.withdrawal(BigInt(id));
    if (withdrawal === undefined) throw new DomainError('not_found', `no withdrawal ${id} in any committed block`);
    return withdrawal;
  }
}
