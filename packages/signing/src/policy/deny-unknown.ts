import type { SigningRequest } from '../request.js';
import { deny, type PolicyDecision, type SigningPolicy } from './policy.js';

/** What the registry answers for a purpose nobody registered: a signer signs nothing it has no rule for. */
export class DenyUnknownPolicy implements SigningPolicy {
  readonly name = 'deny-unknown';
  async evaluate(request: SigningRequest): Promise<PolicyDecision> {
    return deny(`no signing policy for purpose '${request.purpose}'`);
  }
}
