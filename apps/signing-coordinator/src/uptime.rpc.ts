// rpc.signing.uptime.get: each signer's measured uptime, from the coordinator's heartbeat probes (signer-network.ts
// counts every probe per host key and minute). stake-accounting weighs each epoch's rewards by it.
import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { createZodDto } from '@tapbridge/runtime/nest';
import { z } from 'zod';
import { ApiError } from './api.js';
import { SignerNetwork } from './signer-network.js';

export const UPTIME_SUBJECT = 'signing.uptime.get';

export class UptimeRequest extends createZodDto(z.object({
  from: z.iso.datetime({ offset: true }).describe('Start of the window (inclusive)'),
  to: z.iso.datetime({ offset: true }).describe('End of the window (exclusive)'),
})) {}

export interface UptimeAnswer {
  from: string;
  to: string;
  /** Signers probed in the window (by host key); uptimeBps = answered × 10,000 / probes, rounded down. */
  signers: Array<{ hostPubkey: string; probes: number; answered: number; uptimeBps: number }>;
}

@Controller()
export class UptimeRpcController {
  constructor(@Inject(SignerNetwork) private readonly network: Pick<SignerNetwork, 'uptime'>) {}

  @MessagePattern(UPTIME_SUBJECT)
  async uptime(@Payload() { from, to }: UptimeRequest): Promise<UptimeAnswer> {
    const [start, end] = [new Date(from), new Date(to)];
    if (!(start < end)) throw new ApiError(400, 'invalid_request', 'from must be before to');
    const rows = await this.network.uptime(start, end);
    return { from: start.toISOString(), to: end.toISOString(), signers: rows.map((r) => ({ ...r, uptimeBps: Math.floor((r.answered * 10_000) / r.probes) })) };
  }
}
