// The escape hatch after the sweep (issue 11), coordinator side: before any input of a sweep version is asked for,
// the emergency disbursal of the custody output it creates (output 0) is built from this service's L2 view and signed,
// one `disbursal` request per transaction. Every signer checks it against its own view (packages/signing
// policy/disbursal.ts) and refuses the sweep until it sees every signature in the sweep's context. Each step is
// persisted (table disbursal) before the next side effect, so a restart resumes where it stopped.
import { Inject, Injectable, Logger } from '@nestjs/common';
import { decodeTransaction, disbursalPsbts, disbursalSighashes, encodeTransactionHex, finalizeDisbursal, hexToBytes, verifyDisbursalSignature, type DisbursalToSign, type DisbursalTx } from '@tapbridge/bitcoin';
import { request, type Messaging } from '@tapbridge/messaging';
import type { ServiceRuntime } from '@tapbridge/runtime';
import { InjectConfig, RUNTIME } from '@tapbridge/runtime/nest';
import { custodyFor, EvmRpcRecoveryView, rebuildDisbursal, signatureStatusSchema, type CustodySettings, type DisbursalTerms, type SweepDisbursal } from '@tapbridge/signing';
import type { SweepVersion } from '@tapbridge/sweeps';
import { z } from 'zod';
import type { SweepCoordinatorConfig } from '../config.js';
import { Peers } from '../peers.js';
import { PrismaService } from '../prisma.service.js';

const recoveryLeafSchema = z.object({ recoveryLock: z.number().int(), threshold: z.number().int(), keys: z.array(z.string()) }).passthrough().nullable();
const custodyWithLeafSchema = z.object({ network: z.string(), groupKey: z.string(), outputKey: z.string(), scriptPubKey: z.string(), merkleRoot: z.string().nullable(), recoveryLeaf: recoveryLeafSchema }).passthrough();

/** One disbursal as persisted (JSON: amounts as decimal strings). */
export const storedDisbursalSchema = z.object({
  sweepTxid: z.string(),
  custody: z.object({ txid: z.string(), vout: z.number(), value: z.string() }),
  groupKey: z.string(),
  merkleRoot: z.string().nullable(),
  terms: z.object({ l2Block: z.string(), lockHeight: z.number(), feeRate: z.number(), maxTxWeight: z.number().optional() }),
  /** Unsigned, intermediate first, each with the one output it spends. */
  transactions: z.array(z.object({ txid: z.string(), hex: z.string(), prevout: z.object({ value: z.string(), scriptPubKey: z.string() }), feeSats: z.string(), vsize: z.number() })),
  payouts: z.array(z.object({ account: z.string(), scriptPubKey: z.string(), balanceSats: z.string(), shareSats: z.string(), feeShareSats: z.string(), amountSats: z.string(), batch: z.number(), vout: z.number() })),
  skipped: z.array(z.object({ account: z.string(), balanceSats: z.string(), reason: z.string() })),
  excessSats: z.string(),
  totalFeeSats: z.string(),
  requestIds: z.array(z.string().nullable()),
  signatures: z.array(z.string().nullable()),
  signedHex: z.array(z.string()).optional(),
  note: z.string().optional(),
});
export type StoredDisbursalData = z.infer<typeof storedDisbursalSchema>;

/** What GET /escape/latest publishes (and `tapbridge escape broadcast --file` reads). */
export interface EscapeView extends Omit<StoredDisbursalData, 'requestIds' | 'signatures'> {
  signedAt: string;
  /** Signed raw transactions, intermediate first, ready for sendrawtransaction once the lock height is reached. */
  rawTransactions: string[];
  /** The unsigned transactions as PSBTs (base64), intermediate first. */
  psbts: string[];
}

@Injectable()
export class DisbursalService {
  private readonly logger = new Logger('Disbursal');
  private readonly messaging: Messaging;
  private readonly recovery: EvmRpcRecoveryView | undefined;

  constructor(
    @Inject(PrismaService) private readonly prisma: PrismaService,
    @Inject(Peers) private readonly peers: Peers,
    @Inject(RUNTIME) runtime: ServiceRuntime,
    @InjectConfig() private readonly config: SweepCoordinatorConfig,
  ) {
    this.messaging = runtime.messaging;
    this.recovery = config.EVM_RPC_URL
      ? new EvmRpcRecoveryView({ url: config.EVM_RPC_URL, bridgeAddress: config.EVM_BRIDGE_ADDRESS, finalityDepth: BigInt(config.EVM_FINALITY_DEPTH) })
      : undefined;
  }

  get enabled(): boolean {
    return this.config.DISBURSAL_ENABLED;
  }

  /**
   * The signed disbursal of this version's output 0 for its signing context, or undefined while it is still being
   * signed (the next pass continues). Builds and asks on the first call; polls after.
   */
  async ensureSigned(version: SweepVersion): Promise<SweepDisbursal | undefined> {
    let data = await this.load(version.txid);
    if (!data) {
      data = await this.build(version);
      await this.prisma.disbursal.create({ data: { sweepTxid: version.txid, data: data as object } });
      this.logger.log(`disbursal of ${version.txid}:0 built at L2 block ${data.terms.l2Block}, lock ${data.terms.lockHeight}: ${data.payouts.length} payouts in ${data.transactions.length - 1} final txs, excess ${data.excessSats} sat`);
    }
    if (data.signedHex) return { terms: data.terms, signatures: data.signatures as string[] };
    const custody = await this.custodyView();
    const tweak = custody.merkleRoot ? { kind: 'merkle-root' as const, merkleRoot: custody.merkleRoot } : { kind: 'key-path-only' as const };
    const sighashes = disbursalSighashes(this.asBuild(data));
    for (let i = 0; i < data.transactions.length; i++) {
      if (data.signatures[i]) continue;
      const t = data.transactions[i]!;
      const id = data.requestIds[i];
      if (!id) {
        const sighash = { transaction: t.hex, inputIndex: 0, prevouts: [t.prevout], hashType: 0 };
        const context = { disbursal: { custody: data.custody, terms: data.terms } };
        const r = await request(this.messaging, 'signing.signatures.create', { sighash, purpose: 'disbursal', tweak, context }, { response: z.object({ id: z.string() }), timeoutMs: this.config.RPC_TIMEOUT_MS });
        data.requestIds[i] = r.id;
        await this.save(version.txid, data);
        continue;
      }
      const status = await request(this.messaging, 'signing.signatures.get', { id }, { response: signatureStatusSchema, timeoutMs: this.config.RPC_TIMEOUT_MS });
      if (status.status === 'signed' && status.signature) {
        if (!verifyDisbursalSignature(sighashes[i]!, hexToBytes(status.signature), hexToBytes(custody.outputKey))) {
          this.logger.error(`disbursal signature ${id} for ${t.txid} does not verify; asking again`);
          data.requestIds[i] = null;
        } else data.signatures[i] = status.signature;
        await this.save(version.txid, data);
      } else if (status.status === 'failed') {
        const note = `transaction ${i}: ${status.error ?? 'failed'}${status.refusals.length ? `; refusals: ${status.refusals.map((r) => `signer ${r.signer}: ${r.reason}`).join('; ')}` : ''}`;
        // Refused terms go stale (the lock must stay tip + D, the checkpoint recent): start over with fresh ones. The
        // signatures already given stay valid but unused; nothing is published until a whole set is signed.
        this.logger.warn(`disbursal signature request ${id} for ${t.txid} failed (${note}); rebuilding the disbursal of ${version.txid}:0`);
        await this.prisma.disbursal.delete({ where: { sweepTxid: version.txid } });
        return undefined;
      }
    }
    if (data.signatures.some((s) => !s)) return undefined;
    data.signedHex = finalizeDisbursal(this.asBuild(data), data.signatures.map((s) => hexToBytes(s!))).map((s) => s.hex);
    await this.prisma.disbursal.update({ where: { sweepTxid: version.txid }, data: { data: data as object, signedAt: new Date() } });
    this.logger.log(`disbursal of ${version.txid}:0 fully signed (${data.signedHex.length} transactions) and stored before the sweep`);
    return { terms: data.terms, signatures: data.signatures as string[] };
  }

  /** The signing-coordinator's custody with its recovery leaf (the pipeline's Peers.custody() keeps only the key path). */
  private custodyView(): Promise<z.infer<typeof custodyWithLeafSchema>> {
    return request(this.messaging, 'signing.custody.get', {}, { response: custodyWithLeafSchema, timeoutMs: this.config.RPC_TIMEOUT_MS });
  }

  /** The newest fully signed disbursal: what anyone should keep. */
  async latest(): Promise<EscapeView | undefined> {
    const row = await this.prisma.disbursal.findFirst({ where: { signedAt: { not: null } }, orderBy: { signedAt: 'desc' } });
    if (!row) return undefined;
    const data = storedDisbursalSchema.parse(row.data);
    const { requestIds: _r, signatures: _s, ...rest } = data;
    void _r;
    void _s;
    const psbts = disbursalPsbts(this.asBuild(data), { internalKey: data.groupKey, ...(data.merkleRoot ? { merkleRoot: data.merkleRoot } : {}) });
    return { ...rest, signedAt: row.signedAt!.toISOString(), rawTransactions: data.signedHex ?? [], psbts };
  }

  private async build(version: SweepVersion): Promise<StoredDisbursalData> {
    if (!this.recovery) throw new Error('DISBURSAL_ENABLED needs EVM_RPC_URL (the coordinator reads recovery scripts and balances from it)');
    const view = await this.custodyView();
    const settings: CustodySettings = view.recoveryLeaf
      ? { network: view.network, recoveryKeys: view.recoveryLeaf.keys, recoveryThreshold: view.recoveryLeaf.threshold, recoveryLock: view.recoveryLeaf.recoveryLock }
      : { network: view.network, recoveryKeys: [], recoveryThreshold: 1, recoveryLock: 1 };
    const custody = custodyFor(hexToBytes(view.groupKey), settings);
    if (custody.scriptPubKey !== view.scriptPubKey) throw new Error(`the custody script derived from the signing-coordinator's view (${custody.scriptPubKey}) is not the one it names (${view.scriptPubKey})`);
    const tip = await this.peers.headerTip();
    const terms: DisbursalTerms = {
      l2Block: (await this.recovery.finalBlock()).toString(),
      lockHeight: tip + this.config.DISBURSAL_LOCK_BLOCKS,
      feeRate: this.config.DISBURSAL_FEE_RATE_SAT_VB,
      ...(this.config.DISBURSAL_MAX_TX_WEIGHT ? { maxTxWeight: this.config.DISBURSAL_MAX_TX_WEIGHT } : {}),
    };
    const output = { txid: version.txid, vout: 0, value: decodeTransaction(version.unsignedHex).outputs[0]!.value };
    const build = await rebuildDisbursal({ custody: settings, recovery: this.recovery }, custody, output, terms);
    const txs: DisbursalTx[] = [build.intermediate, ...build.finals];
    return {
      sweepTxid: version.txid,
      custody: { txid: output.txid, vout: 0, value: output.value.toString() },
      groupKey: view.groupKey,
      merkleRoot: view.merkleRoot,
      terms,
      transactions: txs.map((t) => ({ txid: t.txid, hex: t.hex, prevout: { value: t.prevout.value.toString(), scriptPubKey: Buffer.from(t.prevout.scriptPubKey).toString('hex') }, feeSats: t.fee.toString(), vsize: t.vsize })),
      payouts: build.payouts.map((p) => ({ account: p.account, scriptPubKey: Buffer.from(p.scriptPubKey).toString('hex'), balanceSats: p.balanceSats.toString(), shareSats: p.shareSats.toString(), feeShareSats: p.feeShareSats.toString(), amountSats: p.amountSats.toString(), batch: p.batch, vout: p.vout })),
      skipped: build.skipped.map((s) => ({ account: s.account, balanceSats: s.balanceSats.toString(), reason: s.reason })),
      excessSats: build.excessSats.toString(),
      totalFeeSats: build.totalFee.toString(),
      requestIds: txs.map(() => null),
      signatures: txs.map(() => null),
    };
  }

  /** The stored transactions in the builder's shape (for sighashes, finalizing and PSBTs). */
  private asBuild(data: StoredDisbursalData): DisbursalToSign {
    const txs = data.transactions.map((t) => {
      const tx = decodeTransaction(t.hex);
      if (encodeTransactionHex(tx, { witness: false }) !== t.hex) throw new Error(`stored disbursal transaction ${t.txid} does not round-trip`);
      return { tx, prevout: { value: BigInt(t.prevout.value), scriptPubKey: hexToBytes(t.prevout.scriptPubKey) } };
    });
    return { intermediate: txs[0]!, finals: txs.slice(1) };
  }

  private async load(sweepTxid: string): Promise<StoredDisbursalData | undefined> {
    const row = await this.prisma.disbursal.findUnique({ where: { sweepTxid } });
    return row ? storedDisbursalSchema.parse(row.data) : undefined;
  }

  private async save(sweepTxid: string, data: StoredDisbursalData): Promise<void> {
    await this.prisma.disbursal.update({ where: { sweepTxid }, data: { data: data as object } });
  }
}
