// "Merkle-proved against the header chain, like a deposit": the service runs its own light client (headers from its
// sources, every header validated) and counts a funding output only when a merkle proof places its transaction in a
// block of that chain with enough confirmations, paying exactly the channel's funding script and capacity.
import { createChainSources, type SourceSpec } from '@tapbridge/chain-source';
import { fundingOutput, type ChannelParams } from '@tapbridge/channels';
import { bytesToHex, type NetworkName } from '@tapbridge/bitcoin';
import { HeaderSync } from '@tapbridge/light-client';
import type { Logger } from '@tapbridge/observability';
import { SignerHeaderStore, SourcesBitcoinView } from '@tapbridge/signing';

export class FundingProver {
  readonly headers = new SignerHeaderStore();
  readonly sources: ReturnType<typeof createChainSources>;
  readonly view: SourcesBitcoinView;
  #sync: HeaderSync | undefined;

  constructor(private readonly o: { network: NetworkName; sources: readonly SourceSpec[]; minConfirmations: number; pollMs: number; logger: Logger }) {
    this.sources = createChainSources(o.sources);
    this.view = new SourcesBitcoinView({ headers: this.headers, sources: this.sources, refresh: async () => this.#sync?.syncOnce() });
  }

  async start(): Promise<void> {
    this.#sync = await HeaderSync.open({ network: this.o.network, store: this.headers, sources: this.sources, logger: this.o.logger });
    this.#sync.start(this.o.pollMs);
  }

  async stop(): Promise<void> {
    await this.#sync?.stop();
  }

  async prove(params: ChannelParams): Promise<{ ok: true } | { ok: false; reason: string }> {
    const proven = await this.view.provenTransaction(params.funding.txid);
    if (!proven.ok) return proven;
    const out = proven.value.tx.outputs[params.funding.vout];
    if (!out) return { ok: false, reason: `the funding transaction has no output ${params.funding.vout}` };
    if (bytesToHex(out.scriptPubKey) !== bytesToHex(fundingOutput(params).scriptPubKey)) return { ok: false, reason: 'the funding output does not pay the channel\'s funding script' };
    if (out.value !== params.capacity) return { ok: false, reason: `the funding output holds ${out.value} sat, the channel ${params.capacity}` };
    if (proven.value.confirmations < this.o.minConfirmations) return { ok: false, reason: `${proven.value.confirmations} of ${this.o.minConfirmations} confirmations` };
    return { ok: true };
  }
}
