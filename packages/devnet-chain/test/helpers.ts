import { schnorr } from '@noble/curves/secp256k1.js';
import { Transaction } from 'bitcoinjs-lib';
import { bytesToHex, encodeSegwitAddress, hexToHash } from '@tapbridge/bitcoin';
import { signP2wpkhInput } from '../src/wallet/signing.js';
import { DevnetChain, RpcError, TxRejectedError } from '../src/index.js';

/** A node whose clock starts at a fixed time and advances only when the test says so. */
export function testNode(dataDir?: string): { node: DevnetChain; clock: { now: number } } {
  const clock = { now: 1_700_000_000 };
  const node = DevnetChain.open({ clock: () => clock.now, ...(dataDir ? { dataDir } : {}), logger: silentLogger() });
  return { node, clock };
}

export function silentLogger(): NonNullable<Parameters<typeof DevnetChain.open>[0]>['logger'] {
  // pino-compatible no-op: tests assert on behaviour, not on log lines.
  const noop = (): void => undefined;
  const logger = { info: noop, warn: noop, error: noop, debug: noop, trace: noop, fatal: noop, child: () => logger, level: 'silent' };
  return logger as unknown as NonNullable<Parameters<typeof DevnetChain.open>[0]>['logger'];
}

/** Pays `amount` from the wallet to `script` and mines it; returns the confirmed outpoint. */
export function fundScript(node: DevnetChain, script: Uint8Array, amount: bigint, minerAddress: string): { txid: string; vout: number; value: bigint } {
  const witnessVersion = script[0] === 0x00 ? 0 : script[0]! - 0x50;
  const address = encodeSegwitAddress('bcrt', witnessVersion, script.subarray(2));
  const txid = node.sendToAddress(address, amount);
  node.generateToAddress(1, minerAddress);
  const tx = node.lookupTransaction(txid)!.tx;
  const vout = tx.outs.findIndex((o) => bytesToHex(o.script) === bytesToHex(script));
  return { txid, vout, value: amount };
}

/** One-input, one-output spend skeleton; the caller sets the witness. */
export function spendTx(outpoint: { txid: string; vout: number }, outScript: Uint8Array, outValue: bigint, sequence = 0xfffffffd, version = 2): Transaction {
  const tx = new Transaction();
  tx.version = version;
  tx.addInput(hexToHash(outpoint.txid), outpoint.vout, sequence);
  tx.addOutput(outScript, outValue);
  return tx;
}

/** The error a call throws, for asserting on Core's codes and reject reasons. */
export function rejection(fn: () => unknown): RpcError {
  try {
    fn();
  } catch (e) {
    if (e instanceof RpcError) return e;
    throw e;
  }
  throw new Error('expected the call to be rejected');
}

export function rejectReason(fn: () => unknown): string {
  const e = rejection(fn);
  if (!(e instanceof TxRejectedError)) throw new Error(`expected a transaction rejection, got ${e.code} ${e.message}`);
  return e.reason;
}

export const xOnly = (secretKey: Uint8Array): Uint8Array => schnorr.getPublicKey(secretKey);

/** A P2WPKH coin whose key the test holds. */
export interface KeyedCoin {
  txid: string;
  vout: number;
  value: bigint;
  secret: Uint8Array;
  script: Uint8Array;
}

/** Funds a fresh wallet address with `value` and mines it: a confirmed coin the test can sign for. */
export function keyedCoin(node: DevnetChain, minerAddress: string, value = 3_000_000n): KeyedCoin {
  const address = node.getNewAddress();
  const script = node.decodeAddress(address);
  return { ...fundScript(node, script, value, minerAddress), secret: node.dumpPrivKey(address), script };
}

/** A version 2, RBF-signalling transaction spending `inputs` (all P2WPKH) to `outputs`, signed. */
export function signedSpend(inputs: readonly KeyedCoin[], outputs: ReadonlyArray<{ script: Uint8Array; value: bigint }>): Transaction {
  const tx = new Transaction();
  tx.version = 2;
  for (const c of inputs) tx.addInput(hexToHash(c.txid), c.vout, 0xfffffffd);
  for (const o of outputs) tx.addOutput(o.script, o.value);
  inputs.forEach((c, i) => tx.setWitness(i, signP2wpkhInput(tx, i, c.secret, c.value)));
  return tx;
}

/** Spends `inputs` to one output of `script` paying `fee`. */
export const spendWithFee = (inputs: readonly KeyedCoin[], fee: bigint, script: Uint8Array): Transaction =>
  signedSpend(inputs, [{ script, value: inputs.reduce((s, c) => s + c.value, 0n) - fee }]);

/** Output `vout` of a transaction the test signed, as a coin under the same key as `like`. */
export const outputOf = (tx: Transaction, vout: number, like: KeyedCoin): KeyedCoin => ({
  txid: tx.getId(),
  vout,
  value: tx.outs[vout]!.value,
  secret: like.secret,
  script: like.script,
});
