import { equalBytes } from '../bytes.js';
import { ScriptTemplateError } from './errors.js';
import { formatEvmAddress, parseEvmAddress } from './evm-address.js';
import { OP } from './opcodes.js';
import { decompileScript, encodePush, expectPush } from './script.js';
import type { ScriptTemplate } from './template.js';

const TEMPLATE = 'op_return deposit';

export interface OpReturnDepositParams {
  /** EVM address credited on mint, 0x-prefixed. */
  recipient: string;
}

/** `OP_RETURN <evm_recipient 20 bytes>`: the marker output of the simple deposit form. */
export function buildOpReturnDepositScript(params: OpReturnDepositParams): Uint8Array {
  return Uint8Array.of(OP.OP_RETURN, ...encodePush(parseEvmAddress(params.recipient, TEMPLATE)));
}

export function parseOpReturnDepositScript(script: Uint8Array): OpReturnDepositParams {
  if (script[0] !== OP.OP_RETURN) throw new ScriptTemplateError(TEMPLATE, 'must start with OP_RETURN');
  const chunks = decompileScript(script.subarray(1), TEMPLATE);
  if (chunks.length !== 1) throw new ScriptTemplateError(TEMPLATE, `expected one push after OP_RETURN, got ${chunks.length} elements`);
  return { recipient: formatEvmAddress(expectPush(chunks[0], 20, 'evm recipient', TEMPLATE)) };
}

export const opReturnDepositScript: ScriptTemplate<OpReturnDepositParams> = {
  name: TEMPLATE,
  build: buildOpReturnDepositScript,
  parse: parseOpReturnDepositScript,
};

export interface TxOutputLike {
  value: bigint;
  scriptPubKey: Uint8Array;
}

export interface OpReturnDeposit {
  /** Index of the output paying the custody address. */
  vout: number;
  value: bigint;
  recipient: string;
}

/**
 * Finds a simple-form deposit in a transaction's outputs: exactly one output paying the custody script and
 * exactly one OP_RETURN naming the recipient. Anything ambiguous is not a deposit (it stays with the
 * custody and needs manual handling), so it returns undefined rather than guessing.
 */
export function findOpReturnDeposit(outputs: readonly TxOutputLike[], custodyScriptPubKey: Uint8Array): OpReturnDeposit | undefined {
  let payment: number | undefined;
  let recipient: string | undefined;
  let markers = 0;
  for (let vout = 0; vout < outputs.length; vout++) {
    const spk = outputs[vout]!.scriptPubKey;
    if (equalBytes(spk, custodyScriptPubKey)) {
      if (payment !== undefined) return undefined;
      payment = vout;
    } else if (spk[0] === OP.OP_RETURN) {
      markers++;
      try {
        recipient = parseOpReturnDepositScript(spk).recipient;
      } catch {
        recipient = undefined;
      }
    }
  }
  if (payment === undefined || markers !== 1 || recipient === undefined) return undefined;
  return { vout: payment, value: outputs[payment]!.value, recipient };
}
