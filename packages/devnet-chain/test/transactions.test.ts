import { secp256k1 } from '@noble/curves/secp256k1.js';
import { beforeEach, describe, expect, it } from 'vitest';
import { NUMS_INTERNAL_KEY, concatBytes, encodeSegwitAddress, encodePush, equalBytes, hexToBytes, pushScriptNum, taprootOutput, witnessScript } from '@tapbridge/bitcoin';
import {
  RPC_ERROR,
  signP2trKeyPathInput,
  signP2wpkhInput,
  signTapscript,
  taprootScriptPathWitness,
  type DevnetChain,
} from '../src/index.js';
import { fundScript, rejectReason, rejection, spendTx, testNode, xOnly } from './helpers.js';

const OP_DROP = 0x75;
const OP_CHECKSIG = 0xac;
const OP_CHECKSIGADD = 0xba;
const OP_CSV = 0xb2;
const OP_NUMEQUAL = 0x9c;

/** tapbridge's reclaim leaf: <lock_blocks> OP_CSV OP_DROP <depositor> OP_CHECKSIG. */
const reclaimLeaf = (lockBlocks: number, depositor: Uint8Array): Uint8Array =>
  concatBytes(pushScriptNum(lockBlocks), Uint8Array.of(OP_CSV, OP_DROP), encodePush(depositor), Uint8Array.of(OP_CHECKSIG));
/** tapbridge's deposit leaf: <max_fee ‖ evm_recipient> OP_DROP <custody> OP_CHECKSIG. */
const depositLeaf = (custody: Uint8Array): Uint8Array =>
  concatBytes(encodePush(new Uint8Array(28).fill(7)), Uint8Array.of(OP_DROP), encodePush(custody), Uint8Array.of(OP_CHECKSIG));
/** Custody recovery: <lock> OP_CSV OP_DROP <k1> OP_CHECKSIG <k2> OP_CHECKSIGADD <k3> OP_CHECKSIGADD <m> OP_NUMEQUAL. */
const recoveryLeaf = (lockBlocks: number, keys: Uint8Array[], m: number): Uint8Array =>
  concatBytes(
    pushScriptNum(lockBlocks),
    Uint8Array.of(OP_CSV, OP_DROP),
    ...keys.flatMap((k, i) => [encodePush(k), Uint8Array.of(i === 0 ? OP_CHECKSIG : OP_CHECKSIGADD)]),
    pushScriptNum(m),
    Uint8Array.of(OP_NUMEQUAL),
  );

const burnScript = witnessScript(0, new Uint8Array(20).fill(1));
/** Mining here matures no wallet coinbase, so balances move only by what the test does. */
const outsiderAddress = encodeSegwitAddress('bcrt', 0, new Uint8Array(20).fill(1));

let node: DevnetChain;
let miner: string;

beforeEach(() => {
  ({ node } = testNode());
  miner = node.getNewAddress();
  node.generateToAddress(101, miner);
});

describe('P2WPKH', () => {
  it('sendtoaddress pays, confirms and leaves change with the wallet', () => {
    const before = node.getBalance();
    const to = node.getNewAddress();
    const txid = node.sendToAddress(to, 123_456_789n);
    expect(node.mempool.entries.has(txid)).toBe(true);
    node.generateToAddress(1, outsiderAddress);
    const found = node.lookupTransaction(txid)!;
    expect(found.entry?.height).toBe(102);
    const paid = found.tx.outs.find((o) => equalBytes(o.script, node.decodeAddress(to)));
    expect(paid?.value).toBe(123_456_789n);
    // The recipient is our own address, so only the fee left the wallet; block 102 also matured block 2's coinbase.
    const fee = found.tx.ins.length === 1 ? 5_000_000_000n - found.tx.outs.reduce((s, o) => s + o.value, 0n) : -1n;
    expect(fee).toBeGreaterThan(0n);
    expect(fee).toBeLessThan(10_000n);
    expect(node.getBalance()).toBe(before - fee + 5_000_000_000n);
  });

  it('accepts a hand-signed spend and rejects a signature by another key', () => {
    const address = node.getNewAddress();
    const funded = fundScript(node, node.decodeAddress(address), 5_000_000n, miner);
    const secret = node.dumpPrivKey(address);
    const bad = spendTx(funded, burnScript, 4_990_000n);
    const [, publicKey] = signP2wpkhInput(bad, 0, secret, funded.value);
    const [wrongSig] = signP2wpkhInput(bad, 0, secp256k1.utils.randomSecretKey(), funded.value);
    bad.setWitness(0, [wrongSig!, publicKey!]);
    const e = rejection(() => node.sendRawTransaction(bad.toHex()));
    expect(e.code).toBe(RPC_ERROR.VERIFY_REJECTED);
    expect(e.message).toBe('mandatory-script-verify-flag-failed (Signature must be zero for failed CHECK(MULTI)SIG operation)');

    const good = spendTx(funded, burnScript, 4_990_000n);
    good.setWitness(0, signP2wpkhInput(good, 0, secret, funded.value));
    expect(node.sendRawTransaction(good.toHex())).toBe(good.getId());
  });
});

describe('P2TR key path', () => {
  it('accepts a BIP341 key-path spend and rejects a tampered signature', () => {
    const address = node.getNewAddress('bech32m');
    expect(address.startsWith('bcrt1p')).toBe(true);
    const funded = fundScript(node, node.decodeAddress(address), 2_000_000n, miner);
    const secret = node.dumpPrivKey(address);
    const prevouts = [{ script: node.decodeAddress(address), value: funded.value }];

    const tx = spendTx(funded, burnScript, 1_990_000n);
    const [sig] = signP2trKeyPathInput(tx, 0, secret, prevouts);
    const tampered = Uint8Array.from(sig!);
    tampered[10]! ^= 1;
    tx.setWitness(0, [tampered]);
    expect(rejectReason(() => node.sendRawTransaction(tx.toHex()))).toBe('mandatory-script-verify-flag-failed (Invalid Schnorr signature)');
    tx.setWitness(0, [sig!]);
    const txid = node.sendRawTransaction(tx.toHex());
    node.generateToAddress(1, miner);
    expect(node.lookupTransaction(txid)?.entry?.height).toBe(node.tip.height);
  });
});

describe('P2TR script path', () => {
  const depositor = secp256k1.utils.randomSecretKey();
  const custody = secp256k1.utils.randomSecretKey();
  const lock = 6;

  function fundDeposit(): { funded: ReturnType<typeof fundScript>; out: ReturnType<typeof taprootOutput>; prevouts: { script: Uint8Array; value: bigint }[] } {
    const out = taprootOutput(NUMS_INTERNAL_KEY, [{ script: depositLeaf(xOnly(custody)) }, { script: reclaimLeaf(lock, xOnly(depositor)) }]);
    const funded = fundScript(node, out.scriptPubKey, 1_000_000n, miner);
    return { funded, out, prevouts: [{ script: out.scriptPubKey, value: funded.value }] };
  }

  function reclaimSpend(d: ReturnType<typeof fundDeposit>, sequence: number): string {
    const leaf = d.out.leaves[1]!;
    const tx = spendTx(d.funded, burnScript, 990_000n, sequence);
    const sig = signTapscript(tx, 0, depositor, d.prevouts, leaf.leafHash);
    tx.setWitness(0, taprootScriptPathWitness([sig], leaf.script, leaf.controlBlock));
    return tx.toHex();
  }

  it('accepts the CSV reclaim leaf only once the relative lock has passed', () => {
    const d = fundDeposit();
    const fundedHeight = node.tip.height;
    // BIP68 is checked before scripts (Core's PreChecks): the coin is too young for either sequence.
    expect(rejectReason(() => node.sendRawTransaction(reclaimSpend(d, lock)))).toBe('non-BIP68-final');
    expect(rejectReason(() => node.sendRawTransaction(reclaimSpend(d, lock - 1)))).toBe('non-BIP68-final');
    node.generateToAddress(lock - 2, miner);
    // Now a sequence of lock - 1 passes BIP68, but the script demands `lock`.
    expect(rejectReason(() => node.sendRawTransaction(reclaimSpend(d, lock - 1)))).toBe(
      'mandatory-script-verify-flag-failed (Locktime requirement not satisfied)',
    );
    expect(rejectReason(() => node.sendRawTransaction(reclaimSpend(d, lock)))).toBe('non-BIP68-final');
    node.generateToAddress(1, miner);
    // Mined in the next block, the input has `lock` confirmations: the first height BIP68 allows.
    expect(node.tip.height + 1 - fundedHeight).toBe(lock);
    const txid = node.sendRawTransaction(reclaimSpend(d, lock));
    node.generateToAddress(1, miner);
    expect(node.lookupTransaction(txid)?.entry).toBeDefined();
  });

  it('accepts the deposit leaf signed by the custody key, and rejects a wrong control block', () => {
    const d = fundDeposit();
    const leaf = d.out.leaves[0]!;
    const tx = spendTx(d.funded, burnScript, 990_000n);
    const sig = signTapscript(tx, 0, custody, d.prevouts, leaf.leafHash);
    const wrongControl = Uint8Array.from(leaf.controlBlock);
    wrongControl[40]! ^= 1;
    tx.setWitness(0, taprootScriptPathWitness([sig], leaf.script, wrongControl));
    expect(rejectReason(() => node.sendRawTransaction(tx.toHex()))).toBe('mandatory-script-verify-flag-failed (Witness program hash mismatch)');
    tx.setWitness(0, taprootScriptPathWitness([sig], leaf.script, leaf.controlBlock));
    expect(node.sendRawTransaction(tx.toHex())).toBe(tx.getId());
  });

  it('runs a 2-of-3 CHECKSIGADD recovery leaf: two signatures pass, one does not', () => {
    const keys = [secp256k1.utils.randomSecretKey(), secp256k1.utils.randomSecretKey(), secp256k1.utils.randomSecretKey()];
    const script = recoveryLeaf(1, keys.map(xOnly), 2);
    const out = taprootOutput(xOnly(custody), { script });
    const funded = fundScript(node, out.scriptPubKey, 1_000_000n, miner);
    const prevouts = [{ script: out.scriptPubKey, value: funded.value }];
    const leaf = out.leaves[0]!;
    const build = (signers: boolean[]): string => {
      const tx = spendTx(funded, burnScript, 990_000n, 1);
      // The first key's signature sits on top of the stack, so arguments run k3, k2, k1.
      const args = [2, 1, 0].map((i) => (signers[i] ? signTapscript(tx, 0, keys[i]!, prevouts, leaf.leafHash) : new Uint8Array(0)));
      tx.setWitness(0, taprootScriptPathWitness(args, leaf.script, leaf.controlBlock));
      return tx.toHex();
    };
    expect(rejectReason(() => node.sendRawTransaction(build([true, false, false])))).toBe(
      'mandatory-script-verify-flag-failed (Script evaluated without error but finished with a false/empty top stack element)',
    );
    const txid = node.sendRawTransaction(build([true, false, true]));
    expect(node.mempool.entries.has(txid)).toBe(true);
  });

  it('refuses opcodes outside its tapscript subset with a clear error', () => {
    // OP_SHA256 <32 bytes> OP_EQUAL: valid tapscript, but not one the devnet interprets.
    const script = concatBytes(Uint8Array.of(0xa8), encodePush(new Uint8Array(32)), Uint8Array.of(0x87));
    const out = taprootOutput(NUMS_INTERNAL_KEY, { script });
    const funded = fundScript(node, out.scriptPubKey, 1_000_000n, miner);
    const tx = spendTx(funded, burnScript, 990_000n);
    tx.setWitness(0, taprootScriptPathWitness([new Uint8Array(1)], script, out.leaves[0]!.controlBlock));
    expect(rejectReason(() => node.sendRawTransaction(tx.toHex()))).toMatch(/^mandatory-script-verify-flag-failed \(Opcode missing or not understood \(opcode 0xa8/);
  });
});

describe('mempool rules', () => {
  function walletCoin(): { txid: string; vout: number; value: bigint; secret: Uint8Array } {
    const address = node.getNewAddress();
    const funded = fundScript(node, node.decodeAddress(address), 3_000_000n, miner);
    return { ...funded, secret: node.dumpPrivKey(address) };
  }
  const signed = (coin: ReturnType<typeof walletCoin>, outValue: bigint): string => {
    const tx = spendTx(coin, burnScript, outValue);
    tx.setWitness(0, signP2wpkhInput(tx, 0, coin.secret, coin.value));
    return tx.toHex();
  };

  it('rejects an overspend', () => {
    const coin = walletCoin();
    const e = rejection(() => node.sendRawTransaction(signed(coin, coin.value + 1n)));
    expect(e.code).toBe(RPC_ERROR.VERIFY_REJECTED);
    expect(e.message).toBe('bad-txns-in-belowout, value in (0.03000000) < value out (0.03000001)');
  });

  it('rejects a transaction below the minimum relay fee', () => {
    const coin = walletCoin();
    expect(rejectReason(() => node.sendRawTransaction(signed(coin, coin.value)))).toBe('min relay fee not met');
  });

  it('rejects a double spend of a mempool coin unless it pays for the replacement (full RBF)', () => {
    const coin = walletCoin();
    const first = node.sendRawTransaction(signed(coin, coin.value - 1_000n));
    expect(rejectReason(() => node.sendRawTransaction(signed(coin, coin.value - 1_001n)))).toBe('insufficient fee');
    const replacement = node.sendRawTransaction(signed(coin, coin.value - 5_000n));
    expect(node.mempool.entries.has(first)).toBe(false);
    expect(node.mempool.entries.has(replacement)).toBe(true);
  });

  it('rejects spending a coin already spent in the chain, or one that never existed, with -25', () => {
    const coin = walletCoin();
    node.sendRawTransaction(signed(coin, coin.value - 1_000n));
    node.generateToAddress(1, miner);
    const spent = rejection(() => node.sendRawTransaction(signed(coin, coin.value - 9_000n)));
    expect(spent.code).toBe(RPC_ERROR.VERIFY_ERROR);
    expect(spent.message).toBe('bad-txns-inputs-missingorspent');
    const ghost = rejection(() => node.sendRawTransaction(signed({ ...coin, txid: 'ab'.repeat(32) }, 1_000_000n)));
    expect(ghost.code).toBe(RPC_ERROR.VERIFY_ERROR);
  });

  it('enforces coinbase maturity at exactly 100 blocks', () => {
    const secret = node.dumpPrivKey(miner);
    const coinbaseAt = (height: number) => {
      const entry = node.chain.active[height]!;
      const value = entry.block.txs[0]!.outs[0]!.value;
      const tx = spendTx({ txid: entry.txids[0]!, vout: 0 }, burnScript, value - 10_000n);
      tx.setWitness(0, signP2wpkhInput(tx, 0, secret, value));
      return tx.toHex();
    };
    // Tip 101: the next block is 102, so the coinbase of block 2 is 100 deep and spendable; block 3's is not.
    const e = rejection(() => node.sendRawTransaction(coinbaseAt(3)));
    expect(e.message).toBe('bad-txns-premature-spend-of-coinbase, tried to spend coinbase at depth 99');
    expect(node.sendRawTransaction(coinbaseAt(2))).toMatch(/^[0-9a-f]{64}$/);
  });

  it('rejects undecodable bytes with -22 and reports testmempoolaccept results without adding', () => {
    expect(rejection(() => node.sendRawTransaction('00')).code).toBe(RPC_ERROR.DESERIALIZATION_ERROR);
    const coin = walletCoin();
    const [ok, bad] = node.testMempoolAccept([signed(coin, coin.value - 1_000n), signed(coin, coin.value + 5n)]);
    expect(ok).toMatchObject({ allowed: true, fee: 1_000n });
    expect(bad).toMatchObject({ allowed: false, rejectReason: 'bad-txns-in-belowout' });
    expect(node.mempool.size).toBe(0);
  });

  it('rejects a non-final locktime', () => {
    const coin = walletCoin();
    const tx = spendTx(coin, burnScript, coin.value - 1_000n);
    tx.locktime = node.tip.height + 5;
    tx.setWitness(0, signP2wpkhInput(tx, 0, coin.secret, coin.value));
    expect(rejectReason(() => node.sendRawTransaction(tx.toHex()))).toBe('non-final');
    expect(hexToBytes(tx.toHex()).length).toBeGreaterThan(0);
  });
});
