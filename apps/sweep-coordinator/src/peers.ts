// The other services the pipeline asks over NATS request/reply: the signing-coordinator (custody view, signature
// requests), the deposit-indexer (how to spend a deposit, the custody UTXO set) and the evm-gateway (L2 supply).
// Every answer is validated here, at the edge.
import { Inject, Injectable } from '@nestjs/common';
import { request, type Messaging } from '@tapbridge/messaging';
import { RUNTIME, InjectConfig } from '@tapbridge/runtime/nest';
import type { ServiceRuntime } from '@tapbridge/runtime';
import type { DepositSpend, SighashRequest, SweepRequestContext } from '@tapbridge/sweeps';
import { signatureStatusSchema, type SignatureStatus } from '@tapbridge/signing';
import { z } from 'zod';
import type { SweepCoordinatorConfig } from './config.js';

const hex32 = z.string().regex(/^[0-9a-f]{64}$/);
const tweakSchema = z.union([z.object({ kind: z.literal('key-path-only') }), z.object({ kind: z.literal('merkle-root'), merkleRoot: hex32 })]);
export type CustodyTweak = z.infer<typeof tweakSchema>;

const mintStatesSchema = z.object({ enforced: z.boolean(), states: z.record(z.string(), z.enum(['minted', 'held_capacity', 'unknown'])) });
const custodySchema = z.object({ groupKey: hex32, outputKey: hex32, address: z.string(), scriptPubKey: z.string().regex(/^5120[0-9a-f]{64}$/), merkleRoot: hex32.nullable(), tweak: tweakSchema });
export type CustodyView = z.infer<typeof custodySchema>;


const depositSchema = z.object({
  txid: hex32,
  vout: z.number(),
  kind: z.enum(['taproot', 'op_return']),
  scriptPubKey: z.string(),
  depositScript: z.string().optional(),
  reclaimScript: z.string().optional(),
  lockBlocks: z.number().optional(),
});

const supplySchema = z.object({ mintedSats: z.string().regex(/^\d+$/), finalBurnedSats: z.string().regex(/^\d+$/) });
const custodyUtxosSchema = z.object({ totalSats: z.string(), utxos: z.array(z.object({ txid: hex32, vout: z.number(), amountSats: z.string(), blockHash: hex32, blockHeight: z.number() })) });
export type IndexerCustodyUtxos = z.infer<typeof custodyUtxosSchema>;

export type SweepTweak = CustodyTweak | { kind: 'none' };

@Injectable()
export class Peers {
  private readonly messaging: Messaging;
  private readonly timeoutMs: number;

  constructor(@Inject(RUNTIME) runtime: ServiceRuntime, @InjectConfig() config: SweepCoordinatorConfig) {
    this.messaging = runtime.messaging;
    this.timeoutMs = config.RPC_TIMEOUT_MS;
  }

  custody(): Promise<CustodyView> {
    return request(this.messaging, 'signing.custody.get', {}, { response: custodySchema, timeoutMs: this.timeoutMs });
  }

  /** One signature for one sweep input: purpose 'sweep', the input's tweak, the sweep's context. */
  async requestSignature(sighash: SighashRequest, tweak: SweepTweak, context: SweepRequestContext): Promise<string> {
    const r = await request(this.messaging, 'signing.signatures.create', { sighash, purpose: 'sweep', tweak, context: { sweep: context } }, {
      response: z.object({ id: z.string() }),
      timeoutMs: this.timeoutMs,
    });
    return r.id;
  }

  signature(id: string): Promise<SignatureStatus> {
    return request(this.messaging, 'signing.signatures.get', { id }, { response: signatureStatusSchema, timeoutMs: this.timeoutMs });
  }

  /** How a sweep spends a confirmed deposit, from the indexer's registration. */
  async depositSpend(ref: { txid: string; vout: number }, custodyScriptPubKey: string): Promise<DepositSpend> {
    const d = await request(this.messaging, 'deposits.deposit.get', ref, { response: depositSchema, timeoutMs: this.timeoutMs });
    if (d.kind === 'op_return') return { kind: 'custody-key-path', scriptPubKey: custodyScriptPubKey };
    if (!d.depositScript || !d.reclaimScript || d.lockBlocks === undefined) throw new Error(`deposit ${ref.txid}:${ref.vout} has no leaf scripts at the indexer`);
    return { kind: 'deposit-leaf', scriptPubKey: d.scriptPubKey, depositScript: d.depositScript, reclaimScript: d.reclaimScript, lockBlocks: d.lockBlocks };
  }

  /**
   * Each deposit's state at the L2's mint (rpc.evm.deposits.state, at most 1,000 ids a request) and whether the L2
   * enforces capacity: with it enforced, only minted deposits may be swept (a held one stays reclaimable).
   */
  async depositMintStates(depositIds: readonly string[]): Promise<{ enforced: boolean; states: Record<string, 'minted' | 'held_capacity' | 'unknown'> }> {
    const states: Record<string, 'minted' | 'held_capacity' | 'unknown'> = {};
    let enforced = false;
    for (let i = 0; i < depositIds.length; i += 1_000) {
      const r = await request(this.messaging, 'evm.deposits.state', { depositIds: depositIds.slice(i, i + 1_000) }, { response: mintStatesSchema, timeoutMs: this.timeoutMs });
      enforced ||= r.enforced;
      Object.assign(states, r.states);
    }
    return { enforced, states };
  }

  async l2Supply(): Promise<{ mintedSats: bigint; finalBurnedSats: bigint }> {
    const s = await request(this.messaging, 'evm.supply.get', {}, { response: supplySchema, timeoutMs: this.timeoutMs });
    return { mintedSats: BigInt(s.mintedSats), finalBurnedSats: BigInt(s.finalBurnedSats) };
  }

  /** The header-watcher's validated tip height (where the pipeline's chain is going while it catches up). */
  async headerTip(): Promise<number> {
    const tip = await request(this.messaging, 'btc.headers.tip', {}, { response: z.object({ height: z.number().int().nonnegative() }).passthrough(), timeoutMs: this.timeoutMs });
    return tip.height;
  }

  indexerCustody(): Promise<IndexerCustodyUtxos> {
    return request(this.messaging, 'deposits.custody.utxos', {}, { response: custodyUtxosSchema, timeoutMs: this.timeoutMs });
  }
}
