import { Transaction } from 'bitcoinjs-lib';
import { WITNESS_RESERVED_VALUE, concatBytes, decodeScriptNum, findWitnessCommitmentInScripts, pushScriptNum, witnessCommitmentScript } from '@tapbridge/bitcoin';

const NULL_HASH = new Uint8Array(32);

/** BIP34: the coinbase scriptSig starts with the height as Core's `CScript() << nHeight`; OP_0 pads it to 2 bytes. */
export function coinbaseScriptSig(height: number): Uint8Array {
  return concatBytes(pushScriptNum(height), Uint8Array.of(0x00));
}

/** The height a BIP34 coinbase commits to, or undefined when its scriptSig does not start with one. */
export function coinbaseHeight(coinbase: Transaction): number | undefined {
  const script = coinbase.ins[0]?.script;
  if (!script || script.length === 0) return undefined;
  const op = script[0]!;
  if (op === 0x00) return 0;
  if (op >= 0x51 && op <= 0x60) return op - 0x50;
  if (op < 1 || op > 8 || script.length < 1 + op) return undefined;
  try {
    return decodeScriptNum(script.subarray(1, 1 + op), 8, 'bip34 height');
  } catch {
    return undefined;
  }
}

/** The commitment of the last output carrying the commitment header, as Core's GetWitnessCommitmentIndex. */
export function findWitnessCommitment(coinbase: Transaction): Uint8Array | undefined {
  const index = findWitnessCommitmentInScripts(coinbase.outs.map((out) => out.script));
  return index === undefined ? undefined : coinbase.outs[index]!.script.subarray(6, 38);
}

export interface CoinbaseParams {
  height: number;
  payoutScript: Uint8Array;
  /** Subsidy plus the fees of the block's transactions. */
  value: bigint;
  /** Merkle root of the block's wtxids with the coinbase's taken as zero. */
  witnessRoot: Uint8Array;
}

/** A coinbase shaped like Core's miner: payout first, then the witness commitment; reserved value in the witness. */
export function buildCoinbase(p: CoinbaseParams): Transaction {
  const tx = new Transaction();
  tx.version = 2;
  tx.addInput(NULL_HASH, 0xffffffff, 0xffffffff, coinbaseScriptSig(p.height));
  tx.addOutput(p.payoutScript, p.value);
  tx.addOutput(witnessCommitmentScript(p.witnessRoot), 0n);
  tx.setWitness(0, [WITNESS_RESERVED_VALUE]);
  return tx;
}
