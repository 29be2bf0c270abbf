import type { SigningRequest } from '../request.js';

export type PolicyDecision = { allow: true } | { allow: false; reason: string };

/**
 * A signer's rule for one purpose. It receives the whole request (the message or the decoded transaction with its
 * sighash inputs, the purpose and the tweak) and decides from the signer's own view whether to sign.
 */
export interface SigningPolicy {
  readonly name: string;
  evaluate(request: SigningRequest): Promise<PolicyDecision>;
}

export const ALLOW: PolicyDecision = Object.freeze({ allow: true });
export const deny = (reason: string): PolicyDecision => ({ allow: false, reason });
