import { Body, Controller, Get, Inject, Param, Put } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblem, ZodResponse } from '@tapbridge/runtime/nest';
import {
  AddressParam, CapacityDto, EpochDto, EpochParam, MisbehaviourDto, PriceDto, RewardsDto, SetDevnetPriceBody, SignerDetailDto, SignerSummaryDto, SlashDetailDto, SlashSummaryDto,
  type CapacityView, type EpochView, type MisbehaviourView, type PriceView, type RewardsView, type SignerDetail, type SignerSummary, type SlashDetail, type SlashSummary,
} from './dto.js';
import { StakeApi } from './stake-api.js';

@ApiTags('stake')
@Controller()
export class StakeController {
  constructor(@Inject(StakeApi) private readonly api: StakeApi) {}

  @Get('signers')
  @ApiOperation({ summary: 'Bonded signers, by stake (bonded + delegated), with their status in the current epoch' })
  @ZodResponse({ status: 200, type: [SignerSummaryDto] })
  signers(): Promise<SignerSummary[]> {
    return this.api.signers();
  }

  @Get('signers/:id')
  @ApiOperation({ summary: 'One signer by bonding address or host key: stake, delegations, unbondings, status, uptime, slashes' })
  @ZodResponse({ status: 200, type: SignerDetailDto })
  @ApiProblem(404, 'No bonded signer with that address or host key')
  signer(@Param('id') id: string): Promise<SignerDetail> {
    return this.api.signer(id);
  }

  @Get('capacity')
  @ApiOperation({ summary: 'Capacity for new deposits (what stake.capacity last said)' })
  @ZodResponse({ status: 200, type: CapacityDto })
  capacity(): Promise<CapacityView> {
    return this.api.capacity();
  }

  @Get('price')
  @ApiOperation({ summary: 'The stake price: last accepted, what capacity may use now, source errors' })
  @ZodResponse({ status: 200, type: PriceDto })
  price(): PriceView {
    return this.api.priceView();
  }

  @Put('devnet/price')
  @ApiOperation({ summary: 'Devnet only: the price the stand-in sources report (tapbridge stake price set)' })
  @ZodResponse({ status: 200, type: PriceDto })
  @ApiProblem(409, 'Not a devnet')
  setPrice(@Body() body: SetDevnetPriceBody): Promise<PriceView> {
    return this.api.setDevnetPrice(BigInt(body.satsPerToken));
  }

  @Get('epochs')
  @ApiOperation({ summary: 'Started epochs, newest first (at most 200)' })
  @ZodResponse({ status: 200, type: [EpochDto] })
  epochs(): Promise<EpochView[]> {
    return this.api.epochs();
  }

  @Get('epochs/:n')
  @ApiOperation({ summary: 'One epoch: its set (ranked), threshold and host keys' })
  @ZodResponse({ status: 200, type: EpochDto })
  @ApiProblem(404, 'The epoch has not started')
  epoch(@Param() p: EpochParam): Promise<EpochView> {
    return this.api.epoch(p.n);
  }

  @Get('slashes')
  @ApiOperation({ summary: 'Slashes decided on proof, newest first' })
  @ZodResponse({ status: 200, type: [SlashSummaryDto] })
  slashes(): Promise<SlashSummary[]> {
    return this.api.slashes();
  }

  @Get('slashes/:id')
  @ApiOperation({ summary: 'One slash by evidence id, with the evidence (check it offline: tapbridge stake verify-evidence)' })
  @ZodResponse({ status: 200, type: SlashDetailDto })
  @ApiProblem(404, 'No slash for that evidence id')
  slash(@Param('id') id: string): Promise<SlashDetail> {
    return this.api.slash(id);
  }

  @Get('misbehaviour')
  @ApiOperation({ summary: 'signing.misbehaviour reports as received: unproven (no evidence), slash_planned, duplicate or rejected' })
  @ZodResponse({ status: 200, type: [MisbehaviourDto] })
  misbehaviour(): Promise<MisbehaviourView[]> {
    return this.api.misbehaviour();
  }

  @Get('rewards/:address')
  @ApiOperation({ summary: 'Rewards recorded for an address, per epoch, and what is owed' })
  @ZodResponse({ status: 200, type: RewardsDto })
  rewards(@Param() p: AddressParam): Promise<RewardsView> {
    return this.api.rewards(p.address);
  }
}
