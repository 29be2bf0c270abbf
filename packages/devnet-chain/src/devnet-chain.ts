import fs from 'node:fs';
import path from 'node:path';
import { Transaction } from 'bitcoinjs-lib';
import { pino, type Logger } from 'pino';
import {
  REGTEST,
  ProofOfWorkChecker,
  addressToOutputScript,
  bytesToHex,
  computeMerkleBranch,
  computeMerkleRoot,
  encodeHeader,
  hashToHex,
  hexToBytes,
  sha256d,
  type BlockHeader,
} from '@tapbridge/bitcoin';
import { z } from 'zod';
import type { BlockIndexEntry } from './chain/block-index.js';
import { Chainstate, type ChainTip, type ChainUpdate, type ConnectOptions } from './chain/chainstate.js';
import { outpointKey } from './chain/utxo-set.js';
import { decodeBlock, encodeBlock, type Block } from './consensus/block.js';
import { buildCoinbase } from './consensus/coinbase.js';
import { encodeMerkleBlock } from './consensus/merkle-block.js';
import { RPC_ERROR, RpcError, TxRejectedError } from './errors.js';
import { Mempool, type MempoolChainView, type MempoolEntry } from './mempool/mempool.js';
import { POLICY, REGTEST_GENESIS_BLOCK, REGTEST_PARAMS, blockSubsidy } from './params.js';
import { BlockFile } from './storage/block-file.js';
import { readJsonFile, writeJsonAtomic } from './storage/json-file.js';
import { Keystore, walletFileSchema, type WalletAddressType } from './wallet/keystore.js';
import { Wallet, type WalletChainView, type WalletCoin } from './wallet/wallet.js';

export interface DevnetChainOptions {
  /** Directory for blocks.dat, chainstate.json and wallet.json; omit for a chain that lives in memory only. */
  dataDir?: string;
  /** Wall clock in UNIX seconds (tests inject one); setMockTime overrides it like Core's setmocktime. */
  clock?: () => number;
  logger?: Logger;
  /** Fee rate the wallet pays when the caller gives none (Core's -fallbackfee, in sat/vB). Default 2. */
  walletFeeRateSatPerVb?: number;
  /** Devnet extension: start with the mempool minimum fee raised to this many sat/vB (see setMempoolMinFee). */
  mempoolMinFeeSatPerVb?: number;
  /** Devnet extension: start with the miner leaving out transactions below this many sat/vB (see setMiningFloor). */
  miningFloorSatPerVb?: number;
}

/** The devnet's fee policy knobs, in sat/kvB (Core's CFeeRate unit). */
export interface DevnetFeePolicy {
  /** getmempoolinfo.mempoolminfee: sendrawtransaction refuses less ("mempool min fee not met"). */
  mempoolMinFeeSatPerKvB: bigint;
  /** The miner leaves out transactions paying less (0: no floor). */
  miningFloorSatPerKvB: bigint;
}

/** A devnet fee rate argument in sat/vB (fractions allowed) to sat/kvB; a Core-style -8 error for anything else. */
export function satPerVbToKvB(satPerVb: unknown, what: string): bigint {
  if (typeof satPerVb !== 'number' || !Number.isFinite(satPerVb) || satPerVb < 0 || satPerVb > 1_000_000)
    throw new RpcError(RPC_ERROR.INVALID_PARAMETER, `${what} must be a fee rate in sat/vB from 0 to 1000000, got ${String(satPerVb)}`);
  return BigInt(Math.round(satPerVb * 1000));
}

export interface TxLookup {
  tx: Transaction;
  txid: string;
  /** The confirming block, when the transaction is in the active chain. */
  entry?: BlockIndexEntry;
  position?: number;
  mempool?: MempoolEntry;
}

export interface MempoolAcceptResult {
  txid: string;
  wtxid: string;
  allowed: boolean;
  vsize?: number;
  fee?: bigint;
  rejectReason?: string;
}

const mempoolFileSchema = z.object({ version: z.literal(1), transactions: z.array(z.string().regex(/^(?:[0-9a-f]{2})+$/)) });
const chainstateFileSchema = z.object({ version: z.literal(1), failedBlocks: z.array(z.string().regex(/^[0-9a-f]{64}$/)) });

/** Rolling window of mined fee rates the estimator draws from. */
const FEE_WINDOW_BLOCKS = 6;
const MIN_FEE_RATE_SAT_VB = 1;

/**
 * A local regtest Bitcoin for tapbridge's devnet and tests: real consensus serialization and proof of work,
 * regtest's genesis, subsidy and maturity, a validating mempool, a simple wallet, reorgs and persistence.
 * It is a development tool: it never talks to peers and its wallet keys sit unencrypted on disk.
 */
export class DevnetChain {
  readonly chain: Chainstate;
  readonly mempool = new Mempool();
  readonly wallet: Wallet;
  readonly logger: Logger;
  private mockTime = 0;
  private readonly clock: () => number;
  private readonly blockFile: BlockFile | undefined;
  private readonly feeRatesByBlock = new Map<string, number[]>();
  private readonly walletFeeRate: number;
  private miningFloorSatPerKvB = 0n;
  private readonly proofOfWork = new ProofOfWorkChecker(REGTEST);

  private constructor(
    readonly dataDir: string | undefined,
    keystore: Keystore,
    options: DevnetChainOptions,
  ) {
    this.logger = options.logger ?? pino({ name: 'devnet-chain', level: process.env.LOG_LEVEL ?? 'info' });
    this.clock = options.clock ?? (() => Date.now() / 1000);
    this.walletFeeRate = options.walletFeeRateSatPerVb ?? 2;
    this.chain = new Chainstate(decodeBlock(REGTEST_GENESIS_BLOCK));
    this.wallet = new Wallet(keystore);
    this.blockFile = dataDir === undefined ? undefined : BlockFile.inDir(dataDir);
    if (options.mempoolMinFeeSatPerVb !== undefined) this.mempool.rollingMinFeeSatPerKvB = satPerVbToKvB(options.mempoolMinFeeSatPerVb, 'mempoolMinFeeSatPerVb');
    if (options.miningFloorSatPerVb !== undefined) this.miningFloorSatPerKvB = satPerVbToKvB(options.miningFloorSatPerVb, 'miningFloorSatPerVb');
  }

  /** Opens (or creates) a chain; with a data dir, replays its blocks and restores the wallet and invalid marks. */
  static open(options: DevnetChainOptions = {}): DevnetChain {
    const dataDir = options.dataDir === undefined ? undefined : path.resolve(options.dataDir);
    if (dataDir !== undefined) fs.mkdirSync(dataDir, { recursive: true });
    const walletFile = dataDir === undefined ? undefined : readJsonFile(path.join(dataDir, 'wallet.json'), walletFileSchema);
    const node = new DevnetChain(dataDir, walletFile ? Keystore.fromFile(walletFile) : new Keystore(), options);
    if (node.chain.genesis.hash !== REGTEST_PARAMS.genesisHash) throw new Error('regtest genesis block does not hash to its known hash');
    node.replayDataDir();
    return node;
  }

  private replayDataDir(): void {
    if (this.dataDir === undefined || this.blockFile === undefined) return;
    const { blocks, truncatedBytes } = this.blockFile.load();
    if (truncatedBytes > 0) this.logger.warn({ truncatedBytes }, 'dropped an incomplete block record at the end of blocks.dat');
    for (const raw of blocks) {
      try {
        this.chain.acceptBlock(decodeBlock(raw));
      } catch (e) {
        this.logger.warn({ err: (e as Error).message }, 'skipping a stored block that no longer fits the tree');
      }
    }
    const state = readJsonFile(path.join(this.dataDir, 'chainstate.json'), chainstateFileSchema);
    for (const hash of state?.failedBlocks ?? []) this.chain.restoreFailure(hash);
    // Blocks in our own data dir were validated when first connected: like Core's assumevalid, skip their scripts.
    this.chain.activateBestChain({ scriptsVerified: () => true });
    const restored = this.restoreMempool();
    this.logger.info({ height: this.chain.tip.height, blocks: blocks.length, keys: this.wallet.keystore.all().length, mempool: restored }, 'devnet chain loaded');
  }

  /** Like Core's mempool.dat: pending transactions saved at shutdown are re-validated at start-up. */
  private restoreMempool(): number {
    const file = path.join(this.dataDir!, 'mempool.json');
    const saved = readJsonFile(file, mempoolFileSchema);
    let restored = 0;
    for (const hex of saved?.transactions ?? []) {
      try {
        this.mempool.accept(decodeTransaction(hex), this.mempoolView(), { maxFeeRateSatPerKvB: 0n });
        restored++;
      } catch (e) {
        this.logger.warn({ err: (e as Error).message }, 'dropping a saved mempool transaction that is no longer valid');
      }
    }
    fs.rmSync(file, { force: true });
    return restored;
  }

  /** Saves the mempool (when there is a data dir) and closes the block file. */
  close(): void {
    if (this.dataDir !== undefined) {
      const transactions = [...this.mempool.entries.values()].sort((a, b) => a.time - b.time).map((e) => e.tx.toHex());
      if (transactions.length > 0) writeJsonAtomic(path.join(this.dataDir, 'mempool.json'), { version: 1, transactions });
    }
    this.blockFile?.close();
  }

  // ---- time ----

  /** Current time in UNIX seconds: the mock time when set, else the clock. */
  now(): number {
    return this.mockTime > 0 ? this.mockTime : Math.floor(this.clock());
  }

  /** Core's setmocktime; 0 returns to the clock. */
  setMockTime(unixSeconds: number): void {
    if (!Number.isInteger(unixSeconds) || unixSeconds < 0) throw new RpcError(RPC_ERROR.INVALID_PARAMETER, 'Mocktime must be a non-negative integer');
    this.mockTime = unixSeconds;
  }

  // ---- chain queries ----

  get tip(): BlockIndexEntry {
    return this.chain.tip;
  }

  getBlockHash(height: number): string {
    if (!Number.isInteger(height) || height < 0 || height > this.chain.tip.height) throw new RpcError(RPC_ERROR.INVALID_PARAMETER, 'Block height out of range');
    return this.chain.active[height]!.hash;
  }

  getEntry(hash: string): BlockIndexEntry {
    if (typeof hash !== 'string' || !/^[0-9a-fA-F]{64}$/.test(hash)) throw new RpcError(RPC_ERROR.INVALID_PARAMETER, `blockhash must be of length 64 (not ${String(hash).length}, for '${String(hash)}')`);
    return this.chain.getEntry(hash);
  }

  /** Confirmations as Core reports them: -1 off the active chain. */
  confirmations(entry: BlockIndexEntry): number {
    return this.chain.isActive(entry) ? this.chain.tip.height - entry.height + 1 : -1;
  }

  lookupTransaction(txid: string, blockHash?: string): TxLookup | undefined {
    if (typeof txid !== 'string' || !/^[0-9a-fA-F]{64}$/.test(txid)) throw new RpcError(RPC_ERROR.INVALID_PARAMETER, `txid must be of length 64 (not ${String(txid).length}, for '${String(txid)}')`);
    const id = txid.toLowerCase();
    if (blockHash !== undefined) {
      const entry = this.getEntry(blockHash);
      const position = entry.txids.indexOf(id);
      return position < 0 ? undefined : { tx: entry.block.txs[position]!, txid: id, entry, position };
    }
    const pooled = this.mempool.entries.get(id);
    if (pooled) return { tx: pooled.tx, txid: id, mempool: pooled };
    const confirmed = this.chain.txIndex.get(id);
    if (!confirmed) return undefined;
    return { tx: confirmed.entry.block.txs[confirmed.position]!, txid: id, entry: confirmed.entry, position: confirmed.position };
  }

  /** The output a transaction input spends, from the chain or the mempool (for display, not validation). */
  findPrevout(txid: string, vout: number): { value: bigint; script: Uint8Array } | undefined {
    const coin = this.chain.utxo.get(outpointKey(txid, vout));
    if (coin) return coin;
    const found = this.lookupTransaction(txid);
    return found?.tx.outs[vout];
  }

  // ---- mining ----

  /** generatetoaddress: mines `count` blocks on the tip, each taking mempool transactions by fee rate. */
  generateToAddress(count: number, address: string): string[] {
    const script = this.decodeAddress(address);
    if (!Number.isInteger(count) || count < 0) throw new RpcError(RPC_ERROR.INVALID_PARAMETER, 'nblocks must be a non-negative integer');
    const hashes: string[] = [];
    for (let i = 0; i < count; i++) {
      const parent = this.chain.tip;
      const entries = this.mempool.selectForBlock(REGTEST_PARAMS.maxBlockWeight - REGTEST_PARAMS.blockReservedWeight, this.miningFloorSatPerKvB);
      const block = this.assembleBlock(parent, script, entries.map((e) => e.tx), entries.reduce((fee, e) => fee + e.fee, 0n));
      if (entries.length > 0) this.feeRatesByBlock.set(block.hashHex, entries.map((e) => Number(e.fee) / e.vsize));
      this.submitBlock(block);
      hashes.push(block.hashHex);
      if (this.feeRatesByBlock.size > FEE_WINDOW_BLOCKS) this.pruneFeeWindow();
    }
    return hashes;
  }

  /**
   * Mines `count` blocks on top of `parentHash` (any known block, not only the tip), for building forks.
   * The blocks carry only a coinbase; the chain reorganises to them once they have the most work.
   */
  mineOn(parentHash: string, count: number, address?: string): string[] {
    let parent = this.getEntry(parentHash);
    const script = address === undefined ? this.wallet.keystore.newKey('bech32', 'mining').script : this.decodeAddress(address);
    if (address === undefined) this.persistWallet();
    const hashes: string[] = [];
    for (let i = 0; i < count; i++) {
      const block = this.assembleBlock(parent, script, [], 0n);
      parent = this.submitBlock(block);
      hashes.push(block.hashHex);
    }
    return hashes;
  }

  /**
   * Core's generateblock: mines one block on the tip paying `address`, with exactly `transactions` in that order,
   * each a txid of a mempool transaction or a raw transaction (which need not be in the mempool, e.g. an
   * earlier version of a replaced one). Checked like Core's TestBlockValidity before it is stored. Ignores the
   * mining floor. With `submit` false the block is returned, not added.
   */
  generateBlock(address: string, transactions: readonly string[], submit = true): { hash: string; hex?: string } {
    const script = this.decodeAddress(address);
    const txs = transactions.map((item) => {
      if (/^[0-9a-fA-F]{64}$/.test(item)) {
        const entry = this.mempool.entries.get(item.toLowerCase());
        if (!entry) throw new RpcError(RPC_ERROR.INVALID_ADDRESS_OR_KEY, `Transaction ${item} not in mempool.`);
        return entry.tx;
      }
      try {
        return decodeTransaction(item);
      } catch {
        throw new RpcError(RPC_ERROR.DESERIALIZATION_ERROR, `Transaction decode failed for ${item}. Make sure the tx has at least one input.`);
      }
    });
    const parent = this.chain.tip;
    let fees: bigint;
    try {
      fees = this.chain.testBlockValidity(this.assembleBlock(parent, script, txs, 0n), this.connectOptions());
    } catch (e) {
      if (e instanceof TxRejectedError) throw new RpcError(RPC_ERROR.VERIFY_ERROR, `TestBlockValidity failed: ${e.message}`);
      throw e;
    }
    const block = this.assembleBlock(parent, script, txs, fees);
    if (!submit) return { hash: block.hashHex, hex: bytesToHex(block.raw) };
    this.submitBlock(block);
    return { hash: block.hashHex };
  }

  /**
   * A timestamp Core's header rules accept: after the median time past, at most two hours ahead. Prefers
   * strictly increasing times, falling back to MTP + 1 when mining faster than one block per second.
   */
  private blockTime(parent: BlockIndexEntry): number {
    const now = this.now();
    const latest = now + REGTEST_PARAMS.maxFutureBlockTime - 60;
    const time = Math.max(parent.medianTimePast + 1, Math.min(Math.max(now, parent.block.header.time + 1), latest));
    if (time > now + REGTEST_PARAMS.maxFutureBlockTime)
      throw new RpcError(
        RPC_ERROR.MISC_ERROR,
        'block timestamps have run more than two hours ahead of the clock (blocks mined faster than time passes); advance it with setmocktime',
      );
    return time;
  }

  private assembleBlock(parent: BlockIndexEntry, payoutScript: Uint8Array, txs: readonly Transaction[], fees: bigint): Block {
    const height = parent.height + 1;
    const witnessRoot = computeMerkleRoot([new Uint8Array(32), ...txs.map((tx) => tx.getHash(true))]).root;
    const coinbase = buildCoinbase({ height, payoutScript, value: blockSubsidy(height) + fees, witnessRoot });
    const all = [coinbase, ...txs];
    const header: BlockHeader = {
      version: REGTEST_PARAMS.blockVersion,
      prevHash: parent.block.hash,
      merkleRoot: computeMerkleRoot(all.map((tx) => tx.getHash())).root,
      time: this.blockTime(parent),
      bits: REGTEST_PARAMS.powLimitBits,
      nonce: 0,
    };
    // Grind the nonce: at regtest difficulty about every second hash meets the target.
    let headerBytes = encodeHeader(header);
    let hash = sha256d(headerBytes);
    for (;;) {
      const view = new DataView(headerBytes.buffer, headerBytes.byteOffset, headerBytes.byteLength);
      while (this.proofOfWork.check(hash, header.bits) !== undefined) {
        header.nonce = (header.nonce + 1) >>> 0;
        if (header.nonce === 0) throw new Error('nonce space exhausted at regtest difficulty');
        view.setUint32(76, header.nonce, true);
        hash = sha256d(headerBytes);
      }
      // Re-mining a height after invalidateblock with a frozen clock would rebuild the same block; a later
      // timestamp makes it a new one (Core's functional tests bump mocktime for the same reason).
      if (!this.chain.index.has(hashToHex(hash))) break;
      header.time += 1;
      header.nonce = 0;
      headerBytes = encodeHeader(header);
      hash = sha256d(headerBytes);
    }
    return { header, headerBytes, hash, hashHex: hashToHex(hash), txs: all, raw: encodeBlock(headerBytes, all) };
  }

  private connectOptions(): ConnectOptions {
    return { scriptsVerified: (wtxid) => this.mempool.verifiedScripts.has(wtxid) };
  }

  /** Accepts a block into the tree, stores it, and moves the active chain if it now has the most work. */
  submitBlock(block: Block): BlockIndexEntry {
    const entry = this.chain.acceptBlock(block, this.now());
    this.blockFile?.append(block.raw);
    this.applyUpdate(this.chain.activateBestChain(this.connectOptions()));
    if (entry.failure !== 'none') this.persistChainstate();
    return entry;
  }

  /** Keeps the mempool consistent with the new tip (Core's removeForBlock and MaybeUpdateMempoolForReorg). */
  private applyUpdate(update: ChainUpdate): void {
    if (update.disconnected.length === 0) {
      for (const e of update.connected) {
        this.mempool.removeForBlock(e.block.txs, e.txids);
        for (const tx of e.block.txs) this.mempool.verifiedScripts.delete(hashToHex(tx.getHash(true)));
      }
      return;
    }
    const candidates: Transaction[] = [];
    for (const e of [...update.disconnected].reverse()) candidates.push(...e.block.txs.slice(1));
    candidates.push(...this.mempool.drain().map((e) => e.tx));
    let restored = 0;
    for (const tx of candidates) {
      if (this.chain.txIndex.has(tx.getId())) continue;
      try {
        // Core re-adds disconnected transactions with bypass_limits: the mempool min fee does not apply to them.
        this.mempool.accept(tx, this.mempoolView(), { maxFeeRateSatPerKvB: 0n, bypassLimits: true });
        restored++;
      } catch {
        // No longer valid on the new chain (spent, immature, conflicting): dropped, as Core drops it.
      }
    }
    this.logger.info(
      { disconnected: update.disconnected.length, connected: update.connected.length, tip: this.chain.tip.hash, height: this.chain.tip.height, mempool: restored },
      'chain reorganised',
    );
  }

  private pruneFeeWindow(): void {
    const keep = new Set(this.chain.active.slice(-FEE_WINDOW_BLOCKS).map((e) => e.hash));
    for (const hash of this.feeRatesByBlock.keys()) if (!keep.has(hash)) this.feeRatesByBlock.delete(hash);
  }

  // ---- reorgs ----

  invalidateBlock(hash: string): void {
    this.applyUpdate(this.chain.invalidateBlock(this.getEntry(hash).hash, this.connectOptions()));
    this.persistChainstate();
  }

  reconsiderBlock(hash: string): void {
    this.applyUpdate(this.chain.reconsiderBlock(this.getEntry(hash).hash, this.connectOptions()));
    this.persistChainstate();
  }

  getChainTips(): ChainTip[] {
    return this.chain.chainTips();
  }

  // ---- transactions ----

  mempoolView(): MempoolChainView {
    const tip = this.chain.tip;
    return {
      tipHeight: tip.height,
      tipMedianTimePast: tip.medianTimePast,
      medianTimePastAt: (height) => this.chain.active[height]!.medianTimePast,
      getCoin: (key) => this.chain.utxo.get(key),
      isConfirmed: (txid) => this.chain.txIndex.has(txid),
      now: this.now(),
    };
  }

  /** Core's sendrawtransaction; `maxFeeRateSatPerKvB` 0 disables the fee-rate ceiling. Returns the txid. */
  sendRawTransaction(raw: Uint8Array | string, maxFeeRateSatPerKvB: bigint = POLICY.defaultMaxFeeRateSatPerKvB): string {
    const tx = decodeTransaction(raw);
    try {
      const { entry, replaced } = this.mempool.accept(tx, this.mempoolView(), { maxFeeRateSatPerKvB });
      this.logger.debug({ txid: entry.txid, replaced }, 'transaction accepted to mempool');
      return entry.txid;
    } catch (e) {
      // Core re-announces a transaction it already has (by txid or wtxid) and returns its txid.
      if (e instanceof TxRejectedError && (e.reason === 'txn-already-in-mempool' || e.reason === 'txn-same-nonwitness-data-in-mempool')) return tx.getId();
      throw e;
    }
  }

  /** Core's testmempoolaccept for one transaction or a list of unrelated ones. */
  testMempoolAccept(raws: ReadonlyArray<Uint8Array | string>, maxFeeRateSatPerKvB: bigint = POLICY.defaultMaxFeeRateSatPerKvB): MempoolAcceptResult[] {
    return raws.map((raw) => {
      const tx = decodeTransaction(raw);
      const ids = { txid: tx.getId(), wtxid: hashToHex(tx.getHash(true)) };
      try {
        const { entry } = this.mempool.accept(tx, this.mempoolView(), { maxFeeRateSatPerKvB, dryRun: true });
        return { ...ids, allowed: true, vsize: entry.vsize, fee: entry.fee };
      } catch (e) {
        if (e instanceof TxRejectedError) return { ...ids, allowed: false, rejectReason: e.reason };
        if (e instanceof RpcError && e.code === RPC_ERROR.VERIFY_ERROR) return { ...ids, allowed: false, rejectReason: 'max-fee-exceeded' };
        if (e instanceof RpcError && e.code === RPC_ERROR.VERIFY_ALREADY_IN_CHAIN) return { ...ids, allowed: false, rejectReason: 'txn-already-known' };
        throw e;
      }
    });
  }

  /** gettxoutproof: a CMerkleBlock proving the transactions are in one block. */
  getTxOutProof(txids: readonly string[], blockHash?: string): Uint8Array {
    if (txids.length === 0) throw new RpcError(RPC_ERROR.INVALID_PARAMETER, 'Parameter \'txids\' cannot be empty');
    let entry: BlockIndexEntry | undefined;
    if (blockHash !== undefined) entry = this.getEntry(blockHash);
    else {
      const found = this.lookupTransaction(txids[0]!);
      entry = found?.entry;
      if (!entry) throw new RpcError(RPC_ERROR.INVALID_ADDRESS_OR_KEY, 'Transaction not yet in block');
    }
    const matches = new Set<number>();
    for (const txid of txids) {
      const position = entry.txids.indexOf(txid.toLowerCase());
      if (position < 0) throw new RpcError(RPC_ERROR.INVALID_ADDRESS_OR_KEY, 'Not all transactions found in specified or retrieved block');
      matches.add(position);
    }
    return encodeMerkleBlock(entry.block.headerBytes, entry.block.txs.map((tx) => tx.getHash()), matches);
  }

  /** Esplora's /tx/:txid/merkle-proof for a confirmed transaction. */
  merkleProof(txid: string): { blockHeight: number; merkle: string[]; pos: number } | undefined {
    const found = this.lookupTransaction(txid);
    if (!found?.entry || found.position === undefined) return undefined;
    const branch = computeMerkleBranch(found.entry.block.txs.map((tx) => tx.getHash()), found.position);
    return { blockHeight: found.entry.height, merkle: branch.map(hashToHex), pos: found.position };
  }

  /**
   * Fee rate (sat/vB) for confirmation within `target` blocks: the median rate of what this node mined in its
   * last blocks, raised by the mempool's backlog for short targets; 1 sat/vB when it has seen nothing. Never
   * below the mempool minimum fee or the mining floor (Core clamps estimatesmartfee to mempoolminfee too).
   */
  estimateFeeRate(target: number): number {
    if (!Number.isInteger(target) || target < 1 || target > 1008) throw new RpcError(RPC_ERROR.INVALID_PARAMETER, 'Invalid conf_target, must be between 1 and 1008');
    const rates = this.chain.active.slice(-FEE_WINDOW_BLOCKS).flatMap((e) => this.feeRatesByBlock.get(e.hash) ?? []).sort((a, b) => a - b);
    const median = rates.length > 0 ? rates[Math.floor(rates.length / 2)]! : MIN_FEE_RATE_SAT_VB;
    const pending = [...this.mempool.entries.values()].map((e) => Number(e.fee) / e.vsize).sort((a, b) => b - a);
    const backlog = target <= 2 && pending.length > 0 ? pending[Math.floor(pending.length / 2)]! : 0;
    const floor = Number(this.mempool.minFeeSatPerKvB > this.miningFloorSatPerKvB ? this.mempool.minFeeSatPerKvB : this.miningFloorSatPerKvB) / 1000;
    return Math.max(MIN_FEE_RATE_SAT_VB, median, backlog, floor);
  }

  // ---- devnet extensions: a node under load ----

  get feePolicy(): DevnetFeePolicy {
    return { mempoolMinFeeSatPerKvB: this.mempool.minFeeSatPerKvB, miningFloorSatPerKvB: this.miningFloorSatPerKvB };
  }

  /**
   * Devnet extension (no such call in Core): raises (or lowers) the mempool minimum fee as a full mempool would.
   * sendrawtransaction then refuses anything paying less ("mempool min fee not met"), getmempoolinfo reports it,
   * and fee estimates rise to it. With `evict`, transactions already in the mempool below it are dropped with
   * their descendants, as Core's TrimToSize drops them; by default they stay (and confirm unless the mining
   * floor keeps them out). 0 returns to the min relay fee. Returns the evicted txids.
   */
  setMempoolMinFee(satPerVb: number, options: { evict?: boolean } = {}): string[] {
    this.mempool.rollingMinFeeSatPerKvB = satPerVbToKvB(satPerVb, 'mempool min fee');
    const evicted = options.evict ? this.mempool.evictBelow(this.mempool.minFeeSatPerKvB) : [];
    this.logger.info({ mempoolMinFeeSatPerKvB: String(this.mempool.minFeeSatPerKvB), evicted: evicted.length }, 'devnet: mempool min fee set');
    return evicted;
  }

  /**
   * Devnet extension (Core's -blockmintxfee, settable at run time): generatetoaddress and auto-mining leave out
   * transactions paying less than this (by their own fee rate) and their descendants, so they stay unconfirmed
   * across blocks until replaced by a better-paying version. Fee estimates rise to it. 0 removes the floor.
   * generateblock, which names its transactions, ignores it.
   */
  setMiningFloor(satPerVb: number): void {
    this.miningFloorSatPerKvB = satPerVbToKvB(satPerVb, 'mining floor');
    this.logger.info({ miningFloorSatPerKvB: String(this.miningFloorSatPerKvB) }, 'devnet: mining floor set');
  }

  // ---- wallet ----

  private walletView(): WalletChainView {
    return { tipHeight: this.chain.tip.height, utxo: this.chain.utxo, mempool: this.mempool };
  }

  getNewAddress(type: WalletAddressType = 'bech32', label = ''): string {
    const key = this.wallet.keystore.newKey(type, label);
    this.persistWallet();
    return key.address;
  }

  /**
   * Builds and signs a wallet transaction paying `amount` satoshis to `address` without submitting it
   * (for tests that broadcast through a client). Its inputs stay unspent until it is sent.
   */
  createSignedTransaction(address: string, amount: bigint, options: { feeRateSatPerVb?: number; subtractFeeFromAmount?: boolean } = {}): Uint8Array {
    const script = this.decodeAddress(address);
    if (typeof amount !== 'bigint' || amount <= 0n) throw new RpcError(RPC_ERROR.TYPE_ERROR, 'Invalid amount for send');
    const tx = this.wallet.createTransaction(
      this.walletView(),
      [{ script, value: amount }],
      options.feeRateSatPerVb ?? this.defaultWalletFeeRate(),
      () => this.wallet.keystore.newKey('bech32', '', true),
      options.subtractFeeFromAmount ? 0 : undefined,
    );
    this.persistWallet();
    return tx.toBuffer();
  }

  /** Like Core's wallet: the fallback fee, raised to the mempool min fee (and here to the mining floor, which the estimates follow). */
  private defaultWalletFeeRate(): number {
    const { mempoolMinFeeSatPerKvB, miningFloorSatPerKvB } = this.feePolicy;
    return Math.max(this.walletFeeRate, Number(mempoolMinFeeSatPerKvB) / 1000, Number(miningFloorSatPerKvB) / 1000);
  }

  /** sendtoaddress: pays `amount` satoshis, signs, and submits to the mempool. Returns the txid. */
  sendToAddress(address: string, amount: bigint, options: { feeRateSatPerVb?: number; subtractFeeFromAmount?: boolean } = {}): string {
    return this.sendRawTransaction(this.createSignedTransaction(address, amount, options), 0n);
  }

  /**
   * Core's bumpfee without sending: a replacement of the wallet's own mempool transaction paying
   * `feeRateSatPerVb` (default: the larger of the 6-block estimate and the old rate + 1 sat/vB), from its change.
   */
  createBumpedTransaction(txid: string, options: { feeRateSatPerVb?: number } = {}): { tx: Uint8Array; origFee: bigint; fee: bigint } {
    const entry = typeof txid === 'string' ? this.mempool.entries.get(txid.toLowerCase()) : undefined;
    if (!entry) throw new RpcError(RPC_ERROR.INVALID_ADDRESS_OR_KEY, 'Invalid or non-wallet transaction id');
    const prevouts = entry.tx.ins.map((input) => this.findPrevout(hashToHex(input.hash), input.index)!);
    const rate = options.feeRateSatPerVb ?? Math.max(this.estimateFeeRate(6), Number(entry.fee) / entry.vsize + 1);
    const { tx, fee } = this.wallet.bumpTransaction(entry.tx, prevouts, rate);
    return { tx: tx.toBuffer(), origFee: entry.fee, fee };
  }

  /** Core's bumpfee: replaces the wallet's mempool transaction `txid` with one paying more (see createBumpedTransaction). */
  bumpFee(txid: string, options: { feeRateSatPerVb?: number } = {}): { txid: string; origFee: bigint; fee: bigint } {
    const { tx, origFee, fee } = this.createBumpedTransaction(txid, options);
    return { txid: this.sendRawTransaction(tx, 0n), origFee, fee };
  }

  /** Trusted balance: mature confirmed coins plus the wallet's own unconfirmed change, minus what the mempool spends. */
  getBalance(): bigint {
    return this.wallet.listCoins(this.walletView(), true).reduce((sum, c) => (c.spendable ? sum + c.value : sum), 0n);
  }

  listUnspent(minConf = 1, maxConf = 9_999_999): WalletCoin[] {
    return this.wallet.listCoins(this.walletView(), minConf === 0).filter((c) => c.confirmations >= minConf && c.confirmations <= maxConf);
  }

  /** Secret key of a wallet address, for tests that build their own spends (Core's dumpprivkey). */
  dumpPrivKey(address: string): Uint8Array {
    const key = this.wallet.keystore.byScriptHex(bytesToHex(this.decodeAddress(address)));
    if (!key) throw new RpcError(RPC_ERROR.WALLET_ERROR, `Private key for address ${address} is not known`);
    return key.secretKey;
  }

  decodeAddress(address: string): Uint8Array {
    try {
      return addressToOutputScript(address, REGTEST_PARAMS.addressNetwork);
    } catch {
      throw new RpcError(RPC_ERROR.INVALID_ADDRESS_OR_KEY, 'Error: Invalid address');
    }
  }

  // ---- persistence ----

  /** Bytes of blocks.dat (getblockchaininfo's size_on_disk); 0 in memory. */
  sizeOnDisk(): number {
    if (this.blockFile === undefined || !fs.existsSync(this.blockFile.filePath)) return 0;
    return fs.statSync(this.blockFile.filePath).size;
  }

  private persistWallet(): void {
    if (this.dataDir !== undefined) writeJsonAtomic(path.join(this.dataDir, 'wallet.json'), this.wallet.keystore.toFile());
  }

  private persistChainstate(): void {
    if (this.dataDir !== undefined) writeJsonAtomic(path.join(this.dataDir, 'chainstate.json'), { version: 1, failedBlocks: this.chain.failedBlocks() });
  }
}

/** Core's DecodeHexTx: strict hex, the whole buffer one transaction. */
export function decodeTransaction(raw: Uint8Array | string): Transaction {
  let bytes: Uint8Array;
  try {
    bytes = typeof raw === 'string' ? hexToBytes(raw) : raw;
    return Transaction.fromBuffer(bytes);
  } catch {
    throw new RpcError(RPC_ERROR.DESERIALIZATION_ERROR, 'TX decode failed. Make sure the tx has at least one input.');
  }
}
