import type { Transaction } from 'bitcoinjs-lib';
import { bytesToHex, classifyOutputScript, hashToHex, outputScriptToAddress, targetFromBits, type OutputScriptType } from '@tapbridge/bitcoin';
import { btcNumber } from '../amount.js';
import type { BlockIndexEntry } from '../chain/block-index.js';
import { blockWeight } from '../consensus/block.js';
import { isCoinbaseTx } from '../consensus/tx-checks.js';
import type { DevnetChain } from '../devnet-chain.js';
import type { MempoolEntry } from '../mempool/mempool.js';
import { REGTEST_PARAMS } from '../params.js';
import { scriptToAsm } from '../script/asm.js';

/** Core's TxoutType names as RPC prints them. */
const CORE_SCRIPT_TYPE: Record<OutputScriptType, string> = {
  p2pkh: 'pubkeyhash',
  p2sh: 'scripthash',
  p2wpkh: 'witness_v0_keyhash',
  p2wsh: 'witness_v0_scripthash',
  p2tr: 'witness_v1_taproot',
  witness_unknown: 'witness_unknown',
  op_return: 'nulldata',
  nonstandard: 'nonstandard',
};

export interface ScriptPubKeyJson {
  asm: string;
  hex: string;
  address?: string;
  type: string;
}

export function scriptPubKeyJson(script: Uint8Array): ScriptPubKeyJson {
  const address = outputScriptToAddress(script, REGTEST_PARAMS.addressNetwork);
  return {
    asm: scriptToAsm(script),
    hex: bytesToHex(script),
    ...(address === undefined ? {} : { address }),
    type: CORE_SCRIPT_TYPE[classifyOutputScript(script).type],
  };
}

/** Core's GetDifficulty: how many times harder than the difficulty-1 target (0x1d00ffff). */
export function difficulty(bits: number): number {
  let shift = (bits >>> 24) & 0xff;
  let diff = 0x0000ffff / (bits & 0x00ffffff);
  while (shift < 29) {
    diff *= 256;
    shift++;
  }
  while (shift > 29) {
    diff /= 256;
    shift--;
  }
  return diff;
}

const hex32 = (n: bigint): string => n.toString(16).padStart(64, '0');
const bitsHex = (bits: number): string => (bits >>> 0).toString(16).padStart(8, '0');

const targetHex = (bits: number): string => hex32(targetFromBits(bits) ?? 0n);

/** getblockheader (verbose) fields, shared with getblock. */
export function blockHeaderJson(node: DevnetChain, entry: BlockIndexEntry): Record<string, unknown> {
  const h = entry.block.header;
  const next = node.chain.nextActive(entry);
  return {
    hash: entry.hash,
    confirmations: node.confirmations(entry),
    height: entry.height,
    version: h.version,
    versionHex: (h.version >>> 0).toString(16).padStart(8, '0'),
    merkleroot: hashToHex(h.merkleRoot),
    time: h.time,
    mediantime: entry.medianTimePast,
    nonce: h.nonce,
    bits: bitsHex(h.bits),
    target: targetHex(h.bits),
    difficulty: difficulty(h.bits),
    chainwork: hex32(entry.chainWork),
    nTx: entry.block.txs.length,
    ...(entry.parent ? { previousblockhash: entry.parent.hash } : {}),
    ...(next ? { nextblockhash: next.hash } : {}),
  };
}

/** Core's TxToUniv: the decoded transaction as getrawtransaction / getblock verbosity 2 print it. */
export function transactionJson(tx: Transaction, txid: string): Record<string, unknown> {
  const coinbase = isCoinbaseTx(tx);
  return {
    txid,
    hash: hashToHex(tx.getHash(true)),
    version: tx.version,
    size: tx.byteLength(),
    vsize: tx.virtualSize(),
    weight: tx.weight(),
    locktime: tx.locktime,
    vin: tx.ins.map((input) => {
      const witness = input.witness.length > 0 ? { txinwitness: input.witness.map(bytesToHex) } : {};
      if (coinbase) return { coinbase: bytesToHex(input.script), ...witness, sequence: input.sequence };
      return {
        txid: hashToHex(input.hash),
        vout: input.index,
        scriptSig: { asm: scriptToAsm(input.script), hex: bytesToHex(input.script) },
        ...witness,
        sequence: input.sequence,
      };
    }),
    vout: tx.outs.map((out, n) => ({ value: btcNumber(out.value), n, scriptPubKey: scriptPubKeyJson(out.script) })),
    hex: bytesToHex(tx.toBuffer()),
  };
}

export function blockJson(node: DevnetChain, entry: BlockIndexEntry, verbosity: 1 | 2): Record<string, unknown> {
  const { block } = entry;
  const strippedSize = block.raw.length - block.txs.reduce((n, tx) => n + tx.byteLength(true) - tx.byteLength(false), 0);
  return {
    ...blockHeaderJson(node, entry),
    strippedsize: strippedSize,
    size: block.raw.length,
    weight: blockWeight(block.raw, block.txs),
    tx: verbosity === 1 ? entry.txids : block.txs.map((tx, i) => transactionJson(tx, entry.txids[i]!)),
  };
}

/** Core's entryToJSON (getmempoolentry, getrawmempool verbose). Every transaction signals replaceability: full RBF. */
export function mempoolEntryJson(node: DevnetChain, e: MempoolEntry): Record<string, unknown> {
  const pool = node.mempool;
  const sum = (ids: readonly string[], pick: (x: MempoolEntry) => bigint | number) => ids.reduce((n, id) => n + BigInt(pick(pool.entries.get(id)!)), 0n);
  const descendants = pool.withDescendants(e.txid);
  const ancestors = pool.withAncestors(e.txid);
  return {
    vsize: e.vsize,
    weight: e.weight,
    time: e.time,
    height: e.height,
    descendantcount: descendants.length,
    descendantsize: Number(sum(descendants, (x) => x.vsize)),
    ancestorcount: ancestors.length,
    ancestorsize: Number(sum(ancestors, (x) => x.vsize)),
    wtxid: e.wtxid,
    fees: {
      base: btcNumber(e.fee),
      modified: btcNumber(e.fee),
      ancestor: btcNumber(sum(ancestors, (x) => x.fee)),
      descendant: btcNumber(sum(descendants, (x) => x.fee)),
    },
    depends: pool.parents(e.txid),
    spentby: pool.children(e.txid),
    'bip125-replaceable': true,
    unbroadcast: false,
  };
}
