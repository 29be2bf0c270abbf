import { REGTEST, ProofOfWorkChecker, blockWork, computeMerkleRoot, equalBytes, hashToHex, witnessCommitmentScript } from '@tapbridge/bitcoin';
import type { Block } from '../consensus/block.js';
import { blockWeight } from '../consensus/block.js';
import { coinbaseHeight, findWitnessCommitment } from '../consensus/coinbase.js';
import { isFinalTx, sequenceLocksSatisfied } from '../consensus/locks.js';
import { checkInputScripts, checkTransaction, checkTxInputs, isCoinbaseTx, wtxidHex } from '../consensus/tx-checks.js';
import { RPC_ERROR, RpcError, TxRejectedError } from '../errors.js';
import { REGTEST_PARAMS, blockSubsidy } from '../params.js';
import { lastCommonAncestor, medianTimePast, type BlockIndexEntry } from './block-index.js';
import { UtxoSet, isUnspendable, outpointKey, type Coin } from './utxo-set.js';

/** A block failed a consensus rule; `reason` is Core's (e.g. "bad-txnmrklroot", "high-hash"). */
export class BlockRejectedError extends TxRejectedError {
  constructor(reason: string, debug?: string) {
    super(RPC_ERROR.VERIFY_ERROR, reason, debug);
  }
}

export interface ChainUpdate {
  /** Blocks taken off the active chain, tip first. */
  disconnected: BlockIndexEntry[];
  /** Blocks added to the active chain, in height order. */
  connected: BlockIndexEntry[];
}

export interface ChainTip {
  height: number;
  hash: string;
  branchlen: number;
  status: 'active' | 'valid-fork' | 'valid-headers' | 'invalid';
}

export interface ConfirmedTx {
  entry: BlockIndexEntry;
  position: number;
}

export interface ConnectOptions {
  /** Scripts already verified (by the mempool, or blocks this node wrote itself) are not run again. */
  scriptsVerified: (wtxid: string, tx: Block['txs'][number]) => boolean;
}

const ZERO_HASH = new Uint8Array(32);

/**
 * The block tree, the active chain and the UTXO set (Core's ChainstateManager, reduced to one node's needs).
 * Best chain = most cumulative work among blocks not marked failed; ties go to the block seen first.
 */
export class Chainstate {
  readonly index = new Map<string, BlockIndexEntry>();
  readonly active: BlockIndexEntry[] = [];
  readonly utxo = new UtxoSet();
  /** Active-chain transactions by txid (this node always runs with -txindex). */
  readonly txIndex = new Map<string, ConfirmedTx>();
  /** Which active-chain input spent each outpoint (Esplora's outspend). */
  readonly spends = new Map<string, { txid: string; vin: number; entry: BlockIndexEntry }>();
  private readonly childless = new Set<BlockIndexEntry>();
  private sequence = 0;
  private readonly proofOfWork = new ProofOfWorkChecker(REGTEST);

  constructor(genesis: Block) {
    const entry = this.newEntry(genesis, undefined);
    entry.validated = true;
    this.index.set(entry.hash, entry);
    this.childless.add(entry);
    // Core never adds the genesis coinbase to the UTXO set or the transaction index.
    this.active.push(entry);
  }

  get tip(): BlockIndexEntry {
    return this.active[this.active.length - 1]!;
  }

  get genesis(): BlockIndexEntry {
    return this.active[0]!;
  }

  isActive(entry: BlockIndexEntry): boolean {
    return this.active[entry.height] === entry;
  }

  private newEntry(block: Block, parent: BlockIndexEntry | undefined): BlockIndexEntry {
    const height = parent ? parent.height + 1 : 0;
    return {
      hash: block.hashHex,
      height,
      block,
      parent,
      children: [],
      chainWork: (parent?.chainWork ?? 0n) + blockWork(block.header.bits),
      medianTimePast: medianTimePast(parent, block.header.time, REGTEST_PARAMS.medianTimeSpan),
      sequence: this.sequence++,
      failure: parent && parent.failure !== 'none' ? 'child' : 'none',
      validated: false,
      txids: block.txs.map((tx) => tx.getId()),
      undo: undefined,
    };
  }

  /**
   * Adds a block to the tree after the header rules (Core's ContextualCheckBlockHeader on regtest);
   * `now` enables the two-hour future limit. Does not change the active chain.
   */
  acceptBlock(block: Block, now?: number): BlockIndexEntry {
    if (this.index.has(block.hashHex)) throw new BlockRejectedError('duplicate');
    const parent = this.index.get(hashToHex(block.header.prevHash));
    if (!parent) throw new BlockRejectedError('prev-blk-not-found');
    if (parent.failure !== 'none') throw new BlockRejectedError('bad-prevblk');
    const { header } = block;
    if (header.bits !== REGTEST_PARAMS.powLimitBits) throw new BlockRejectedError('bad-diffbits', 'incorrect proof of work');
    if (this.proofOfWork.check(block.hash, header.bits) !== undefined) throw new BlockRejectedError('high-hash', 'proof of work failed');
    if (header.time <= parent.medianTimePast) throw new BlockRejectedError('time-too-old', "block's timestamp is too early");
    if (now !== undefined && header.time > now + REGTEST_PARAMS.maxFutureBlockTime)
      throw new BlockRejectedError('time-too-new', 'block timestamp too far in the future');
    if (header.version < 4) throw new BlockRejectedError(`bad-version(0x${(header.version >>> 0).toString(16).padStart(8, '0')})`);
    const entry = this.newEntry(block, parent);
    this.index.set(entry.hash, entry);
    parent.children.push(entry);
    this.childless.delete(parent);
    this.childless.add(entry);
    return entry;
  }

  /** The valid block with the most work; the current tip wins ties, then the earliest seen. */
  private bestCandidate(): BlockIndexEntry {
    let best: BlockIndexEntry | undefined;
    const consider = (e: BlockIndexEntry): void => {
      if (
        !best ||
        e.chainWork > best.chainWork ||
        (e.chainWork === best.chainWork && best !== this.tip && (e === this.tip || e.sequence < best.sequence))
      )
        best = e;
    };
    for (const tip of this.childless) {
      let e: BlockIndexEntry = tip;
      while (e.failure !== 'none' && e.parent) e = e.parent;
      consider(e);
    }
    consider(this.tip);
    return best!;
  }

  /** Core's ActivateBestChain: reorganise to the best valid chain, marking blocks that fail validation. */
  activateBestChain(options: ConnectOptions): ChainUpdate {
    const update: ChainUpdate = { disconnected: [], connected: [] };
    for (;;) {
      const best = this.bestCandidate();
      if (best === this.tip) return update;
      const fork = lastCommonAncestor(this.tip, best);
      while (this.tip !== fork) update.disconnected.push(this.disconnectTip());
      const path: BlockIndexEntry[] = [];
      for (let e: BlockIndexEntry | undefined = best; e && e !== fork; e = e.parent) path.unshift(e);
      for (const entry of path) {
        try {
          this.connectBlock(entry, options);
          update.connected.push(entry);
        } catch (e) {
          if (!(e instanceof TxRejectedError)) throw e;
          this.markFailed(entry);
          break;
        }
      }
    }
  }

  private markFailed(entry: BlockIndexEntry): void {
    entry.failure = 'self';
    const queue = [...entry.children];
    while (queue.length > 0) {
      const e = queue.pop()!;
      if (e.failure === 'none') e.failure = 'child';
      queue.push(...e.children);
    }
  }

  /**
   * Core's TestBlockValidity: would `block` connect on the current tip? Returns the fees its transactions pay;
   * throws BlockRejectedError/TxRejectedError. Changes nothing (the block is not added to the tree).
   */
  testBlockValidity(block: Block, options: ConnectOptions): bigint {
    if (hashToHex(block.header.prevHash) !== this.tip.hash) throw new BlockRejectedError('inconclusive-not-best-prevblk');
    return this.connectBlock(this.newEntry(block, this.tip), options, true);
  }

  /** Core's ConnectBlock for a block whose parent is the tip. Throws BlockRejectedError/TxRejectedError, changing nothing. */
  private connectBlock(entry: BlockIndexEntry, options: ConnectOptions, dryRun = false): bigint {
    const { block, height } = entry;
    const prev = entry.parent!;
    const txs = block.txs;
    if (txs.length === 0 || !isCoinbaseTx(txs[0]!)) throw new BlockRejectedError('bad-cb-missing', 'first tx is not coinbase');
    if (txs.slice(1).some(isCoinbaseTx)) throw new BlockRejectedError('bad-cb-multiple', 'more than one coinbase');
    if (new Set(entry.txids).size !== txs.length) throw new BlockRejectedError('bad-txns-duplicate', 'duplicate transaction');
    const { root, mutated } = computeMerkleRoot(txs.map((tx) => tx.getHash()));
    if (!equalBytes(root, block.header.merkleRoot)) throw new BlockRejectedError('bad-txnmrklroot', 'hashMerkleRoot mismatch');
    // CVE-2012-2459: a tree with a duplicated subtree has the same root as the honest block.
    if (mutated) throw new BlockRejectedError('bad-txns-duplicate', 'duplicate transaction');
    if (coinbaseHeight(txs[0]!) !== height) throw new BlockRejectedError('bad-cb-height', 'block height mismatch in coinbase');
    this.checkWitnessCommitment(block);
    if (blockWeight(block.raw, txs) > REGTEST_PARAMS.maxBlockWeight) throw new BlockRejectedError('bad-blk-weight', 'weight limit failed');

    const added = new Map<string, Coin>();
    const spentKeys = new Set<string>();
    const undo: Array<[string, Coin]> = [];
    const coinAt = (key: string): Coin | undefined => added.get(key) ?? (spentKeys.has(key) ? undefined : this.utxo.get(key));
    let fees = 0n;
    txs.forEach((tx, i) => {
      const txid = entry.txids[i]!;
      checkTransaction(tx);
      if (i > 0) {
        if (!isFinalTx(tx, height, prev.medianTimePast)) throw new BlockRejectedError('bad-txns-nonfinal', 'non-final transaction');
        const keys = tx.ins.map((input) => outpointKey(hashToHex(input.hash), input.index));
        const coins = keys.map((key) => {
          const coin = coinAt(key);
          if (!coin) throw new BlockRejectedError('bad-txns-inputs-missingorspent', `${txid} spends ${key}`);
          return coin;
        });
        fees += checkTxInputs(tx, coins, height);
        const times = coins.map((c) => ({ height: c.height, medianTimePastBefore: this.medianTimePastAt(Math.max(c.height - 1, 0), prev) }));
        if (!sequenceLocksSatisfied(tx, times, height, prev.medianTimePast)) throw new BlockRejectedError('bad-txns-nonfinal', 'contains a non-BIP68-final transaction');
        if (!options.scriptsVerified(wtxidHex(tx), tx)) checkInputScripts(tx, coins);
        keys.forEach((key, k) => {
          if (added.delete(key)) return;
          spentKeys.add(key);
          undo.push([key, coins[k]!]);
        });
      }
      tx.outs.forEach((out, vout) => {
        if (isUnspendable(out.script)) return;
        const key = outpointKey(txid, vout);
        // BIP30: a transaction may not overwrite outputs that are still unspent.
        if (this.utxo.get(key) !== undefined && !spentKeys.has(key)) throw new BlockRejectedError('bad-txns-BIP30', 'tried to overwrite transaction');
        added.set(key, { value: out.value, script: out.script, height, coinbase: i === 0 });
      });
    });
    const coinbaseValue = txs[0]!.outs.reduce((sum, out) => sum + out.value, 0n);
    if (coinbaseValue > blockSubsidy(height) + fees) throw new BlockRejectedError('bad-cb-amount', 'coinbase pays too much');
    if (dryRun) return fees;

    for (const [key] of undo) this.utxo.remove(key);
    for (const [key, coin] of added) this.utxo.add(key, coin);
    entry.undo = undo;
    entry.validated = true;
    txs.forEach((tx, i) => {
      const txid = entry.txids[i]!;
      this.txIndex.set(txid, { entry, position: i });
      if (i > 0) tx.ins.forEach((input, vin) => this.spends.set(outpointKey(hashToHex(input.hash), input.index), { txid, vin, entry }));
    });
    this.active.push(entry);
    return fees;
  }

  /** BIP141: the coinbase commits to all wtxids whenever any transaction has witness data. */
  private checkWitnessCommitment(block: Block): void {
    const [coinbase, ...rest] = block.txs;
    const commitment = findWitnessCommitment(coinbase!);
    if (commitment === undefined) {
      if (rest.some((tx) => tx.hasWitnesses())) throw new BlockRejectedError('unexpected-witness');
      return;
    }
    const reserved = coinbase!.ins[0]!.witness;
    if (reserved.length !== 1 || reserved[0]!.length !== 32) throw new BlockRejectedError('bad-witness-nonce-size');
    const witnessRoot = computeMerkleRoot([ZERO_HASH, ...rest.map((tx) => tx.getHash(true))]).root;
    const expected = witnessCommitmentScript(witnessRoot).subarray(6, 38);
    if (!equalBytes(expected, commitment)) throw new BlockRejectedError('bad-witness-merkle-match');
  }

  /** Median time past of the ancestor of `from` at `height`. */
  private medianTimePastAt(height: number, from: BlockIndexEntry): number {
    const active = this.active[height];
    if (active && this.isActive(from) && height <= from.height) return active.medianTimePast;
    let e: BlockIndexEntry | undefined = from;
    while (e && e.height > height) e = e.parent;
    return e?.medianTimePast ?? 0;
  }

  /** Core's DisconnectBlock for the tip: remove its outputs, restore the coins it spent. */
  private disconnectTip(): BlockIndexEntry {
    const entry = this.tip;
    if (entry.height === 0) throw new Error('cannot disconnect the genesis block');
    const txs = entry.block.txs;
    for (let i = txs.length - 1; i >= 0; i--) {
      const txid = entry.txids[i]!;
      txs[i]!.outs.forEach((out, vout) => {
        if (!isUnspendable(out.script)) this.utxo.remove(outpointKey(txid, vout));
      });
      if (this.txIndex.get(txid)?.entry === entry) this.txIndex.delete(txid);
      if (i > 0) txs[i]!.ins.forEach((input) => this.spends.delete(outpointKey(hashToHex(input.hash), input.index)));
    }
    for (const [key, coin] of entry.undo ?? []) this.utxo.add(key, coin);
    entry.undo = undefined;
    this.active.pop();
    return entry;
  }

  getEntry(hash: string): BlockIndexEntry {
    const entry = this.index.get(hash.toLowerCase());
    if (!entry) throw new RpcError(RPC_ERROR.INVALID_ADDRESS_OR_KEY, 'Block not found');
    return entry;
  }

  /** Core's invalidateblock: mark the block and its descendants failed, then move to the best remaining chain. */
  invalidateBlock(hash: string, options: ConnectOptions): ChainUpdate {
    const entry = this.getEntry(hash);
    if (entry.height === 0) throw new RpcError(RPC_ERROR.INVALID_PARAMETER, 'Cannot invalidate the genesis block');
    this.markFailed(entry);
    const disconnected: BlockIndexEntry[] = [];
    while (this.isActive(entry)) disconnected.push(this.disconnectTip());
    const update = this.activateBestChain(options);
    return { disconnected: [...disconnected, ...update.disconnected], connected: update.connected };
  }

  /** Core's reconsiderblock: clear failure marks on the block, its descendants and ancestors, then re-activate. */
  reconsiderBlock(hash: string, options: ConnectOptions): ChainUpdate {
    const entry = this.getEntry(hash);
    const queue = [entry];
    while (queue.length > 0) {
      const e = queue.pop()!;
      e.failure = 'none';
      queue.push(...e.children);
    }
    for (let e = entry.parent; e; e = e.parent) e.failure = 'none';
    return this.activateBestChain(options);
  }

  /** Hashes of blocks marked failed themselves (what persists across restarts). */
  failedBlocks(): string[] {
    return [...this.index.values()].filter((e) => e.failure === 'self').map((e) => e.hash);
  }

  /** Re-applies persisted failure marks before the first activation after a restart. */
  restoreFailure(hash: string): void {
    const entry = this.index.get(hash);
    if (entry) this.markFailed(entry);
  }

  /** Core's getchaintips: every childless block plus the active tip, with the length of its branch. */
  chainTips(): ChainTip[] {
    const tips = new Set(this.childless);
    tips.add(this.tip);
    return [...tips]
      .map((tip) => {
        let fork: BlockIndexEntry = tip;
        while (!this.isActive(fork)) fork = fork.parent!;
        const status: ChainTip['status'] =
          tip === this.tip ? 'active' : tip.failure !== 'none' ? 'invalid' : tip.validated ? 'valid-fork' : 'valid-headers';
        return { height: tip.height, hash: tip.hash, branchlen: tip.height - fork.height, status };
      })
      .sort((a, b) => b.height - a.height);
  }

  /** Next block in the active chain, for getblockheader's nextblockhash. */
  nextActive(entry: BlockIndexEntry): BlockIndexEntry | undefined {
    return this.isActive(entry) ? this.active[entry.height + 1] : undefined;
  }
}
