import { bytesToHex } from '@tapbridge/bitcoin';
import { btcNumber, satsFromBtc } from '../amount.js';
import type { DevnetChain } from '../devnet-chain.js';
import { RPC_ERROR, RpcError } from '../errors.js';
import { POLICY, REGTEST_PARAMS } from '../params.js';
import { blockHeaderJson, blockJson, difficulty, mempoolEntryJson, scriptPubKeyJson, transactionJson } from './format.js';
import { RpcParams } from './params.js';

export const DEVNET_WARNING = 'devnet-chain: a local development chain, not a node for real money';

export interface RpcMethod {
  /** Parameter names in positional order (also used to map named parameters). */
  params: readonly string[];
  handler: (node: DevnetChain, p: RpcParams) => unknown;
}

/** BTC/kvB (Core's unit for fee rates) to sat/kvB. */
const feeRateFromBtcPerKvB = (value: unknown): bigint => satsFromBtc(value);

/** A devnet extension's fee rate parameter, in sat/vB. */
function requiredFeeRate(p: RpcParams, i: number): number {
  const rate = p.optionalNumber(i);
  if (rate === undefined) throw new RpcError(RPC_ERROR.MISC_ERROR, 'missing required parameter feerate_sat_vb');
  return rate;
}

/** The devnet's fee knobs, in Core's BTC/kvB and in sat/vB. */
function feePolicyJson(node: DevnetChain): Record<string, number> {
  const { mempoolMinFeeSatPerKvB, miningFloorSatPerKvB } = node.feePolicy;
  return {
    mempoolminfee: btcNumber(mempoolMinFeeSatPerKvB),
    miningfloor: btcNumber(miningFloorSatPerKvB),
    mempoolminfee_sat_vb: Number(mempoolMinFeeSatPerKvB) / 1000,
    miningfloor_sat_vb: Number(miningFloorSatPerKvB) / 1000,
  };
}

function txNotFound(): RpcError {
  return new RpcError(RPC_ERROR.INVALID_ADDRESS_OR_KEY, 'No such mempool or blockchain transaction. Use gettransaction for wallet transactions.');
}

/** The Bitcoin Core RPC subset tapbridge uses, with Core's parameter order, result shapes and errors. */
export const RPC_METHODS: Readonly<Record<string, RpcMethod>> = {
  getblockchaininfo: {
    params: [],
    handler: (node) => {
      const tip = node.tip;
      return {
        chain: REGTEST_PARAMS.chainName,
        blocks: tip.height,
        headers: Math.max(...node.getChainTips().filter((t) => t.status !== 'invalid').map((t) => t.height)),
        bestblockhash: tip.hash,
        bits: (tip.block.header.bits >>> 0).toString(16).padStart(8, '0'),
        difficulty: difficulty(tip.block.header.bits),
        time: tip.block.header.time,
        mediantime: tip.medianTimePast,
        verificationprogress: 1,
        initialblockdownload: false,
        chainwork: tip.chainWork.toString(16).padStart(64, '0'),
        size_on_disk: node.sizeOnDisk(),
        pruned: false,
        warnings: [DEVNET_WARNING],
      };
    },
  },
  getblockcount: { params: [], handler: (node) => node.tip.height },
  getbestblockhash: { params: [], handler: (node) => node.tip.hash },
  getblockhash: { params: ['height'], handler: (node, p) => node.getBlockHash(p.integer(0)) },
  getblockheader: {
    params: ['blockhash', 'verbose'],
    handler: (node, p) => {
      const entry = node.getEntry(p.string(0));
      return p.optionalBool(1, true) ? blockHeaderJson(node, entry) : bytesToHex(entry.block.headerBytes);
    },
  },
  getblock: {
    params: ['blockhash', 'verbosity'],
    handler: (node, p) => {
      const entry = node.getEntry(p.string(0));
      const verbosity = p.boolOrInt(1, 1);
      if (verbosity === 0) return bytesToHex(entry.block.raw);
      return blockJson(node, entry, verbosity >= 2 ? 2 : 1);
    },
  },
  getrawtransaction: {
    params: ['txid', 'verbose', 'blockhash'],
    handler: (node, p) => {
      const txid = p.string(0);
      const verbose = p.boolOrInt(1, 0);
      const blockHash = p.optionalString(2);
      const found = node.lookupTransaction(txid, blockHash);
      if (!found) {
        if (blockHash !== undefined) throw new RpcError(RPC_ERROR.INVALID_ADDRESS_OR_KEY, 'No such transaction found in the provided block. Use gettransaction for wallet transactions.');
        throw txNotFound();
      }
      if (verbose === 0) return bytesToHex(found.tx.toBuffer());
      const json = transactionJson(found.tx, found.txid);
      if (blockHash !== undefined) json.in_active_chain = found.entry !== undefined && node.chain.isActive(found.entry);
      if (found.entry) {
        json.blockhash = found.entry.hash;
        json.confirmations = node.confirmations(found.entry);
        json.time = found.entry.block.header.time;
        json.blocktime = found.entry.block.header.time;
      }
      return json;
    },
  },
  gettxout: {
    params: ['txid', 'n', 'include_mempool'],
    handler: (node, p) => {
      const txid = p.string(0).toLowerCase();
      const vout = p.integer(1);
      const includeMempool = p.optionalBool(2, true);
      const key = `${txid}:${vout}`;
      if (includeMempool && node.mempool.spentBy.has(key)) return null;
      const coin = node.chain.utxo.get(key);
      if (coin) {
        return {
          bestblock: node.tip.hash,
          confirmations: node.tip.height - coin.height + 1,
          value: btcNumber(coin.value),
          scriptPubKey: scriptPubKeyJson(coin.script),
          coinbase: coin.coinbase,
        };
      }
      const pooled = includeMempool ? node.mempool.entries.get(txid)?.tx.outs[vout] : undefined;
      if (!pooled) return null;
      return { bestblock: node.tip.hash, confirmations: 0, value: btcNumber(pooled.value), scriptPubKey: scriptPubKeyJson(pooled.script), coinbase: false };
    },
  },
  gettxoutproof: {
    params: ['txids', 'blockhash'],
    handler: (node, p) => bytesToHex(node.getTxOutProof(p.stringArray(0), p.optionalString(1))),
  },
  estimatesmartfee: {
    params: ['conf_target', 'estimate_mode'],
    handler: (node, p) => {
      const target = p.integer(0);
      const mode = p.optionalString(1) ?? 'conservative';
      if (!['unset', 'economical', 'conservative'].includes(mode.toLowerCase())) throw new RpcError(RPC_ERROR.INVALID_PARAMETER, 'Invalid estimate_mode parameter, must be one of: "unset", "economical", "conservative"');
      const satPerVb = node.estimateFeeRate(target);
      // sat/vB → BTC/kvB, rounded to whole satoshis per kvB as Core's CFeeRate prints it.
      return { feerate: Number((Math.ceil(satPerVb * 1000) / 1e8).toFixed(8)), blocks: target };
    },
  },
  sendrawtransaction: {
    params: ['hexstring', 'maxfeerate', 'maxburnamount'],
    handler: (node, p) => {
      const hex = p.string(0);
      const maxFeeRate = p.optionalAmount(1);
      return node.sendRawTransaction(hex, maxFeeRate === undefined ? undefined : feeRateFromBtcPerKvB(maxFeeRate));
    },
  },
  testmempoolaccept: {
    params: ['rawtxs', 'maxfeerate'],
    handler: (node, p) => {
      const raws = p.stringArray(0);
      if (raws.length === 0 || raws.length > 25) throw new RpcError(RPC_ERROR.INVALID_PARAMETER, 'Array must contain between 1 and 25 transactions.');
      const maxFeeRate = p.optionalAmount(1);
      return node.testMempoolAccept(raws, maxFeeRate === undefined ? undefined : feeRateFromBtcPerKvB(maxFeeRate)).map((r) =>
        r.allowed
          ? {
              txid: r.txid,
              wtxid: r.wtxid,
              allowed: true,
              vsize: r.vsize,
              fees: { base: btcNumber(r.fee!), 'effective-feerate': btcNumber((r.fee! * 1000n) / BigInt(r.vsize!)), 'effective-includes': [r.wtxid] },
            }
          : { txid: r.txid, wtxid: r.wtxid, allowed: false, 'reject-reason': r.rejectReason },
      );
    },
  },
  getrawmempool: {
    params: ['verbose', 'mempool_sequence'],
    handler: (node, p) => {
      if (!p.optionalBool(0, false)) return [...node.mempool.entries.keys()];
      const out: Record<string, unknown> = {};
      for (const e of node.mempool.entries.values()) out[e.txid] = mempoolEntryJson(node, e);
      return out;
    },
  },
  getmempoolentry: {
    params: ['txid'],
    handler: (node, p) => {
      const txid = p.string(0);
      if (!/^[0-9a-fA-F]{64}$/.test(txid)) throw new RpcError(RPC_ERROR.INVALID_PARAMETER, `txid must be of length 64 (not ${txid.length}, for '${txid}')`);
      const entry = node.mempool.entries.get(txid.toLowerCase());
      if (!entry) throw new RpcError(RPC_ERROR.INVALID_ADDRESS_OR_KEY, 'Transaction not in mempool');
      return mempoolEntryJson(node, entry);
    },
  },
  getmempoolinfo: {
    params: [],
    handler: (node) => {
      const entries = [...node.mempool.entries.values()];
      return {
        loaded: true,
        size: entries.length,
        bytes: entries.reduce((n, e) => n + e.vsize, 0),
        usage: entries.reduce((n, e) => n + e.weight, 0),
        total_fee: btcNumber(entries.reduce((n, e) => n + e.fee, 0n)),
        maxmempool: 300_000_000,
        mempoolminfee: btcNumber(node.mempool.minFeeSatPerKvB),
        minrelaytxfee: btcNumber(POLICY.minRelayFeeSatPerKvB),
        incrementalrelayfee: 0.00001,
        unbroadcastcount: 0,
        fullrbf: true,
      };
    },
  },
  generatetoaddress: {
    params: ['nblocks', 'address', 'maxtries'],
    handler: (node, p) => node.generateToAddress(p.integer(0), p.string(1)),
  },
  generateblock: {
    params: ['output', 'transactions', 'submit'],
    handler: (node, p) => node.generateBlock(p.string(0), p.stringArray(1), p.optionalBool(2, true)),
  },
  // ---- devnet extensions (not in Bitcoin Core): act like a node under load. Fee rates in sat/vB. ----
  devnet_setmempoolminfee: {
    params: ['feerate_sat_vb', 'evict'],
    handler: (node, p) => {
      const evicted = node.setMempoolMinFee(requiredFeeRate(p, 0), { evict: p.optionalBool(1, false) });
      return { ...feePolicyJson(node), evicted };
    },
  },
  devnet_setminingfloor: {
    params: ['feerate_sat_vb'],
    handler: (node, p) => {
      node.setMiningFloor(requiredFeeRate(p, 0));
      return feePolicyJson(node);
    },
  },
  devnet_getfeepolicy: { params: [], handler: (node) => feePolicyJson(node) },
  getnewaddress: {
    params: ['label', 'address_type'],
    handler: (node, p) => {
      const type = p.optionalString(1) ?? 'bech32';
      if (type !== 'bech32' && type !== 'bech32m') throw new RpcError(RPC_ERROR.INVALID_ADDRESS_OR_KEY, `Unknown address type '${type}' (devnet-chain supports bech32 and bech32m)`);
      return node.getNewAddress(type, p.optionalString(0) ?? '');
    },
  },
  sendtoaddress: {
    params: ['address', 'amount', 'comment', 'comment_to', 'subtractfeefromamount', 'replaceable', 'conf_target', 'estimate_mode', 'avoid_reuse', 'fee_rate', 'verbose'],
    handler: (node, p) => {
      const feeRate = p.optionalNumber(9);
      return node.sendToAddress(p.string(0), satsFromBtc(p.amount(1)), {
        subtractFeeFromAmount: p.optionalBool(4, false),
        ...(feeRate === undefined ? {} : { feeRateSatPerVb: feeRate }),
      });
    },
  },
  bumpfee: {
    params: ['txid', 'options'],
    handler: (node, p) => {
      const options = p.optionalObject(1) ?? {};
      for (const key of Object.keys(options)) if (key !== 'fee_rate') throw new RpcError(RPC_ERROR.INVALID_PARAMETER, `Unsupported option ${key} (devnet-chain supports fee_rate)`);
      const feeRate = options.fee_rate;
      if (feeRate !== undefined && (typeof feeRate !== 'number' || !(feeRate > 0))) throw new RpcError(RPC_ERROR.INVALID_PARAMETER, 'Invalid fee_rate (sat/vB)');
      const r = node.bumpFee(p.string(0), feeRate === undefined ? {} : { feeRateSatPerVb: feeRate });
      return { txid: r.txid, origfee: btcNumber(r.origFee), fee: btcNumber(r.fee), errors: [] };
    },
  },
  getbalance: { params: ['dummy', 'minconf', 'include_watchonly', 'avoid_reuse'], handler: (node) => btcNumber(node.getBalance()) },
  listunspent: {
    params: ['minconf', 'maxconf', 'addresses', 'include_unsafe', 'query_options'],
    handler: (node, p) => {
      const addresses = p.optionalStringArray(2);
      const wanted = addresses === undefined ? undefined : new Set(addresses);
      return node
        .listUnspent(p.optionalInteger(0, 1), p.optionalInteger(1, 9_999_999))
        .filter((c) => wanted === undefined || wanted.has(c.key.address))
        .map((c) => ({
        txid: c.txid,
        vout: c.vout,
        address: c.key.address,
        label: c.key.label,
        scriptPubKey: bytesToHex(c.key.script),
        amount: btcNumber(c.value),
        confirmations: c.confirmations,
        spendable: c.spendable,
        solvable: true,
        safe: true,
      }));
    },
  },
  getchaintips: { params: [], handler: (node) => node.getChainTips() },
  invalidateblock: {
    params: ['blockhash'],
    handler: (node, p) => {
      node.invalidateBlock(p.string(0));
      return null;
    },
  },
  reconsiderblock: {
    params: ['blockhash'],
    handler: (node, p) => {
      node.reconsiderBlock(p.string(0));
      return null;
    },
  },
  setmocktime: {
    params: ['timestamp'],
    handler: (node, p) => {
      node.setMockTime(p.integer(0));
      return null;
    },
  },
  getnetworkinfo: {
    params: [],
    handler: () => ({
      version: 290000,
      subversion: '/devnet-chain:0.1.0/',
      protocolversion: 70016,
      localservices: '0000000000000c09',
      networkactive: false,
      connections: 0,
      relayfee: 0.00001,
      incrementalfee: 0.00001,
      warnings: [DEVNET_WARNING],
    }),
  },
  uptime: { params: [], handler: () => Math.floor(process.uptime()) },
};
