// A HeaderSource over headers held in memory, whose best chain a test sets and can make lie.
import { headerHashHex, hexToBytes, networkParams, type NetworkName } from '@tapbridge/bitcoin';
import type { HeaderSource, SourceTip } from '../source.js';

export class MemoryHeaderSource implements HeaderSource {
  private readonly byHash = new Map<string, Uint8Array>();
  /** Best chain: hash at each height from 0. */
  private best: string[] = [];
  /** Calls made, by method: tests assert a benched source is left alone. */
  readonly calls = { getTip: 0, getBlockHash: 0, getHeader: 0 };
  /** When set, getHeader answers with whatever this returns (tamper, truncate, swap). */
  serveHeader: ((hash: string, raw: Uint8Array) => Uint8Array) | undefined;
  /** When set, every call fails with this error (an unreachable source). */
  down: Error | undefined;

  constructor(
    readonly name: string,
    network: NetworkName = 'regtest',
  ) {
    const genesis = hexToBytes(networkParams(network).genesisHeader);
    this.byHash.set(headerHashHex(genesis), genesis);
    this.best = [headerHashHex(genesis)];
  }

  /** Make the best chain genesis followed by `raws` (consecutive, from height 1). */
  setChain(raws: readonly Uint8Array[]): this {
    this.best.length = 1;
    this.extend(raws);
    return this;
  }

  /** Replace the best chain above `height` with `raws`. */
  reorgTo(height: number, raws: readonly Uint8Array[]): this {
    this.best.length = height + 1;
    return this.extend(raws);
  }

  extend(raws: readonly Uint8Array[]): this {
    for (const raw of raws) {
      const hash = headerHashHex(raw);
      this.byHash.set(hash, raw);
      this.best.push(hash);
    }
    return this;
  }

  /** Serve a tip claim different from the real best chain (a lie about height or hash). */
  tipOverride: SourceTip | undefined;

  async getTip(): Promise<SourceTip> {
    this.calls.getTip++;
    if (this.down) throw this.down;
    return this.tipOverride ?? { height: this.best.length - 1, hash: this.best[this.best.length - 1]! };
  }

  async getBlockHash(height: number): Promise<string> {
    this.calls.getBlockHash++;
    if (this.down) throw this.down;
    const hash = this.best[height];
    if (hash === undefined) throw new Error(`${this.name}: no block at height ${height}`);
    return hash;
  }

  async getHeader(hash: string): Promise<Uint8Array> {
    this.calls.getHeader++;
    if (this.down) throw this.down;
    const raw = this.byHash.get(hash);
    if (!raw) throw new Error(`${this.name}: unknown block ${hash}`);
    return this.serveHeader ? this.serveHeader(hash, raw) : raw;
  }
}
