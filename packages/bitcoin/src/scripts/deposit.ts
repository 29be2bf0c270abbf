import { concatBytes } from '../bytes.js';
import { ScriptTemplateError } from './errors.js';
import { formatEvmAddress, parseEvmAddress } from './evm-address.js';
import { OP } from './opcodes.js';
import { checkXOnly } from './x-only-key.js';
import { decompileScript, encodePush, expectOpcode, expectPush } from './script.js';
import type { ScriptTemplate } from './template.js';

const TEMPLATE = 'deposit leaf';
const MAX_U64 = 0xffffffffffffffffn;
/** max_fee (u64 big-endian) ‖ evm_recipient (20 bytes). */
export const DEPOSIT_DATA_SIZE = 28;

export interface DepositScriptParams {
  /** Most the depositor lets the signers take as fee when sweeping this deposit, in satoshis. */
  maxFee: bigint;
  /** EVM address credited on mint, 0x-prefixed. */
  recipient: string;
  /** The custody (FROST group) x-only key that may spend through this leaf. */
  groupKey: Uint8Array;
}

/** `<max_fee ‖ evm_recipient> OP_DROP <custody group key> OP_CHECKSIG` */
export function buildDepositScript(params: DepositScriptParams): Uint8Array {
  const { maxFee, recipient, groupKey } = params;
  if (typeof maxFee !== 'bigint' || maxFee < 0n || maxFee > MAX_U64) throw new ScriptTemplateError(TEMPLATE, 'max fee must be a bigint in 0..2^64-1');
  const recipientBytes = parseEvmAddress(recipient, TEMPLATE);
  checkXOnly(groupKey, 'custody group key', TEMPLATE);
  const data = new Uint8Array(DEPOSIT_DATA_SIZE);
  new DataView(data.buffer).setBigUint64(0, maxFee, false);
  data.set(recipientBytes, 8);
  return concatBytes(encodePush(data), Uint8Array.of(OP.OP_DROP), encodePush(groupKey), Uint8Array.of(OP.OP_CHECKSIG));
}

export function parseDepositScript(script: Uint8Array): DepositScriptParams {
  const chunks = decompileScript(script, TEMPLATE);
  if (chunks.length !== 4) throw new ScriptTemplateError(TEMPLATE, `expected 4 script elements, got ${chunks.length}`);
  const data = expectPush(chunks[0], DEPOSIT_DATA_SIZE, 'max_fee ‖ evm_recipient', TEMPLATE);
  expectOpcode(chunks[1], OP.OP_DROP, 'OP_DROP', TEMPLATE, 1);
  const groupKey = expectPush(chunks[2], 32, 'custody group key', TEMPLATE);
  expectOpcode(chunks[3], OP.OP_CHECKSIG, 'OP_CHECKSIG', TEMPLATE, 3);
  checkXOnly(groupKey, 'custody group key', TEMPLATE);
  const maxFee = new DataView(data.buffer, data.byteOffset, data.byteLength).getBigUint64(0, false);
  return { maxFee, recipient: formatEvmAddress(data.subarray(8)), groupKey };
}

export const depositScript: ScriptTemplate<DepositScriptParams> = { name: TEMPLATE, build: buildDepositScript, parse: parseDepositScript };
