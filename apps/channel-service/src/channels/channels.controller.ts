import { Body, Controller, Get, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblem, ZodResponse } from '@tapbridge/runtime/nest';
import { ChannelsApi } from './channels-api.js';
import {
  AcceptanceDto, ChannelDto, ChannelIdParam, CloseBody, CloseDto, ExecutedDto, LedgerDto, OpeningPointsDto, ProposalBody, RegisterBody, RegisteredDto, ReturnBody, RevocationBody, TermsDto,
  type AcceptanceView, type ChannelView, type CloseView, type ExecutedView, type LedgerView, type RegisteredView, type TermsView,
} from './dto.js';

@ApiTags('channels')
@Controller('v1')
export class ChannelsController {
  constructor(@Inject(ChannelsApi) private readonly api: ChannelsApi) {}

  @Get('channel-terms')
  @ApiOperation({ summary: "Custody's part of every channel's parameters (group key, revocation basepoint, payout script, challenge period, fee)" })
  @ZodResponse({ status: 200, type: TermsDto })
  terms(): Promise<TermsView> {
    return this.api.termsView();
  }

  @Get('channels/:id/opening-points')
  @ApiOperation({ summary: "Custody's per-commitment points of states 0 and 1 for a channel id (its funding outpoint), before registering" })
  @ZodResponse({ status: 200, type: OpeningPointsDto })
  openingPoints(@Param() p: ChannelIdParam): { channelId: string; points: string[] } {
    return this.api.openingPoints(p.id);
  }

  @Post('channels')
  @HttpCode(200)
  @ApiOperation({ summary: 'Register a channel before broadcasting its funding: state-0 signatures are exchanged; the L2 account opens once the funding is proven' })
  @ZodResponse({ status: 200, type: RegisteredDto })
  @ApiProblem(409, "Parameters without custody's terms, a bad signature, or another registration of the same outpoint")
  register(@Body() b: RegisterBody): Promise<RegisteredView> {
    return this.api.register(b);
  }

  @Post('channels/:id/proposals')
  @HttpCode(200)
  @ApiOperation({ summary: "The user's proposal of the next state (a payment, or a return already burned); answered with custody's signature and revocation" })
  @ZodResponse({ status: 200, type: AcceptanceDto })
  @ApiProblem(404, 'No such channel')
  proposal(@Param() p: ChannelIdParam, @Body() b: ProposalBody): Promise<AcceptanceView> {
    return this.api.proposal(p.id, b);
  }

  @Post('channels/:id/revocations')
  @HttpCode(200)
  @ApiOperation({ summary: "The user's revocation of its previous state: completes the update; a payment is credited on the L2 exactly once" })
  @ZodResponse({ status: 200, type: ExecutedDto })
  revocation(@Param() p: ChannelIdParam, @Body() b: RevocationBody): Promise<ExecutedView> {
    return this.api.revocation(p.id, b);
  }

  @Post('channels/:id/returns')
  @HttpCode(200)
  @ApiOperation({ summary: "Burn L2 BTC back into the channel as the next state (executed first); the user then proposes that state" })
  @ZodResponse({ status: 200, type: ExecutedDto })
  returnBurn(@Param() p: ChannelIdParam, @Body() b: ReturnBody): Promise<ExecutedView> {
    return this.api.returnBurn(p.id, b);
  }

  @Post('channels/:id/close')
  @HttpCode(200)
  @ApiOperation({ summary: 'Cooperative close of the latest executed state with the user\'s signature; custody co-signs and broadcasts' })
  @ZodResponse({ status: 200, type: CloseDto })
  close(@Param() p: ChannelIdParam, @Body() b: CloseBody): Promise<CloseView> {
    return this.api.close(p.id, b);
  }

  @Get('channels/:id')
  @ApiOperation({ summary: 'Channel status: L2 account, latest executed and signed state, close transaction' })
  @ZodResponse({ status: 200, type: ChannelDto })
  @ApiProblem(404, 'No such channel')
  channel(@Param() p: ChannelIdParam): Promise<ChannelView> {
    return this.api.channel(p.id);
  }

  @Get('channels/:id/history')
  @ApiOperation({ summary: 'Every executed state of the channel, oldest first' })
  @ZodResponse({ status: 200, type: [ExecutedDto] })
  history(@Param() p: ChannelIdParam): Promise<ExecutedView[]> {
    return this.api.history(p.id);
  }

  @Get('channels/:id/ledger')
  @ApiOperation({ summary: "The channel's parameters and executed states: what a signer's channel policy checks against" })
  @ZodResponse({ status: 200, type: LedgerDto })
  ledger(@Param() p: ChannelIdParam): Promise<LedgerView> {
    return this.api.ledger(p.id);
  }
}
