import { buildCustodyRecoveryScript, type CustodyRecoveryScriptParams } from '../scripts/custody.js';
import { taprootOutput } from '../taproot/script-tree.js';
import { NUMS_INTERNAL_KEY } from '../taproot/tweak.js';

/**
 * Where a disbursal's excess goes: the recovery leaf's keys. A P2TR with the NUMS internal key (no key path: the
 * signers who are gone cannot take it) and the custody recovery leaf as its only leaf, so the backup keys spend it
 * after the same CSV lock as custody itself.
 */
export function disbursalExcessScript(recovery: CustodyRecoveryScriptParams): Uint8Array {
  return taprootOutput(NUMS_INTERNAL_KEY, { script: buildCustodyRecoveryScript(recovery) }).scriptPubKey;
}
