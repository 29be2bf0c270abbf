import { concatBytes } from '../bytes.js';
import { checkXOnly } from './x-only-key.js';
import { ScriptTemplateError } from './errors.js';
import { OP } from './opcodes.js';
import { chunkScriptNum, decompileScript, encodePush, expectOpcode, expectPush, pushScriptNum } from './script.js';
import type { ScriptTemplate } from './template.js';

const TEMPLATE = 'reclaim leaf';

// BIP68/BIP112 relative lock-time fields of the CSV operand.
export const SEQUENCE_LOCKTIME_DISABLE_FLAG = 0x8000_0000;
export const SEQUENCE_LOCKTIME_TYPE_FLAG = 0x0040_0000;
export const SEQUENCE_LOCKTIME_MASK = 0x0000_ffff;

export interface ReclaimScriptParams {
  /** Relative lock in blocks (BIP68 block-based), 1..65535. */
  lockBlocks: number;
  /** The depositor's x-only key that may take the deposit back once the lock has passed. */
  depositorKey: Uint8Array;
}

/** Checks a relative lock is a plain block count that BIP68 encodes without flags. */
export function checkLockBlocks(lockBlocks: number, template: string, what = 'lock blocks'): void {
  if (!Number.isInteger(lockBlocks)) throw new ScriptTemplateError(template, `${what} must be an integer`);
  if (lockBlocks <= 0) throw new ScriptTemplateError(template, `${what} must be at least 1 (a zero lock is no lock)`);
  if (lockBlocks > 0xffff_ffff) throw new ScriptTemplateError(template, `${what} ${lockBlocks} does not fit a 32-bit sequence`);
  if (lockBlocks & SEQUENCE_LOCKTIME_DISABLE_FLAG)
    throw new ScriptTemplateError(template, `${what} sets the BIP68 disable flag`);
  if (lockBlocks & SEQUENCE_LOCKTIME_TYPE_FLAG) throw new ScriptTemplateError(template, `${what} sets the BIP68 time-based type flag; only block-based locks are allowed`);
  if (lockBlocks > SEQUENCE_LOCKTIME_MASK) throw new ScriptTemplateError(template, `${what} ${lockBlocks} exceeds 65535 blocks`);
}

/** `<lock_blocks> OP_CHECKSEQUENCEVERIFY OP_DROP <depositor key> OP_CHECKSIG` */
export function buildReclaimScript(params: ReclaimScriptParams): Uint8Array {
  checkLockBlocks(params.lockBlocks, TEMPLATE);
  checkXOnly(params.depositorKey, 'depositor key', TEMPLATE);
  return concatBytes(
    pushScriptNum(params.lockBlocks),
    Uint8Array.of(OP.OP_CHECKSEQUENCEVERIFY, OP.OP_DROP),
    encodePush(params.depositorKey),
    Uint8Array.of(OP.OP_CHECKSIG),
  );
}

export function parseReclaimScript(script: Uint8Array): ReclaimScriptParams {
  const chunks = decompileScript(script, TEMPLATE);
  if (chunks.length !== 5) throw new ScriptTemplateError(TEMPLATE, `expected 5 script elements, got ${chunks.length}`);
  // CSV reads operands of up to 5 bytes, so a flagged or oversized lock can appear here and must be named.
  const lockBlocks = chunkScriptNum(chunks[0], 5, TEMPLATE, 'lock blocks');
  if (lockBlocks < 0) throw new ScriptTemplateError(TEMPLATE, 'lock blocks is negative (CSV fails)');
  checkLockBlocks(lockBlocks, TEMPLATE);
  expectOpcode(chunks[1], OP.OP_CHECKSEQUENCEVERIFY, 'OP_CHECKSEQUENCEVERIFY', TEMPLATE, 1);
  expectOpcode(chunks[2], OP.OP_DROP, 'OP_DROP', TEMPLATE, 2);
  const depositorKey = expectPush(chunks[3], 32, 'depositor key', TEMPLATE);
  expectOpcode(chunks[4], OP.OP_CHECKSIG, 'OP_CHECKSIG', TEMPLATE, 4);
  checkXOnly(depositorKey, 'depositor key', TEMPLATE);
  return { lockBlocks, depositorKey };
}

export const reclaimScript: ScriptTemplate<ReclaimScriptParams> = { name: TEMPLATE, build: buildReclaimScript, parse: parseReclaimScript };
