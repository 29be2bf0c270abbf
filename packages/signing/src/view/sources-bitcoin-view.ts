// The signer's Bitcoin view from its own sources, checked against its own header chain: a source's answer is data,
// a transaction counts as confirmed only when its merkle proof rebuilds the root of a header on the signer's own
// validated best chain (the embedded light client, packages/light-client, syncing into a SignerHeaderStore).
import { decodeTransaction, hashToHex, hexToHash, verifyMerkleBlockProof, equalBytes } from '@tapbridge/bitcoin';
import type { BitcoinView, OutputSpend, Proven, ProvenTransaction } from './bitcoin.js';
import type { SignerHeaderStore } from './header-store.js';

/** What the view asks of a chain source: a subset of @tapbridge/chain-source's ChainSource. */
export interface ViewChainSource {
  readonly name: string;
  getRawTransaction(txid: string): Promise<Uint8Array>;
  /** A merkle block (Core `gettxoutproof` form); Core without -txindex needs the block hash. */
  getTxMerkleProof(txid: string, blockHash?: string): Promise<Uint8Array>;
  txStatus(txid: string): Promise<{ confirmed: boolean; blockHash?: string }>;
  outspend(txid: string, vout: number): Promise<{ spent: false } | { spent: true; txid?: string; confirmed?: boolean }>;
}

export interface SourcesBitcoinViewOptions {
  headers: SignerHeaderStore;
  sources: readonly ViewChainSource[];
  /**
   * One light-client round now (HeaderSync.syncOnce): called when a proof names a block the signer's chain does not
   * know yet, so a signer polling its sources a little behind the coordinator catches up instead of refusing.
   * At most one every `refreshIntervalMs` (default 1 s); the headers it adds are validated like any others.
   */
  refresh?: () => Promise<unknown>;
  refreshIntervalMs?: number;
  now?: () => number;
}

const message = (err: unknown): string => ((err as Error)?.message ?? String(err)).slice(0, 300);

export class SourcesBitcoinView implements BitcoinView {
  #refreshing: Promise<unknown> | undefined;
  #lastRefresh = -Infinity;

  constructor(private readonly o: SourcesBitcoinViewOptions) {
    if (o.sources.length === 0) throw new RangeError('the signer needs at least one Bitcoin source');
  }

  /** A header sync round, single-flight and rate-limited; failures are the light client's to log. */
  async #refresh(): Promise<void> {
    if (!this.o.refresh) return;
    if (!this.#refreshing) {
      const now = (this.o.now ?? Date.now)();
      if (now - this.#lastRefresh < (this.o.refreshIntervalMs ?? 1_000)) return;
      this.#lastRefresh = now;
      this.#refreshing = this.o.refresh().catch(() => undefined).finally(() => (this.#refreshing = undefined));
    }
    await this.#refreshing;
  }

  async tipHeight(): Promise<number> {
    return this.o.headers.tip?.height ?? -1;
  }

  /** Asks each source in turn until one proves the transaction into the signer's own best chain. */
  async provenTransaction(txid: string): Promise<Proven<ProvenTransaction>> {
    const id = txid.toLowerCase();
    const why: string[] = [];
    for (const source of this.o.sources) {
      try {
        const proven = await this.#proveFrom(source, id);
        if (typeof proven === 'string') why.push(`${source.name}: ${proven}`);
        else return { ok: true, value: proven };
      } catch (err) {
        why.push(`${source.name}: ${message(err)}`);
      }
    }
    return { ok: false, reason: `transaction ${id} is not confirmed on the signer's own chain (${why.join('; ')})` };
  }

  async #proveFrom(source: ViewChainSource, txid: string): Promise<ProvenTransaction | string> {
    let hint: string | undefined;
    try {
      const status = await source.txStatus(txid);
      if (!status.confirmed) return 'the source does not see it confirmed';
      hint = status.blockHash;
    } catch {
      // No status: the proof alone may still place it (Esplora, or Core with the output unspent).
    }
    const proof = verifyMerkleBlockProof(await source.getTxMerkleProof(txid, hint));
    const wanted = hexToHash(txid);
    if (!proof.matches.some((m) => equalBytes(m.txid, wanted))) return 'its merkle proof does not include the transaction';
    const blockHash = hashToHex(proof.blockHash);
    // A block the signer has not seen at all: it may just be behind its sources; sync once and look again.
    if (!this.o.headers.headers.has(blockHash)) await this.#refresh();
    const height = this.o.headers.bestHeightOf(blockHash);
    if (height === undefined) return `block ${blockHash} of its proof is not on the signer's best chain`;
    const tip = this.o.headers.tip;
    if (tip === undefined) return 'the signer has no header chain yet';
    const tx = decodeTransaction(await source.getRawTransaction(txid));
    if (hashToHex(tx.txid) !== txid) return `the raw transaction it gave has txid ${hashToHex(tx.txid)}`;
    return { txid, tx, blockHash, blockHeight: height, confirmations: tip.height - height + 1 };
  }

  /** Spent if any source says so (fail closed); unspent only if at least one source answered and none saw a spend. */
  async outputSpend(txid: string, vout: number): Promise<OutputSpend> {
    const errors: string[] = [];
    let answered = false;
    let spend: OutputSpend = { spent: false };
    for (const source of this.o.sources) {
      try {
        const s = await source.outspend(txid, vout);
        answered = true;
        if (!s.spent) continue;
        const next: OutputSpend = { spent: true, ...(s.txid !== undefined ? { spender: s.txid } : {}), ...(s.confirmed !== undefined ? { confirmed: s.confirmed } : {}) };
        // Keep the most telling answer: a confirmed spend, else one naming its spender.
        if (!spend.spent || next.confirmed === true || (spend.confirmed !== true && next.spender !== undefined)) spend = next;
      } catch (err) {
        errors.push(`${source.name}: ${message(err)}`);
      }
    }
    if (!answered) throw new Error(`no Bitcoin source could tell whether ${txid}:${vout} is spent (${errors.join('; ')})`);
    return spend;
  }
}
