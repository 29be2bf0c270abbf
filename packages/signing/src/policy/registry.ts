import type { SigningRequest } from '../request.js';
import { DenyUnknownPolicy } from './deny-unknown.js';
import { deny, type PolicyDecision, type SigningPolicy } from './policy.js';

export interface PolicyVerdict {
  policy: string;
  decision: PolicyDecision;
}

/**
 * Routes a request to the policy registered for its purpose; unknown purposes go to the deny-unknown policy. A
 * policy that throws refuses (fail closed), with the error as the reason.
 */
export class PolicyRegistry {
  readonly #byPurpose = new Map<string, SigningPolicy>();
  readonly #fallback: SigningPolicy = new DenyUnknownPolicy();

  register(purpose: string, policy: SigningPolicy): this {
    if (this.#byPurpose.has(purpose)) throw new Error(`a policy for purpose '${purpose}' is already registered (${this.#byPurpose.get(purpose)?.name})`);
    this.#byPurpose.set(purpose, policy);
    return this;
  }

  purposes(): string[] {
    return [...this.#byPurpose.keys()].sort();
  }

  policyFor(purpose: string): SigningPolicy {
    return this.#byPurpose.get(purpose) ?? this.#fallback;
  }

  async evaluate(request: SigningRequest): Promise<PolicyVerdict> {
    const policy = this.policyFor(request.purpose);
    try {
      const decision = await policy.evaluate(request);
      if (decision.allow === true) return { policy: policy.name, decision: { allow: true } };
      return { policy: policy.name, decision: deny(String(decision.reason || 'refused without a reason')) };
    } catch (err) {
      return { policy: policy.name, decision: deny(`policy ${policy.name} failed: ${(err as Error).message}`) };
    }
  }
}
