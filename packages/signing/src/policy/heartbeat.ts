import { HEARTBEAT_LENGTH, isHeartbeatMessage } from '@tapbridge/frost';
import type { SigningRequest } from '../request.js';
import { ALLOW, deny, type PolicyDecision, type SigningPolicy } from './policy.js';

/**
 * Heartbeat signing (group liveness): exactly the 16-byte message 0xff × 8 ‖ 8-byte nonce. A BIP341 sighash is
 * always 32 bytes, so a signature under this policy can never authorise a spend.
 */
export class HeartbeatPolicy implements SigningPolicy {
  readonly name = 'heartbeat';
  async evaluate(request: SigningRequest): Promise<PolicyDecision> {
    if (request.kind !== 'message') return deny('a heartbeat is a raw message, not a transaction');
    if (request.message.length !== HEARTBEAT_LENGTH) return deny(`a heartbeat is ${HEARTBEAT_LENGTH} bytes, got ${request.message.length}`);
    if (!isHeartbeatMessage(request.message)) return deny('a heartbeat starts with eight 0xff bytes');
    return ALLOW;
  }
}
