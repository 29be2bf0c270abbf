// Registration: look the transaction up through the chain sources, then let the deposit rules decide.
import { Inject, Injectable } from '@nestjs/common';
import type { ChainSource } from '@tapbridge/chain-source';
import { DepositIndexer, type DepositRules, type RegistrationRequest, type RegistrationResult } from '@tapbridge/deposits';
import { DepositQueries } from './deposit-queries.js';
import { DepositGauges } from './metrics.js';
import { PostgresDepositStore } from './postgres-store.js';
import { isNotFound, type ChainLookups } from './sources.js';
import { CHAIN_LOOKUPS, DEPOSIT_RULES } from './tokens.js';

/** The transaction is not known to any source (404). */
export class TransactionNotFoundError extends Error {
  override readonly name = 'TransactionNotFoundError';
}

@Injectable()
export class DepositService {
  private readonly indexer: DepositIndexer;
  private readonly source: ChainSource;

  constructor(
    @Inject(PostgresDepositStore) store: PostgresDepositStore,
    @Inject(DEPOSIT_RULES) rules: DepositRules,
    @Inject(CHAIN_LOOKUPS) chain: ChainLookups,
    @Inject(DepositQueries) private readonly queries: DepositQueries,
    @Inject(DepositGauges) private readonly gauges: DepositGauges,
  ) {
    this.indexer = new DepositIndexer(store, rules);
    this.source = chain.any;
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
    await this.gauges.refresh().catch(() => undefined);
    return { ...result!, created };
  }
}
