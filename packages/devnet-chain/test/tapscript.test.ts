import { Transaction } from 'bitcoinjs-lib';
import { describe, expect, it } from 'vitest';
import { concatBytes, encodePush, pushScriptNum } from '@tapbridge/bitcoin';
import { ScriptError, executeTapscript } from '../src/index.js';
import { sequenceLocksSatisfied, SEQUENCE_LOCKTIME_TYPE_FLAG } from '../src/consensus/locks.js';
import type { TapscriptChecker } from '../src/script/tapscript.js';

const OP = { DROP: 0x75, SIZE: 0x82, EQUAL: 0x87, EQUALVERIFY: 0x88, VERIFY: 0x69, CHECKSIG: 0xac, CLTV: 0xb1, CSV: 0xb2, RETURN: 0x6a, NUMEQUAL: 0x9c } as const;
const op = (...codes: number[]): Uint8Array => Uint8Array.from(codes);
const key = new Uint8Array(32).fill(2);
const sig = new Uint8Array(64).fill(3);

/** A checker whose answers the test controls; it records which lock values the script asked about. */
function checker(opts: { signatureValid?: boolean; lockTime?: bigint; sequence?: bigint } = {}): TapscriptChecker & { asked: bigint[] } {
  const asked: bigint[] = [];
  return {
    asked,
    checkSchnorrSignature: () => {
      if (opts.signatureValid === false) throw new ScriptError('Invalid Schnorr signature');
    },
    checkLockTime: (n) => (asked.push(n), n <= (opts.lockTime ?? 0n)),
    checkSequence: (n) => (asked.push(n), n <= (opts.sequence ?? 0n)),
  };
}

const run = (script: Uint8Array, stack: Uint8Array[], c = checker(), budget = 1_000): void => executeTapscript(script, stack, c, budget);
const failure = (fn: () => void): ScriptError => {
  try {
    fn();
  } catch (e) {
    if (e instanceof ScriptError) return e;
    throw e;
  }
  throw new Error('expected a script failure');
};

describe('tapscript interpreter', () => {
  it('runs the reclaim template and hands the lock value to CheckSequence', () => {
    const script = concatBytes(pushScriptNum(144), op(OP.CSV, OP.DROP), encodePush(key), op(OP.CHECKSIG));
    const c = checker({ sequence: 144n });
    run(script, [sig], c);
    expect(c.asked).toEqual([144n]);
    expect(failure(() => run(script, [sig], checker({ sequence: 143n }))).message).toBe('Locktime requirement not satisfied');
  });

  it('treats an empty signature as a failed check, not an error, and a bad one as an error', () => {
    const script = concatBytes(encodePush(key), op(OP.CHECKSIG));
    expect(failure(() => run(script, [new Uint8Array(0)])).message).toBe('Script evaluated without error but finished with a false/empty top stack element');
    expect(failure(() => run(script, [sig], checker({ signatureValid: false }))).message).toBe('Invalid Schnorr signature');
    expect(failure(() => run(concatBytes(encodePush(new Uint8Array(0)), op(OP.CHECKSIG)), [sig])).message).toBe('Empty public key in tapscript');
  });

  it('charges 50 validation weight per signature check (BIP342)', () => {
    const script = concatBytes(encodePush(key), op(OP.CHECKSIG));
    expect(() => run(script, [sig], checker(), 50)).not.toThrow();
    expect(failure(() => run(script, [sig], checker(), 49)).message).toBe('Too much signature validation relative to witness weight');
  });

  it('enforces CLEANSTACK, minimal pushes, OP_RETURN and OP_SUCCESSx as Core does', () => {
    expect(failure(() => run(op(0x51, 0x51), [])).message).toBe('Stack size must be exactly one after execution');
    const nonMinimal = failure(() => run(op(0x4c, 0x01, 0x07), []));
    expect([nonMinimal.message, nonMinimal.policy]).toEqual(['Data push larger than necessary', true]);
    expect(failure(() => run(op(OP.RETURN), [])).message).toBe('OP_RETURN was encountered');
    // OP_SUCCESS80 anywhere wins over everything else; relay refuses it.
    const success = failure(() => run(op(OP.RETURN, 0x50), []));
    expect([success.message, success.policy]).toEqual(['OP_SUCCESSx reserved for soft-fork upgrades', true]);
    expect(failure(() => run(op(0x4c), [])).message).toBe('Opcode missing or not understood');
  });

  it('evaluates OP_SIZE, OP_EQUAL[VERIFY], OP_NUMEQUAL and OP_VERIFY', () => {
    const preimage = new Uint8Array(32).fill(9);
    run(concatBytes(op(OP.SIZE), pushScriptNum(32), op(OP.EQUALVERIFY), encodePush(preimage), op(OP.EQUAL)), [preimage]);
    expect(failure(() => run(concatBytes(op(OP.SIZE), pushScriptNum(31), op(OP.EQUALVERIFY)), [preimage])).message).toBe('Script failed an OP_EQUALVERIFY operation');
    run(concatBytes(pushScriptNum(2), op(OP.NUMEQUAL)), [Uint8Array.of(2)]);
    // 0x0200 is 2 with a redundant byte: numeric opcodes refuse non-minimal numbers.
    expect(failure(() => run(concatBytes(pushScriptNum(2), op(OP.NUMEQUAL)), [Uint8Array.of(2, 0)])).message).toMatch(/^unknown error/);
    expect(failure(() => run(op(0x00, OP.VERIFY, 0x51), [])).message).toBe('Script failed an OP_VERIFY operation');
  });

  it('reads five-byte lock values and refuses negative ones', () => {
    const c = checker({ lockTime: 1n << 33n });
    run(concatBytes(encodePush(Uint8Array.of(0, 0, 0, 0, 2)), op(OP.CLTV, OP.DROP, 0x51)), [], c);
    expect(c.asked).toEqual([1n << 33n]);
    expect(failure(() => run(op(0x4f, OP.CSV), [])).message).toBe('Negative locktime');
  });

  it('names opcodes outside its subset', () => {
    expect(failure(() => run(op(0x76), [Uint8Array.of(1)])).message).toBe('Opcode missing or not understood (opcode 0x76 is outside the devnet-chain tapscript subset)');
  });
});

describe('BIP68 sequence locks', () => {
  const tx = (sequence: number): Transaction => {
    const t = new Transaction();
    t.version = 2;
    t.addInput(new Uint8Array(32).fill(1), 0, sequence);
    return t;
  };

  it('counts blocks since the coin confirmed', () => {
    // Coin in block 100, lock 10: first valid in block 110.
    expect(sequenceLocksSatisfied(tx(10), [{ height: 100, medianTimePastBefore: 0 }], 109, 0)).toBe(false);
    expect(sequenceLocksSatisfied(tx(10), [{ height: 100, medianTimePastBefore: 0 }], 110, 0)).toBe(true);
  });

  it('counts 512-second units from the median time past before the coin\'s block', () => {
    const lock = SEQUENCE_LOCKTIME_TYPE_FLAG | 2; // 1024 s
    const coin = [{ height: 100, medianTimePastBefore: 1_000_000 }];
    expect(sequenceLocksSatisfied(tx(lock), coin, 200, 1_001_023)).toBe(false);
    expect(sequenceLocksSatisfied(tx(lock), coin, 200, 1_001_024)).toBe(true);
  });

  it('ignores disabled inputs and version 1 transactions', () => {
    expect(sequenceLocksSatisfied(tx(0xffffffff), [{ height: 100, medianTimePastBefore: 0 }], 100, 0)).toBe(true);
    const v1 = tx(500);
    v1.version = 1;
    expect(sequenceLocksSatisfied(v1, [{ height: 100, medianTimePastBefore: 0 }], 101, 0)).toBe(true);
  });
});
