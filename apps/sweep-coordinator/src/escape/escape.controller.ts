import { Controller, Get, Inject, Module } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiProblem, createZodDto, DomainError, ZodResponse } from '@tapbridge/runtime/nest';
import { z } from 'zod';
import { PipelineModule } from '../pipeline.module.js';
import { DisbursalService, storedDisbursalSchema, type EscapeView } from './disbursal.service.js';

const escapeViewSchema = storedDisbursalSchema
  .omit({ requestIds: true, signatures: true })
  .extend({
    signedAt: z.string(),
    rawTransactions: z.array(z.string()).describe('signed raw transactions, intermediate first; valid from terms.lockHeight on'),
    psbts: z.array(z.string()).describe('the unsigned transactions as BIP174 PSBTs (base64), intermediate first'),
  });
export class EscapeViewDto extends createZodDto(escapeViewSchema) {}

@ApiTags('escape')
@Controller('escape')
export class EscapeController {
  constructor(@Inject(DisbursalService) private readonly disbursals: DisbursalService) {}

  @Get('latest')
  @ApiOperation({
    summary: 'The newest pre-signed emergency disbursal: keep it; if the L2 and the signers stop, broadcast it after its lock height (tapbridge escape broadcast)',
  })
  @ZodResponse({ status: 200, type: EscapeViewDto })
  @ApiProblem(404, 'No disbursal signed yet (DISBURSAL_ENABLED off, or no sweep since)')
  async latest(): Promise<EscapeView> {
    const found = await this.disbursals.latest();
    if (!found) throw new DomainError('not_found', 'no signed emergency disbursal yet');
    return found;
  }
}

/** GET /escape/latest: the signed disbursal, published for anyone to keep (issue 11). */
@Module({ imports: [PipelineModule], controllers: [EscapeController] })
export class EscapeModule {}
