import { equalBytes, isMinimalPush, OP } from '@tapbridge/bitcoin';
import { ScriptError, SCRIPT_ERR } from './script-error.js';
import { castToBool, decodeScriptNumber, encodeScriptNumber } from './script-num.js';

/** BIP342 limits. */
export const MAX_SCRIPT_ELEMENT_SIZE = 520;
export const MAX_STACK_SIZE = 1000;
export const VALIDATION_WEIGHT_PER_SIGOP_PASSED = 50;

const SEQUENCE_LOCKTIME_DISABLE_FLAG = 1n << 31n;

/** BIP342 IsOpSuccess: opcodes that make a tapscript succeed unconditionally (reserved for upgrades). */
export function isOpSuccess(op: number): boolean {
  return (
    op === 80 || op === 98 || (op >= 126 && op <= 129) || (op >= 131 && op <= 134) || (op >= 137 && op <= 138) ||
    (op >= 141 && op <= 142) || (op >= 149 && op <= 153) || (op >= 187 && op <= 254)
  );
}

/** What the interpreter needs from the spending transaction. */
export interface TapscriptChecker {
  /** Verifies a non-empty BIP340 signature by a 32-byte key over this leaf's sighash; throws ScriptError when it fails. */
  checkSchnorrSignature(signature: Uint8Array, publicKey: Uint8Array): void;
  /** BIP65 CheckLockTime against the transaction's nLockTime and this input's sequence. */
  checkLockTime(lockTime: bigint): boolean;
  /** BIP112 CheckSequence against the transaction's version and this input's nSequence. */
  checkSequence(sequence: bigint): boolean;
}

interface Instruction {
  opcode: number;
  data?: Uint8Array;
}

/** Splits the script; a truncated push is a bad opcode, as Core's GetScriptOp failing. */
function parseScript(script: Uint8Array): Instruction[] {
  const out: Instruction[] = [];
  let i = 0;
  while (i < script.length) {
    const opcode = script[i++]!;
    if (opcode > OP.OP_PUSHDATA4 || opcode === OP.OP_0) {
      out.push({ opcode });
      continue;
    }
    let len: number;
    if (opcode < OP.OP_PUSHDATA1) len = opcode;
    else {
      const width = opcode === OP.OP_PUSHDATA1 ? 1 : opcode === OP.OP_PUSHDATA2 ? 2 : 4;
      if (i + width > script.length) throw new ScriptError(SCRIPT_ERR.BAD_OPCODE);
      len = 0;
      for (let k = width - 1; k >= 0; k--) len = len * 256 + script[i + k]!;
      i += width;
    }
    if (i + len > script.length) throw new ScriptError(SCRIPT_ERR.BAD_OPCODE);
    out.push({ opcode, data: script.subarray(i, i + len) });
    i += len;
  }
  return out;
}

/** Bytes the witness stack takes in serialization: BIP342's validation budget starts from it. */
export function witnessSerializedSize(witness: readonly Uint8Array[]): number {
  const varintSize = (n: number): number => (n < 0xfd ? 1 : n <= 0xffff ? 3 : 5);
  return witness.reduce((sum, item) => sum + varintSize(item.length) + item.length, varintSize(witness.length));
}

/**
 * A deliberately small, strict tapscript (BIP342, leaf version 0xc0) interpreter covering the templates
 * tapbridge uses: pushes (minimal only), OP_1..16, OP_DROP, OP_SIZE, OP_EQUAL[VERIFY], OP_NUMEQUAL[VERIFY],
 * OP_VERIFY, OP_CHECKSIG[VERIFY], OP_CHECKSIGADD, OP_CHECKLOCKTIMEVERIFY, OP_CHECKSEQUENCEVERIFY. Anything else
 * is rejected with a message naming the opcode rather than being emulated half-right.
 */
export function executeTapscript(
  script: Uint8Array,
  initialStack: readonly Uint8Array[],
  checker: TapscriptChecker,
  validationBudget: number,
): void {
  const instructions = parseScript(script);
  // BIP342: an OP_SUCCESSx anywhere makes the script succeed; relay policy refuses such spends.
  for (const ins of instructions) {
    if (ins.data === undefined && isOpSuccess(ins.opcode)) throw new ScriptError(SCRIPT_ERR.DISCOURAGE_OP_SUCCESS, true);
  }
  if (initialStack.length > MAX_STACK_SIZE) throw new ScriptError(SCRIPT_ERR.STACK_SIZE);
  for (const item of initialStack) if (item.length > MAX_SCRIPT_ELEMENT_SIZE) throw new ScriptError(SCRIPT_ERR.PUSH_SIZE);

  const stack: Uint8Array[] = initialStack.slice();
  let budget = validationBudget;
  const pop = (): Uint8Array => {
    const top = stack.pop();
    if (top === undefined) throw new ScriptError(SCRIPT_ERR.INVALID_STACK_OPERATION);
    return top;
  };
  const peek = (): Uint8Array => {
    const top = stack[stack.length - 1];
    if (top === undefined) throw new ScriptError(SCRIPT_ERR.INVALID_STACK_OPERATION);
    return top;
  };
  const pushBool = (b: boolean): void => {
    stack.push(b ? Uint8Array.of(1) : new Uint8Array(0));
  };
  /** BIP342 signature opcode semantics shared by CHECKSIG, CHECKSIGVERIFY and CHECKSIGADD. */
  const evalChecksig = (signature: Uint8Array, publicKey: Uint8Array): boolean => {
    if (signature.length > 0) {
      budget -= VALIDATION_WEIGHT_PER_SIGOP_PASSED;
      if (budget < 0) throw new ScriptError(SCRIPT_ERR.TAPSCRIPT_VALIDATION_WEIGHT);
    }
    if (publicKey.length === 0) throw new ScriptError(SCRIPT_ERR.TAPSCRIPT_EMPTY_PUBKEY);
    if (publicKey.length === 32) {
      if (signature.length > 0) checker.checkSchnorrSignature(signature, publicKey);
    } else {
      throw new ScriptError(SCRIPT_ERR.DISCOURAGE_UPGRADABLE_PUBKEYTYPE, true);
    }
    return signature.length > 0;
  };

  for (const { opcode, data } of instructions) {
    if (data !== undefined) {
      if (data.length > MAX_SCRIPT_ELEMENT_SIZE) throw new ScriptError(SCRIPT_ERR.PUSH_SIZE);
      if (!isMinimalPush(opcode, data)) throw new ScriptError(SCRIPT_ERR.MINIMALDATA, true);
      stack.push(data);
    } else if (opcode === OP.OP_0) {
      stack.push(new Uint8Array(0));
    } else if (opcode === OP.OP_1NEGATE) {
      stack.push(Uint8Array.of(0x81));
    } else if (opcode >= OP.OP_1 && opcode <= OP.OP_16) {
      stack.push(Uint8Array.of(opcode - OP.OP_1 + 1));
    } else {
      switch (opcode) {
        case OP.OP_VERIFY:
          if (!castToBool(pop())) throw new ScriptError(SCRIPT_ERR.VERIFY);
          break;
        case OP.OP_RETURN:
          throw new ScriptError(SCRIPT_ERR.OP_RETURN);
        case OP.OP_DROP:
          pop();
          break;
        case OP.OP_SIZE:
          stack.push(encodeScriptNumber(BigInt(peek().length)));
          break;
        case OP.OP_EQUAL:
        case OP.OP_EQUALVERIFY: {
          const b = pop();
          const a = pop();
          const equal = equalBytes(a, b);
          if (opcode === OP.OP_EQUALVERIFY) {
            if (!equal) throw new ScriptError(SCRIPT_ERR.EQUALVERIFY);
          } else pushBool(equal);
          break;
        }
        case OP.OP_NUMEQUAL:
        case OP.OP_NUMEQUALVERIFY: {
          const b = decodeScriptNumber(pop());
          const a = decodeScriptNumber(pop());
          if (opcode === OP.OP_NUMEQUALVERIFY) {
            if (a !== b) throw new ScriptError(SCRIPT_ERR.NUMEQUALVERIFY);
          } else pushBool(a === b);
          break;
        }
        case OP.OP_CHECKSIG:
        case OP.OP_CHECKSIGVERIFY: {
          const publicKey = pop();
          const signature = pop();
          const ok = evalChecksig(signature, publicKey);
          if (opcode === OP.OP_CHECKSIGVERIFY) {
            if (!ok) throw new ScriptError(SCRIPT_ERR.CHECKSIGVERIFY);
          } else pushBool(ok);
          break;
        }
        case OP.OP_CHECKSIGADD: {
          const publicKey = pop();
          const n = decodeScriptNumber(pop());
          const signature = pop();
          const ok = evalChecksig(signature, publicKey);
          stack.push(encodeScriptNumber(n + (ok ? 1n : 0n)));
          break;
        }
        case OP.OP_CHECKLOCKTIMEVERIFY: {
          // Five-byte numbers: lock times reach 2^32 (BIP65).
          const lockTime = decodeScriptNumber(peek(), 5);
          if (lockTime < 0n) throw new ScriptError(SCRIPT_ERR.NEGATIVE_LOCKTIME);
          if (!checker.checkLockTime(lockTime)) throw new ScriptError(SCRIPT_ERR.UNSATISFIED_LOCKTIME);
          break;
        }
        case OP.OP_CHECKSEQUENCEVERIFY: {
          const sequence = decodeScriptNumber(peek(), 5);
          if (sequence < 0n) throw new ScriptError(SCRIPT_ERR.NEGATIVE_LOCKTIME);
          // BIP112: with the disable flag set the opcode is a NOP, left for future soft forks.
          if ((sequence & SEQUENCE_LOCKTIME_DISABLE_FLAG) !== 0n) break;
          if (!checker.checkSequence(sequence)) throw new ScriptError(SCRIPT_ERR.UNSATISFIED_LOCKTIME);
          break;
        }
        default:
          throw new ScriptError(
            `${SCRIPT_ERR.BAD_OPCODE} (opcode 0x${opcode.toString(16).padStart(2, '0')} is outside the devnet-chain tapscript subset)`,
          );
      }
    }
    if (stack.length > MAX_STACK_SIZE) throw new ScriptError(SCRIPT_ERR.STACK_SIZE);
  }
  // Tapscript makes CLEANSTACK consensus: exactly one element, and it must be true.
  if (stack.length !== 1) throw new ScriptError(SCRIPT_ERR.CLEANSTACK);
  if (!castToBool(stack[0]!)) throw new ScriptError(SCRIPT_ERR.EVAL_FALSE);
}
