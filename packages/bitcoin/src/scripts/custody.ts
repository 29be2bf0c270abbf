import { bytesToHex, concatBytes } from '../bytes.js';
import { checkXOnly } from './x-only-key.js';
import { ScriptTemplateError } from './errors.js';
import { OP } from './opcodes.js';
import { checkLockBlocks } from './reclaim.js';
import { chunkScriptNum, decompileScript, encodePush, expectOpcode, expectPush, pushScriptNum } from './script.js';
import type { ScriptTemplate } from './template.js';

const TEMPLATE = 'custody recovery leaf';
/** Tapscript keeps at most 1000 stack elements, which bounds a CHECKSIGADD multisig's key count. */
export const MAX_RECOVERY_KEYS = 999;

export interface CustodyRecoveryScriptParams {
  /** Relative lock in blocks before the backup keys may move custody funds. */
  recoveryLock: number;
  /** Backup x-only keys, in script order. */
  keys: Uint8Array[];
  /** Signatures required (m of n). */
  threshold: number;
}

/** `<recovery_lock> OP_CSV OP_DROP <k1> OP_CHECKSIG <k2> OP_CHECKSIGADD … <m> OP_NUMEQUAL` */
export function buildCustodyRecoveryScript(params: CustodyRecoveryScriptParams): Uint8Array {
  const { recoveryLock, keys, threshold } = params;
  checkLockBlocks(recoveryLock, TEMPLATE, 'recovery lock');
  if (!Array.isArray(keys) || keys.length === 0) throw new ScriptTemplateError(TEMPLATE, 'needs at least one backup key');
  if (keys.length > MAX_RECOVERY_KEYS) throw new ScriptTemplateError(TEMPLATE, `more than ${MAX_RECOVERY_KEYS} backup keys`);
  if (!Number.isInteger(threshold) || threshold < 1 || threshold > keys.length)
    throw new ScriptTemplateError(TEMPLATE, `threshold ${threshold} is not 1..${keys.length}`);
  const seen = new Set<string>();
  keys.forEach((k, i) => {
    checkXOnly(k, `backup key ${i}`, TEMPLATE);
    const hex = bytesToHex(k);
    if (seen.has(hex)) throw new ScriptTemplateError(TEMPLATE, `backup key ${i} is a duplicate`);
    seen.add(hex);
  });
  const parts: Uint8Array[] = [pushScriptNum(recoveryLock), Uint8Array.of(OP.OP_CHECKSEQUENCEVERIFY, OP.OP_DROP)];
  keys.forEach((k, i) => parts.push(encodePush(k), Uint8Array.of(i === 0 ? OP.OP_CHECKSIG : OP.OP_CHECKSIGADD)));
  parts.push(pushScriptNum(threshold), Uint8Array.of(OP.OP_NUMEQUAL));
  return concatBytes(...parts);
}

export function parseCustodyRecoveryScript(script: Uint8Array): CustodyRecoveryScriptParams {
  const chunks = decompileScript(script, TEMPLATE);
  const n = (chunks.length - 5) / 2;
  if (!Number.isInteger(n) || n < 1) throw new ScriptTemplateError(TEMPLATE, `element count ${chunks.length} is not 5 + 2·n`);
  const recoveryLock = chunkScriptNum(chunks[0], 5, TEMPLATE, 'recovery lock');
  expectOpcode(chunks[1], OP.OP_CHECKSEQUENCEVERIFY, 'OP_CHECKSEQUENCEVERIFY', TEMPLATE, 1);
  expectOpcode(chunks[2], OP.OP_DROP, 'OP_DROP', TEMPLATE, 2);
  const keys: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    keys.push(expectPush(chunks[3 + 2 * i], 32, `backup key ${i}`, TEMPLATE));
    const op = i === 0 ? OP.OP_CHECKSIG : OP.OP_CHECKSIGADD;
    expectOpcode(chunks[4 + 2 * i], op, i === 0 ? 'OP_CHECKSIG' : 'OP_CHECKSIGADD', TEMPLATE, 4 + 2 * i);
  }
  const threshold = chunkScriptNum(chunks[3 + 2 * n], 4, TEMPLATE, 'threshold');
  expectOpcode(chunks[4 + 2 * n], OP.OP_NUMEQUAL, 'OP_NUMEQUAL', TEMPLATE, 4 + 2 * n);
  const params = { recoveryLock, keys, threshold };
  // Building again applies every parameter rule (lock range, key validity, duplicates, threshold bounds).
  buildCustodyRecoveryScript(params);
  return params;
}

export const custodyRecoveryScript: ScriptTemplate<CustodyRecoveryScriptParams> = {
  name: TEMPLATE,
  build: buildCustodyRecoveryScript,
  parse: parseCustodyRecoveryScript,
};
