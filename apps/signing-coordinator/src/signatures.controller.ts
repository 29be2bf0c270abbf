import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { RequireScope, ZodResponse } from '@tapbridge/runtime/nest';
import { CoordinatorApi } from './api.js';
import type { Custody } from './custody.js';
import { CreatedDto, CreateSignatureDto, CustodyDto, SessionsDto, SessionsQuery, SignatureDto, SignersDto, type SignatureView, type SignerView } from './dto.js';

@ApiTags('signing')
@Controller()
export class SignaturesController {
  constructor(@Inject(CoordinatorApi) private readonly api: CoordinatorApi) {}

  @Post('signatures')
  @RequireScope('signatures:create')
  @HttpCode(202)
  @ApiOperation({ summary: 'Request a threshold signature; returns the session id at once (poll GET /signatures/:id)' })
  @ZodResponse({ status: 202, type: CreatedDto })
  create(@Body() body: CreateSignatureDto): Promise<{ id: string; status: 'pending' | 'signed' | 'failed' }> {
    return this.api.createSignature(body);
  }

  // Who may read what: a request shows what is being signed, each signer's policy refusals and misbehaviour, so
  // reading requests needs the same API key scope as making them (signatures:create). /signers (host public keys,
  // liveness) and /custody (the deposit address) stay public: integrators and depositors need them.
  @Get('signatures/:id')
  @RequireScope('signatures:create')
  @ApiOperation({ summary: 'Status, signature and signers of a request, with its ROAST sessions, refusals and misbehaviour' })
  @ZodResponse({ status: 200, type: SignatureDto })
  get(@Param('id') id: string): Promise<SignatureView> {
    return this.api.signature(id);
  }

  @Get('sessions')
  @RequireScope('signatures:create')
  @ApiOperation({ summary: 'Recent signature requests, newest first' })
  @ZodResponse({ status: 200, type: SessionsDto })
  sessions(@Query() query: SessionsQuery) {
    return this.api.sessions(query.limit ? Number(query.limit) : 100);
  }

  @Get('signers')
  @ApiOperation({ summary: 'Every signer: host key, liveness from announcements and heartbeats, misbehaviour count' })
  @ZodResponse({ status: 200, type: SignersDto })
  signers(): Promise<SignerView[]> {
    return this.api.signers();
  }

  @Get('custody')
  @ApiOperation({ summary: 'The custody Taproot output: group key, output key, address' })
  @ZodResponse({ status: 200, type: CustodyDto })
  custody(): Custody {
    return this.api.custodyView();
  }
}
