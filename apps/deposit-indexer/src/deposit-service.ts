// Registration: look the transaction up through the chain sources, then let the deposit rules decide.
import { DepositIndexer, type DepositRules, type RegistrationRequest, type RegistrationResult } from '@tapbridge/deposits';
import type { ChainSource } from '@tapbridge/chain-source';
import type { Pool } from 'pg';
import type { DepositQueries } from './deposit-queries.js';
import { refreshDepositGauges } from './metrics.js';
import type { PostgresDepositStore } from './postgres-store.js';
import { isNotFound } from './sources.js';

/** The transaction is not known to any source (404). */
export class TransactionNotFoundError extends Error {
  override readonly name = 'TransactionNotFoundError';
}

export class DepositService {
  private readonly indexer: DepositIndexer;

  constructor(
    store: PostgresDepositStore,
    rules: DepositRules,
    private readonly source: ChainSource,
    private readonly queries: DepositQueries,
    private readonly pool: Pool,
    private readonly schema: string,
  ) {
    this.indexer = new DepositIndexer(store, rules);
  }

  /**
   * Registers a deposit. If a block was applied while the source was being asked (so the source's "not in a
   * block yet" may be stale and the block scan ran before the deposit was watched), it asks again.
   */
  async register(request: RegistrationRequest): Promise<RegistrationResult> {
    const txid = request.txid.toLowerCase();
    let result: RegistrationResult | undefined;
    let created = false;
    for (let attempt = 0; attempt < 3; attempt++) {
      const tipBefore = await this.queries.tipHash();
      let rawTx: Uint8Array;
      try {
        rawTx = await this.source.getRawTransaction(txid);
      } catch (e) {
        if (isNotFound(e)) throw new TransactionNotFoundError(`transaction ${txid} is not known to the chain sources`);
        throw e;
      }
      const merkleBlock = await this.source.getTxMerkleProof(txid).catch(() => undefined);
      result = await this.indexer.register({ ...request, txid }, { rawTx, ...(merkleBlock ? { merkleBlock } : {}) });
      created ||= result.created;
      if (result.deposit.status !== 'registered' || (await this.queries.tipHash()) === tipBefore) break;
    }
    await refreshDepositGauges(this.pool, this.schema).catch(() => undefined);
    return { ...result!, created };
  }
}
