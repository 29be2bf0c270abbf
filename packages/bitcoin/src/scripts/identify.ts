import { ScriptTemplateError } from './errors.js';
import { OP } from './opcodes.js';
import { parseCustodyRecoveryScript, type CustodyRecoveryScriptParams } from './custody.js';
import { DEPOSIT_DATA_SIZE, parseDepositScript, type DepositScriptParams } from './deposit.js';
import { parseReclaimScript, type ReclaimScriptParams } from './reclaim.js';

export type IdentifiedLeafScript =
  | { template: 'deposit'; params: DepositScriptParams }
  | { template: 'reclaim'; params: ReclaimScriptParams }
  | { template: 'custody-recovery'; params: CustodyRecoveryScriptParams };

/** Names which tapbridge leaf a script is; throws ScriptTemplateError for any other script. */
export function identifyLeafScript(script: Uint8Array): IdentifiedLeafScript {
  if (!(script instanceof Uint8Array)) throw new ScriptTemplateError('leaf script', 'script must be a Uint8Array');
  // The last opcode tells the templates apart: the deposit and reclaim leaves end in OP_CHECKSIG with
  // different lengths, the recovery leaf in OP_NUMEQUAL. Errors from the matching parser are kept precise.
  const last = script[script.length - 1];
  if (last === OP.OP_NUMEQUAL) return { template: 'custody-recovery', params: parseCustodyRecoveryScript(script) };
  if (last === OP.OP_CHECKSIG && script.length === 64 && script[0] === DEPOSIT_DATA_SIZE) return { template: 'deposit', params: parseDepositScript(script) };
  if (last === OP.OP_CHECKSIG && script.length >= 37 && script.length <= 42) return { template: 'reclaim', params: parseReclaimScript(script) };
  throw new ScriptTemplateError('leaf script', 'unknown template: not a deposit, reclaim or custody recovery leaf');
}
