import type { SigningRequest } from '../request.js';
import { ALLOW, deny, type PolicyDecision, type SigningPolicy } from './policy.js';

/**
 * DEVNET ONLY: signs any 32-byte message. A 32-byte message may be a sighash of a spend from custody, so a signer
 * running this policy signs whatever the coordinator asks; it exists for demos and tests of the signing path and
 * must never be enabled where the key guards real coins.
 */
export class DevnetRawMessagePolicy implements SigningPolicy {
  readonly name = 'devnet-raw-message';
  async evaluate(request: SigningRequest): Promise<PolicyDecision> {
    if (request.kind !== 'message') return deny('raw-message policy signs messages, not transactions');
    if (request.message.length !== 32) return deny(`raw-message policy signs 32-byte messages, got ${request.message.length}`);
    return ALLOW;
  }
}
