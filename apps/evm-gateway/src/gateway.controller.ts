import { BadRequestException, Controller, Get, Inject, NotFoundException, Param } from '@nestjs/common';
import { ApiBadRequestResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ChainDto, MintDto, WithdrawalDto } from './dto.js';
import { GatewayQueries } from './gateway-queries.js';

const TXID = /^[0-9a-fA-F]{64}$/;
const VOUT = /^(0|[1-9][0-9]{0,9})$/;
const WITHDRAWAL_ID = /^(0|[1-9][0-9]{0,76})$/;

@Controller()
export class GatewayController {
  constructor(@Inject(GatewayQueries) private readonly queries: GatewayQueries) {}

  @Get('chain')
  @ApiTags('chain')
  @ApiOperation({ summary: 'Chain id, head, finality and the bridge contract address' })
  @ApiOkResponse({ type: ChainDto })
  chain(): ChainDto {
    return this.queries.chain();
  }

  @Get('mints/:txid/:vout')
  @ApiTags('mints')
  @ApiOperation({ summary: 'Where a Bitcoin deposit was credited on L2 (block, EIP-4895 withdrawal index, amount)' })
  @ApiParam({ name: 'txid', description: 'Deposit transaction id, display hex (64 digits)' })
  @ApiParam({ name: 'vout', description: 'Output index of the deposit' })
  @ApiOkResponse({ type: MintDto })
  @ApiBadRequestResponse({ description: 'Malformed txid or vout' })
  @ApiNotFoundResponse({ description: 'The deposit has not been minted (unknown, not yet confirmed, or still queued)' })
  async mint(@Param('txid') txid: string, @Param('vout') voutRaw: string): Promise<MintDto> {
    if (!TXID.test(txid)) throw new BadRequestException(`txid must be 64 hex digits, got "${txid.slice(0, 80)}"`);
    if (!VOUT.test(voutRaw) || Number(voutRaw) > 0xffffffff) throw new BadRequestException(`vout must be an output index (0 to 2^32-1), got "${voutRaw.slice(0, 20)}"`);
    const mint = await this.queries.mint(txid.toLowerCase(), Number(voutRaw));
    if (mint === undefined) throw new NotFoundException(`deposit ${txid.toLowerCase()}:${voutRaw} has not been minted`);
    return mint;
  }

  @Get('withdrawals/:id')
  @ApiTags('withdrawals')
  @ApiOperation({ summary: 'A burn by its bridge id: requested → final → published (withdrawal.requested on JetStream)' })
  @ApiParam({ name: 'id', description: 'The id WithdrawalRequested carries (decimal)' })
  @ApiOkResponse({ type: WithdrawalDto })
  @ApiBadRequestResponse({ description: 'The id is not a decimal uint256' })
  @ApiNotFoundResponse({ description: 'No burn with this id in any committed block' })
  async withdrawal(@Param('id') idRaw: string): Promise<WithdrawalDto> {
    if (!WITHDRAWAL_ID.test(idRaw) || BigInt(idRaw) >= 2n ** 256n) throw new BadRequestException(`id must be a decimal uint256, got "${idRaw.slice(0, 80)}"`);
    const withdrawal = await this.queries.withdrawal(BigInt(idRaw));
    if (withdrawal === undefined) throw new NotFoundException(`no withdrawal ${idRaw} in any committed block`);
    return withdrawal;
  }
}
