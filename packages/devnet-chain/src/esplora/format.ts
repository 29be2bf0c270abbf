import type { Transaction } from 'bitcoinjs-lib';
import { bytesToHex, classifyOutputScript, hashToHex, outputScriptToAddress, type OutputScriptType } from '@tapbridge/bitcoin';
import type { BlockIndexEntry } from '../chain/block-index.js';
import { blockWeight } from '../consensus/block.js';
import { isCoinbaseTx } from '../consensus/tx-checks.js';
import type { DevnetChain, TxLookup } from '../devnet-chain.js';
import { REGTEST_PARAMS } from '../params.js';
import { difficulty } from '../rpc/format.js';
import { scriptToAsm } from '../script/asm.js';

/** Esplora's scriptpubkey_type names (electrs src/util/script.rs). */
const ESPLORA_SCRIPT_TYPE: Record<OutputScriptType, string> = {
  p2pkh: 'p2pkh',
  p2sh: 'p2sh',
  p2wpkh: 'v0_p2wpkh',
  p2wsh: 'v0_p2wsh',
  p2tr: 'v1_p2tr',
  witness_unknown: 'unknown',
  op_return: 'op_return',
  nonstandard: 'unknown',
};

function outputJson(script: Uint8Array, value: bigint): Record<string, unknown> {
  const address = outputScriptToAddress(script, REGTEST_PARAMS.addressNetwork);
  return {
    scriptpubkey: bytesToHex(script),
    scriptpubkey_asm: scriptToAsm(script),
    scriptpubkey_type: ESPLORA_SCRIPT_TYPE[classifyOutputScript(script).type],
    ...(address === undefined ? {} : { scriptpubkey_address: address }),
    value: Number(value),
  };
}

export function blockStatusJson(node: DevnetChain, entry: BlockIndexEntry | undefined): Record<string, unknown> {
  if (!entry || !node.chain.isActive(entry)) return { confirmed: false };
  return { confirmed: true, block_height: entry.height, block_hash: entry.hash, block_time: entry.block.header.time };
}

export function esploraBlockJson(node: DevnetChain, entry: BlockIndexEntry): Record<string, unknown> {
  const h = entry.block.header;
  return {
    id: entry.hash,
    height: entry.height,
    version: h.version,
    timestamp: h.time,
    tx_count: entry.block.txs.length,
    size: entry.block.raw.length,
    weight: blockWeight(entry.block.raw, entry.block.txs),
    merkle_root: hashToHex(h.merkleRoot),
    previousblockhash: entry.parent ? entry.parent.hash : null,
    mediantime: entry.medianTimePast,
    nonce: h.nonce,
    bits: h.bits,
    difficulty: difficulty(h.bits),
  };
}

export function esploraTxJson(node: DevnetChain, found: TxLookup): Record<string, unknown> {
  const tx: Transaction = found.tx;
  const coinbase = isCoinbaseTx(tx);
  let valueIn = 0n;
  const vin = tx.ins.map((input) => {
    const txid = hashToHex(input.hash);
    const prevout = coinbase ? undefined : node.findPrevout(txid, input.index);
    if (prevout) valueIn += prevout.value;
    return {
      txid,
      vout: input.index,
      prevout: prevout ? outputJson(prevout.script, prevout.value) : null,
      scriptsig: bytesToHex(input.script),
      scriptsig_asm: scriptToAsm(input.script),
      witness: input.witness.map(bytesToHex),
      is_coinbase: coinbase,
      sequence: input.sequence,
    };
  });
  const valueOut = tx.outs.reduce((sum, out) => sum + out.value, 0n);
  return {
    txid: found.txid,
    version: tx.version,
    locktime: tx.locktime,
    vin,
    vout: tx.outs.map((out) => outputJson(out.script, out.value)),
    size: tx.byteLength(),
    weight: tx.weight(),
    fee: coinbase ? 0 : Number(valueIn - valueOut),
    status: blockStatusJson(node, found.entry),
  };
}
