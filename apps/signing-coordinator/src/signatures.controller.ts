import { BadRequestException, Body, Controller, Get, HttpCode, HttpException, Inject, Param, Post, Query } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiQuery, ApiTags } from '@nestjs/swagger';
import { RequireScope } from '@tapbridge/runtime/nest';
import { ApiError, type CoordinatorApi } from './api.js';

export const COORDINATOR_API = Symbol('COORDINATOR_API');

class TweakDto {
  @ApiProperty({ enum: ['key-path-only', 'merkle-root'] }) kind!: string;
  @ApiPropertyOptional({ description: 'Taproot script-tree merkle root (hex) for kind merkle-root' }) merkleRoot?: string;
}
class PrevoutDto {
  @ApiProperty({ description: 'satoshis, decimal string' }) value!: string;
  @ApiProperty({ description: 'hex' }) scriptPubKey!: string;
}
class SighashDto {
  @ApiProperty({ description: 'Unsigned transaction, hex' }) transaction!: string;
  @ApiProperty() inputIndex!: number;
  @ApiProperty({ type: [PrevoutDto], description: 'The output each input spends, in input order' }) prevouts!: PrevoutDto[];
  @ApiPropertyOptional({ description: 'BIP341 hash type (default 0 = SIGHASH_DEFAULT)' }) hashType?: number;
  @ApiPropertyOptional({ description: 'Tap leaf hash for a script-path spend' }) leafHash?: string;
}
class CreateSignatureDto {
  @ApiPropertyOptional({ description: '32-byte message (hex), or a 16-byte heartbeat 0xff×8 ‖ nonce' }) message?: string;
  @ApiPropertyOptional({ type: SighashDto, description: 'A BIP341 sighash request; every signer computes the sighash itself' }) sighash?: SighashDto;
  @ApiProperty({ description: 'Selects each signer\'s policy (e.g. heartbeat; message on the devnet)' }) purpose!: string;
  @ApiPropertyOptional({ type: TweakDto, description: 'Default: the custody output\'s tweak' }) tweak?: TweakDto;
}
class CreatedDto {
  @ApiProperty() id!: string;
  @ApiProperty() status!: string;
}
class SignatureDto extends CreatedDto {
  @ApiProperty() purpose!: string;
  @ApiProperty({ description: 'The bytes signed (hex)' }) message!: string;
  @ApiProperty({ description: 'x-only key the signature verifies under (BIP340)' }) outputKey!: string;
  @ApiPropertyOptional({ nullable: true, type: String }) signature!: string | null;
  @ApiPropertyOptional({ nullable: true, type: [Number] }) signers!: number[] | null;
  @ApiProperty() attempt!: number;
  @ApiPropertyOptional({ nullable: true, type: String }) error!: string | null;
  @ApiProperty({ type: 'array', items: { type: 'object' } }) refusals!: object[];
  @ApiProperty({ type: 'array', items: { type: 'object' } }) misbehaviour!: object[];
  @ApiProperty({ type: 'array', items: { type: 'object' } }) sessions!: object[];
  @ApiProperty({ type: 'array', items: { type: 'object' } }) responses!: object[];
}
class SignerDto {
  @ApiProperty() index!: number;
  @ApiPropertyOptional({ nullable: true, type: String }) hostPubkey!: string | null;
  @ApiProperty() live!: boolean;
  @ApiPropertyOptional({ nullable: true, type: String }) lastSeen!: string | null;
  @ApiProperty() ready!: boolean;
  @ApiProperty() misbehaviourCount!: number;
}
class CustodyDto {
  @ApiProperty() network!: string;
  @ApiProperty({ description: 'x-only even-y FROST group key (Taproot internal key)' }) groupKey!: string;
  @ApiProperty() outputKey!: string;
  @ApiProperty() address!: string;
  @ApiProperty() scriptPubKey!: string;
  @ApiPropertyOptional({ nullable: true, type: String }) merkleRoot!: string | null;
}

async function call<T>(fn: () => Promise<T> | T): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ApiError) throw new HttpException({ statusCode: err.status, error: err.code, message: err.message }, err.status);
    throw err;
  }
}

@ApiTags('signing')
@Controller()
export class SignaturesController {
  constructor(@Inject(COORDINATOR_API) private readonly api: CoordinatorApi) {}

  @Post('signatures')
  @RequireScope('signatures:create')
  @HttpCode(202)
  @ApiOperation({ summary: 'Request a threshold signature; returns the session id at once (poll GET /signatures/:id)' })
  @ApiBody({ type: CreateSignatureDto })
  @ApiOkResponse({ type: CreatedDto })
  create(@Body() body: unknown): Promise<CreatedDto> {
    return call(() => this.api.createSignature(body));
  }

  // Who may read what: a request shows what is being signed, each signer's policy refusals and misbehaviour, so
  // reading requests needs the same API key scope as making them (signatures:create). /signers (host public keys,
  // liveness) and /custody (the deposit address) stay public: integrators and depositors need them.
  @Get('signatures/:id')
  @RequireScope('signatures:create')
  @ApiOperation({ summary: 'Status, signature and signers of a request, with its ROAST sessions, refusals and misbehaviour' })
  @ApiOkResponse({ type: SignatureDto })
  get(@Param('id') id: string): Promise<SignatureDto> {
    return call(() => this.api.signature(id));
  }

  @Get('sessions')
  @RequireScope('signatures:create')
  @ApiOperation({ summary: 'Recent signature requests, newest first' })
  @ApiQuery({ name: 'limit', required: false })
  sessions(@Query('limit') limit?: string) {
    if (limit !== undefined && !/^[1-9][0-9]{0,3}$/.test(limit)) throw new BadRequestException('limit must be 1..1000');
    return call(() => this.api.sessions(limit ? Number(limit) : 100));
  }

  @Get('signers')
  @ApiOperation({ summary: 'Every signer: host key, liveness from announcements and heartbeats, misbehaviour count' })
  @ApiOkResponse({ type: [SignerDto] })
  signers() {
    return call(() => this.api.signers());
  }

  @Get('custody')
  @ApiOperation({ summary: 'The custody Taproot output: group key, output key, address' })
  @ApiOkResponse({ type: CustodyDto })
  custody() {
    return call(() => this.api.custodyView());
  }
}
