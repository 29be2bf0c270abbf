import {
  DUST_LIMIT,
  ScriptTemplateError,
  bytesToHex,
  decodeTransaction,
  depositTaprootOutput,
  equalBytes,
  hashToHex,
  hexToBytes,
  parseDepositScript,
  parseReclaimScript,
  type DepositScriptParams,
  type ReclaimScriptParams,
} from '@tapbridge/bitcoin';
import { DepositRegistrationError } from './errors.js';
import type { DepositRecord } from './types.js';

/** What a depositor registers: the outpoint and the two leaf scripts its address commits to. */
export interface RegistrationRequest {
  txid: string;
  vout: number;
  /** Hex. */
  depositScript: string;
  reclaimScript: string;
}

const HEX_RE = /^(?:[0-9a-fA-F]{2})*$/;

function scriptBytes(hex: string, what: string): Uint8Array {
  if (typeof hex !== 'string' || hex.length === 0 || !HEX_RE.test(hex)) throw new DepositRegistrationError('bad-request', `${what} must be non-empty hex`);
  return hexToBytes(hex.toLowerCase());
}

function parsed<T>(code: 'bad-deposit-script' | 'bad-reclaim-script', parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    if (e instanceof ScriptTemplateError) throw new DepositRegistrationError(code, e.message);
    throw e;
  }
}

/**
 * Checks a registration against the transaction a chain source returned for its txid, in this order: both
 * scripts fit their templates; the deposit leaf names this bridge's group key; the output exists and is exactly
 * the P2TR of the two leaves; its amount is not dust; its max fee is below its amount. Returns the deposit to
 * record, status `registered`.
 */
export function validateRegistration(request: RegistrationRequest, rawTx: Uint8Array, groupKey: Uint8Array): DepositRecord {
  const txid = typeof request.txid === 'string' ? request.txid.toLowerCase() : '';
  if (!/^[0-9a-f]{64}$/.test(txid)) throw new DepositRegistrationError('bad-request', 'txid must be 32 bytes of hex');
  if (!Number.isInteger(request.vout) || request.vout < 0 || request.vout > 0xffffffff) throw new DepositRegistrationError('bad-request', 'vout must be an integer in 0..2^32-1');
  const depositScript = scriptBytes(request.depositScript, 'depositScript');
  const reclaimScript = scriptBytes(request.reclaimScript, 'reclaimScript');
  const deposit: DepositScriptParams = parsed('bad-deposit-script', () => parseDepositScript(depositScript));
  if (!equalBytes(deposit.groupKey, groupKey))
    throw new DepositRegistrationError(
      'wrong-group-key',
      `deposit leaf: names custody key ${bytesToHex(deposit.groupKey)}, not this bridge's group key ${bytesToHex(groupKey)}`,
    );
  const reclaim: ReclaimScriptParams = parsed('bad-reclaim-script', () => parseReclaimScript(reclaimScript));

  const tx = decodeTransaction(rawTx);
  if (hashToHex(tx.txid) !== txid) throw new Error(`chain source returned transaction ${hashToHex(tx.txid)} for ${txid}`);
  const output = tx.outputs[request.vout];
  if (!output) throw new DepositRegistrationError('output-not-found', `transaction ${txid} has ${tx.outputs.length} outputs; output ${request.vout} does not exist`);
  const expected = depositTaprootOutput(depositScript, reclaimScript).scriptPubKey;
  if (!equalBytes(output.scriptPubKey, expected))
    throw new DepositRegistrationError(
      'script-mismatch',
      `output ${txid}:${request.vout} pays scriptPubKey ${bytesToHex(output.scriptPubKey)}, not ${bytesToHex(expected)} (the P2TR of these deposit and reclaim leaves)`,
    );
  if (output.value < DUST_LIMIT)
    throw new DepositRegistrationError('dust', `output ${txid}:${request.vout} holds ${output.value} sat, below the ${DUST_LIMIT} sat dust limit`);
  if (deposit.maxFee >= output.value)
    throw new DepositRegistrationError('max-fee-not-below-amount', `max fee ${deposit.maxFee} sat is not below the deposit amount ${output.value} sat`);
  return {
    txid,
    vout: request.vout,
    kind: 'taproot',
    scriptPubKey: bytesToHex(output.scriptPubKey),
    depositScript: bytesToHex(depositScript),
    reclaimScript: bytesToHex(reclaimScript),
    lockBlocks: reclaim.lockBlocks,
    amountSats: output.value,
    recipient: deposit.recipient,
    maxFeeSats: deposit.maxFee,
    status: 'registered',
  };
}

/** Same outpoint, same leaves: a repeat of an earlier registration (which is then answered as before). */
export const sameRegistration = (a: DepositRecord, b: DepositRecord): boolean =>
  a.kind === b.kind && a.depositScript === b.depositScript && a.reclaimScript === b.reclaimScript;
