// Wiring of the sweep policy's view in one signer: its own chain sources and embedded light client (headers in
// memory, re-synced from HEADER_CHECKPOINT or genesis at every start), its L2 node, its signed-sweep record in its
// schema. The rules live in packages/signing (policy/sweep.ts, view/).
import { createChainSources, type SourceSpec } from '@tapbridge/chain-source';
import type { Checkpoint, NetworkName } from '@tapbridge/bitcoin';
import { HeaderSync } from '@tapbridge/light-client';
import type { Logger } from '@tapbridge/observability';
import {
  DisbursalChecker, DisbursalPolicy, EvmRpcL2View, EvmRpcRecoveryView, MemoryDisbursalStore, SignerHeaderStore, SourcesBitcoinView, SweepPolicy,
  type CustodySettings, type DisbursalRules, type SignedSweepStore, type SweepRules,
} from '@tapbridge/signing';

export interface SweepViewSettings {
  network: NetworkName;
  sources: readonly SourceSpec[];
  checkpoint?: Checkpoint;
  pollIntervalMs: number;
  evmRpcUrl: string;
  bridgeAddress: string;
  finalityDepth: bigint;
  logRange: bigint;
  custody: CustodySettings;
  rules: SweepRules;
  /** Issue 11: when set, sweeps need their output's signed disbursal, and disbursals are signed under these rules. */
  disbursal?: DisbursalRules;
}

export class SignerSweepView {
  readonly headers = new SignerHeaderStore();
  readonly policy: SweepPolicy;
  /** The `disbursal` purpose's policy, when DISBURSAL_REQUIRED is on. */
  readonly disbursalPolicy: DisbursalPolicy | undefined;
  private readonly sources: ReturnType<typeof createChainSources>;
  private sync: HeaderSync | undefined;

  constructor(
    private readonly s: SweepViewSettings,
    signed: SignedSweepStore,
    groupKey: () => Uint8Array | undefined,
    private readonly logger: Logger,
  ) {
    const sources = createChainSources(s.sources);
    this.sources = sources;
    const bitcoin = new SourcesBitcoinView({ headers: this.headers, sources, refresh: async () => this.sync?.syncOnce() });
    // The signed disbursals are kept in memory: after a restart the next sweep request carries the signatures again.
    const disbursalStore = new MemoryDisbursalStore();
    const disbursal = s.disbursal
      ? new DisbursalChecker({
          groupKey,
          custody: s.custody,
          bitcoin,
          recovery: new EvmRpcRecoveryView({ url: s.evmRpcUrl, bridgeAddress: s.bridgeAddress, finalityDepth: s.finalityDepth, maxBlockRange: s.logRange }),
          store: disbursalStore,
          rules: s.disbursal,
        })
      : undefined;
    this.disbursalPolicy = disbursal ? new DisbursalPolicy(disbursal, disbursalStore) : undefined;
    this.policy = new SweepPolicy({
      ...(disbursal ? { disbursal } : {}),
      groupKey,
      custody: s.custody,
      bitcoin,
      l2: new EvmRpcL2View({ url: s.evmRpcUrl, bridgeAddress: s.bridgeAddress, finalityDepth: s.finalityDepth, maxBlockRange: s.logRange }),
      signed,
      rules: s.rules,
    });
  }

  /** Opens the light client and starts following the sources (the first rounds run in the background). */
  async start(): Promise<void> {
    this.sync = await HeaderSync.open({
      network: this.s.network,
      store: this.headers,
      sources: this.sources,
      ...(this.s.checkpoint ? { checkpoint: this.s.checkpoint } : {}),
      logger: this.logger,
    });
    this.sync.start(this.s.pollIntervalMs);
    this.logger.info({ sources: this.sources.map((x) => x.name), evmRpc: this.s.evmRpcUrl, bridge: this.s.bridgeAddress }, 'sweep policy on: light client syncing the signer\'s own header chain');
  }

  async stop(): Promise<void> {
    await this.sync?.stop();
  }

  status(): { headerTip: { height: number; hash: string } | null; custodyAddress: string | null } {
    return { headerTip: this.headers.tip ?? null, custodyAddress: this.policy.custody()?.custody.address ?? null };
  }
}
