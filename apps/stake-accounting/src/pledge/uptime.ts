/**
 * Signer uptime for the reward split, measured by the signing-coordinator: the share of its heartbeat probes each
 * signer answered during the epoch (rpc.signing.uptime.get, counted per host key). Nothing is assumed: a member the
 * coordinator never probed in the window counts 0, and a coordinator that does not answer fails the reward run,
 * which the job retries later (the epoch stays unpaid until its uptime is known).
 */
import { request, type Messaging } from '@tapbridge/messaging';
import { z } from 'zod';

export interface UptimeSource {
  /** Uptime in bps per host key (lower-case hex, compressed) over [from, to). */
  forWindow(from: Date, to: Date): Promise<Map<string, number>>;
}
export const UPTIME_SOURCE = Symbol('UPTIME_SOURCE');

export const uptimeAnswer = z.object({
  from: z.string(),
  to: z.string(),
  signers: z.array(z.object({ hostPubkey: z.string().regex(/^0[23][0-9a-f]{64}$/), probes: z.number().int().positive(), answered: z.number().int().nonnegative(), uptimeBps: z.number().int().min(0).max(10_000) })),
});

export class CoordinatorUptime implements UptimeSource {
  constructor(
    private readonly messaging: Messaging,
    private readonly timeoutMs = 5_000,
  ) {}

  async forWindow(from: Date, to: Date): Promise<Map<string, number>> {
    const answer = await request(this.messaging, 'signing.uptime.get', { from: from.toISOString(), to: to.toISOString() }, { timeoutMs: this.timeoutMs, response: uptimeAnswer });
    // Recomputed from the counts (rounded down): the split never trusts a rate it cannot check.
    return new Map(answer.signers.map((s) => [s.hostPubkey, s.answered >= s.probes ? 10_000 : Math.floor((s.answered * 10_000) / s.probes)]));
  }
}
