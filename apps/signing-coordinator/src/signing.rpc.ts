// The coordinator's API over NATS request/reply (rpc.signing.*), for services that do not speak HTTP to it. Same
// answers and error codes as REST (api.ts); requests are validated by the global zod pipe.
import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { CoordinatorApi } from './api.js';
import type { Custody } from './custody.js';
import { CreateSignatureDto, EmptyRequest, GetSignatureRequest, type SignatureView, type SignerView } from './dto.js';

/** The patterns served, each on `<prefix>.rpc.<pattern>` (packages/messaging's permissions list these subjects). */
export const NATS_API_SUBJECTS = {
  create: 'signing.signatures.create',
  get: 'signing.signatures.get',
  signers: 'signing.signers.list',
  custody: 'signing.custody.get',
} as const;

@Controller()
export class SigningRpcController {
  constructor(@Inject(CoordinatorApi) private readonly api: CoordinatorApi) {}

  @MessagePattern(NATS_API_SUBJECTS.create)
  create(@Payload() body: CreateSignatureDto): Promise<{ id: string; status: string }> {
    return this.api.createSignature(body);
  }

  @MessagePattern(NATS_API_SUBJECTS.get)
  get(@Payload() request: GetSignatureRequest): Promise<SignatureView> {
    return this.api.signature(request.id);
  }

  @MessagePattern(NATS_API_SUBJECTS.signers)
  signers(@Payload() _request: EmptyRequest): Promise<SignerView[]> {
    return this.api.signers();
  }

  @MessagePattern(NATS_API_SUBJECTS.custody)
  custody(@Payload() _request: EmptyRequest): Custody {
    return this.api.custodyView();
  }
}
