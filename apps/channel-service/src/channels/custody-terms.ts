// Custody's side of every channel's parameters: the FROST group key (from the signing-coordinator, once its DKG is
// done), the watchtower's revocation basepoint, where custody's side is paid, the challenge period and the fee.
import { pointOf, type CustodyTerms } from '@tapbridge/channels';
import { hexToBytes } from '@tapbridge/bitcoin';
import { request, type Messaging } from '@tapbridge/messaging';
import { z } from 'zod';
import type { ChannelServiceConfig } from '../config.js';

const custodySchema = z.object({ groupKey: z.string().regex(/^[0-9a-f]{64}$/), scriptPubKey: z.string().regex(/^5120[0-9a-f]{64}$/) }).passthrough();

export class CustodyTermsSource {
  #terms: CustodyTerms | undefined;

  constructor(private readonly o: { messaging: Messaging; config: ChannelServiceConfig }) {}

  /** Asks the signing-coordinator for the group key until it has one. */
  async load(): Promise<CustodyTerms> {
    const c = await request(this.o.messaging, 'signing.custody.get', {}, { response: custodySchema, timeoutMs: this.o.config.RPC_TIMEOUT_MS });
    this.#terms = {
      groupKey: hexToBytes(c.groupKey),
      custodyRevocationBasepoint: pointOf(hexToBytes(this.o.config.CHANNEL_REVOCATION_SECRET)),
      custodyPayoutScript: hexToBytes(this.o.config.CHANNEL_CUSTODY_PAYOUT_SCRIPT ?? c.scriptPubKey),
      challengePeriod: this.o.config.CHANNEL_CHALLENGE_PERIOD,
      commitmentFee: this.o.config.CHANNEL_COMMITMENT_FEE,
    };
    return this.#terms;
  }

  terms(): CustodyTerms {
    if (!this.#terms) throw new Error('custody terms not loaded yet: the signing-coordinator has not answered with a group key');
    return this.#terms;
  }

  loaded(): boolean {
    return this.#terms !== undefined;
  }
}
