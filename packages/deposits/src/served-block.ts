import { BlockValidationError, HEADER_SIZE, bytesToHex, checkBlockCommitments, hashToHex, hexToBytes, parseBlock, type Block } from '@tapbridge/bitcoin';
import { BlockMismatchError } from './errors.js';

export interface ValidatedHeaderRef {
  /** Display hex of the block hash. */
  hash: string;
  /** The 80-byte header the header watcher validated, hex. */
  header: string;
}

/**
 * Checks that `raw` is exactly the block the validated header names: its first 80 bytes equal that header, and
 * the header's merkle root and witness commitment commit to its transactions. A source's bytes are data, not
 * truth; anything else is refused with BlockMismatchError before a single output is looked at.
 */
export function verifyServedBlock(raw: Uint8Array, expected: ValidatedHeaderRef): Block {
  if (!(raw instanceof Uint8Array)) throw new TypeError('raw block must be a Uint8Array');
  const header = hexToBytes(expected.header, HEADER_SIZE);
  if (raw.length < HEADER_SIZE || bytesToHex(raw.subarray(0, HEADER_SIZE)) !== bytesToHex(header))
    throw new BlockMismatchError('header-mismatch', expected.hash, 'served block does not start with the validated header');
  let block: Block;
  try {
    block = parseBlock(raw);
  } catch (e) {
    throw new BlockMismatchError('unparseable', expected.hash, `served block does not parse: ${(e as Error).message}`);
  }
  if (hashToHex(block.hash) !== expected.hash)
    throw new BlockMismatchError('header-mismatch', expected.hash, `validated header hashes to ${hashToHex(block.hash)}, not the event's hash`);
  try {
    checkBlockCommitments(block);
  } catch (e) {
    if (e instanceof BlockValidationError) throw new BlockMismatchError('commitment-mismatch', expected.hash, e.message);
    throw e;
  }
  return block;
}
