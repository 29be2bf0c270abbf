// EVM finality, decided in one place. The gateway is a single sequencer: a committed block is never replaced, so
// "final" is a policy of how deep a block must be buried before the bridge acts on it (a burn becomes
// withdrawal.requested; JSON-RPC answers "safe"/"finalized"). Everything that asks "is it final?" calls these.
import { EvmEngineError } from './errors.js';

function checkDepth(depth: bigint): void {
  if (typeof depth !== 'bigint' || depth < 0n) throw new EvmEngineError(`finality depth must be a non-negative bigint, got ${String(depth)}`);
}

/**
 * The newest final block when the head is `head`: block n is final once the head is at n + depth. Genesis is
 * always final (it is the chain's identity, holds no burns, and can never be replaced), so below the finality
 * depth the answer is block 0, not "none".
 */
export function finalizedBlockNumber(head: bigint, depth: bigint): bigint {
  checkDepth(depth);
  if (typeof head !== 'bigint' || head < 0n) throw new EvmEngineError(`head must be a non-negative bigint, got ${String(head)}`);
  return head >= depth ? head - depth : 0n;
}

/** Whether block `blockNumber` is final when the head is `head`. */
export function isFinal(blockNumber: bigint, head: bigint, depth: bigint): boolean {
  return blockNumber <= head && blockNumber <= finalizedBlockNumber(head, depth);
}

/** The lowest head at which block `blockNumber` is final. */
export function finalAtHead(blockNumber: bigint, depth: bigint): bigint {
  checkDepth(depth);
  return blockNumber === 0n ? 0n : blockNumber + depth;
}
