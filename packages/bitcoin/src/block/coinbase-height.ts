import type { Block } from './parse.js';

/**
 * The height a block states in its coinbase (BIP34: the first push of the coinbase scriptSig, a script
 * number). Undefined when the first element is not a 1–5 byte push, as in pre-BIP34 blocks.
 */
export function coinbaseHeight(block: Block): number | undefined {
  const script = block.txs[0]?.inputs[0]?.scriptSig;
  if (script === undefined || script.length === 0) return undefined;
  const op = script[0]!;
  if (op >= 0x51 && op <= 0x60) return op - 0x50;
  if (op < 1 || op > 5 || script.length < 1 + op) return undefined;
  let height = 0;
  for (let i = op; i >= 1; i--) height = height * 256 + script[i]!;
  return height;
}
