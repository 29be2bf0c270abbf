// The pipeline's Bitcoin sources: blocks (checked against the validated header), fee estimates, broadcast to
// every source, and mempool status. Sources are data, not truth: confirmations come from the header chain.
import { Injectable, Logger } from '@nestjs/common';
import { checkBlockCommitments, hashToHex, hexToBytes, parseBlock, type Block } from '@tapbridge/bitcoin';
import { createChainSources, type ChainSource, type TxStatus } from '@tapbridge/chain-source';
import { InjectConfig } from '@tapbridge/runtime/nest';
import type { SweepCoordinatorConfig } from './config.js';
import { sweepFeeRate } from './metrics.js';

export interface BroadcastOutcome {
  accepted: string[];
  refused: Array<{ source: string; error: string }>;
}

@Injectable()
export class BitcoinService {
  private readonly logger = new Logger('BitcoinService');
  readonly sources: readonly ChainSource[];
  private lastRate: number | undefined;

  constructor(@InjectConfig() private readonly config: SweepCoordinatorConfig) {
    this.sources = createChainSources(config.BTC_SOURCES);
  }

  /** The block a validated header names: the first source whose bytes start with that header and match it. */
  async block(ref: { hash: string; header: string }): Promise<Block> {
    const failures: string[] = [];
    for (const source of this.sources) {
      try {
        const raw = await source.getRawBlock(ref.hash);
        if (Buffer.compare(Buffer.from(raw.subarray(0, 80)), Buffer.from(hexToBytes(ref.header))) !== 0) throw new Error('served block does not start with the validated header');
        const block = parseBlock(raw);
        if (hashToHex(block.hash) !== ref.hash) throw new Error('served block has another hash');
        checkBlockCommitments(block);
        return block;
      } catch (err) {
        failures.push(`${source.name}: ${(err as Error).message}`);
      }
    }
    throw new Error(`block ${ref.hash}: no source served it (${failures.join('; ')})`);
  }

  /** The sources' estimate for FEE_TARGET_BLOCKS, clamped to the configured bounds (the floor when none answers). */
  async feeRate(): Promise<number> {
    const { FEE_TARGET_BLOCKS: target, FEE_RATE_MIN_SAT_VB: min, FEE_RATE_MAX_SAT_VB: max } = this.config;
    const estimates: number[] = [];
    for (const source of this.sources) {
      try {
        estimates.push(await source.estimateFeeRate(target));
      } catch (err) {
        this.logger.debug(`${source.name}: no fee estimate (${(err as Error).message})`);
      }
    }
    // The highest estimate: a sweep that underpays waits K blocks for its replacement.
    const rate = Math.min(max, Math.max(min, ...estimates));
    this.lastRate = rate;
    sweepFeeRate.set(rate);
    return rate;
  }

  get cachedFeeRate(): number | undefined {
    return this.lastRate;
  }

  /** Sends the transaction to every source; success when at least one has it now. */
  async broadcast(rawHex: string): Promise<BroadcastOutcome> {
    const out: BroadcastOutcome = { accepted: [], refused: [] };
    await Promise.all(
      this.sources.map(async (source) => {
        try {
          const r = await source.broadcastTransaction(rawHex);
          out.accepted.push(`${source.name}:${r.status}`);
        } catch (err) {
          out.refused.push({ source: source.name, error: (err as Error).message });
        }
      }),
    );
    return out;
  }

  /** What the first answering source says about a transaction (for the API; confirmations come from headers). */
  async txStatus(txid: string): Promise<TxStatus | undefined> {
    for (const source of this.sources) {
      try {
        return await source.txStatus(txid);
      } catch {
        // next source
      }
    }
    return undefined;
  }

  async merkleProof(txid: string, blockHash: string): Promise<string | undefined> {
    for (const source of this.sources) {
      try {
        return Buffer.from(await source.getTxMerkleProof(txid, blockHash)).toString('hex');
      } catch {
        // next source
      }
    }
    return undefined;
  }
}
