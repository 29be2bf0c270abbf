import { Inject, Injectable } from '@nestjs/common';
import { addressToOutputScript, bytesToHex, depositAddress, hexToBytes } from '@tapbridge/bitcoin';
import { cursorPage, DomainError, InjectConfig, namedPage } from '@tapbridge/runtime/nest';
import { z } from 'zod';
import type { ApiGatewayConfig } from './config.js';
import {
  chainView, DEPOSIT_STATUSES, type depositPage, type pipelineView, depositView, feesView, reservesView, signerSetView, signingSessionPage, signingSessionView, withdrawalList, withdrawalView,
} from './dto.js';
import { toChecksumAddress } from './eip55.js';
import { Upstream } from './upstream.js';

/** The rpc.* subjects the gateway reads (unprefixed, without `rpc.`); permissions.ts grants exactly these. */
export const UPSTREAM_SUBJECTS = {
  custody: 'signing.custody.get',
  signers: 'signing.signers.list',
  deposit: 'deposits.deposit.get',
  depositRegister: 'deposits.deposit.register',
  depositList: 'deposits.deposit.list',
  withdrawal: 'sweeps.withdrawal.get',
  withdrawalsBySender: 'sweeps.withdrawal.list',
  withdrawalsByStatus: 'sweeps.withdrawal.by_status',
  signingSessions: 'signing.sessions.list',
  reserves: 'sweeps.reserves.get',
  sweepStatus: 'sweeps.status.get',
  btcTip: 'btc.headers.tip',
  btcSync: 'btc.headers.sync',
  evmChain: 'evm.chain.get',
  evmSupply: 'evm.supply.get',
  stakeCapacity: 'stake.capacity.get',
  stakeSigners: 'stake.signers.list',
  stakeEpoch: 'stake.epochs.current',
} as const;

// What the owners answer, as much of it as the gateway uses (the public shapes in dto.ts decide what is served).
const custodyAnswer = z.object({ network: z.string(), groupKey: z.string(), address: z.string() });
const signerAnswer = z.array(z.object({
  index: z.number().int(), live: z.boolean(), ready: z.boolean(), lastSeen: z.string().nullable(), misbehaviourCount: z.number().int(), lastMisbehaviour: z.string().nullable(),
}));
const tipAnswer = z.object({ height: z.number().int(), hash: z.string(), time: z.number().int() });
const syncAnswer = z.object({ network: z.string(), sources: z.array(z.object({ name: z.string(), height: z.number().int().optional(), lag: z.number().int().optional(), lastError: z.string().optional() })) });
const evmChainAnswer = z.object({ chainId: z.number().int(), height: z.number().int(), headHash: z.string(), finalizedHeight: z.number().int(), finalityDepth: z.number().int(), bridgeAddress: z.string().regex(/^0x[0-9a-fA-F]{40}$/) });
const supplyAnswer = z.object({ supplySats: z.string() });
const reservesAnswer = z.object({
  custody: z.object({ totalSats: z.string(), utxos: reservesView.shape.utxos }),
  l2SupplySats: z.string().nullable(), pendingWithdrawalsSats: z.string().nullable(), feesPaidSats: z.string(),
  discrepancySats: z.string().nullable(), invariantHolds: z.boolean().nullable(), invariant: z.string(), checkedAt: z.string(),
});
const statusAnswer = z.object({
  status: z.string(), feeRateSatPerVb: z.number().nullable(), waitingWithdrawals: z.number().int(), stuckWithdrawals: z.array(z.string()),
  outflow: z.object({ limitBps: z.number().int(), windowHours: z.number(), heldBack: z.array(z.string()) }),
});
const indexerPage = z.object({ items: z.array(depositView), nextCursor: z.string().optional() });
const withdrawalPage = cursorPage(withdrawalView);
const sessionPage = cursorPage(signingSessionView);
// stake-accounting's CapacityView (apps/stake-accounting/src/api/dto.ts), as much of it as is served.
const capacityAnswer = z.object({
  status: z.enum(['open', 'frozen']), capacitySats: z.string(), stakeUnits: z.string(), stakeValueSats: z.string().nullable(), obligationsSats: z.string(),
  collateralRatioBps: z.number().int(), ratioBps: z.string().nullable(), priceSatsPerToken: z.string().nullable(), reason: z.string().optional(), at: z.string(),
});
const stakeSignersAnswer = z.array(z.object({
  address: z.string(), hostPubkey: z.string(), selfBond: z.string(), delegated: z.string(), stake: z.string(), unbonding: z.string(), status: z.string(), jailedUntilEpoch: z.number().int(),
}));
const epochAnswer = z.object({ epoch: z.number().int(), startHeight: z.number().int(), threshold: z.number().int(), totalStake: z.string(), members: z.array(z.object({ hostPubkey: z.string() })) }).nullable();

type Out<S extends z.ZodType> = z.input<S>;

/**
 * The deposit states an operator watches move, as the deposit-indexer knows them (registered → seen → confirmed →
 * swept). held_capacity and minted are the evm-gateway's, not the indexer's: asking it for them is a 400.
 */
const PIPELINE_STATUSES = DEPOSIT_STATUSES.filter((s) => ['registered', 'seen', 'confirmed', 'swept'].includes(s));
const PIPELINE_PAGE = 500;

/** A request without its unset fields (the owners' schemas refuse undefined-as-null). */
function defined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

/** The owners keep addresses lower-case; the API serves them in EIP-55 form. */
function checksummed<D extends { recipient: string }>(d: D): D {
  return { ...d, recipient: toChecksumAddress(d.recipient) };
}

/** Every read of the public API: one or more rpc.* requests, reshaped into the public schemas. Owns no data. */
@Injectable()
export class Reads {
  constructor(
    @Inject(Upstream) private readonly upstream: Upstream,
    @InjectConfig() private readonly config: ApiGatewayConfig,
  ) {}

  /** The per-deposit P2TR address, exactly as `tapbridge deposit address` builds it, to the current custody key. */
  async depositAddress(body: { recipient: string; maxFeeSats: string; reclaimKey: string; lockBlocks: number }) {
    const custody = await this.upstream.get(UPSTREAM_SUBJECTS.custody, {}, custodyAnswer);
    const network = this.config.BITCOIN_NETWORK;
    let d;
    try {
      d = depositAddress({ network, groupKey: hexToBytes(custody.groupKey), recipient: body.recipient, maxFee: BigInt(body.maxFeeSats), reclaimKey: hexToBytes(body.reclaimKey.toLowerCase()), lockBlocks: body.lockBlocks });
    } catch (e) {
      throw new DomainError('invalid_request', (e as Error).message, 400);
    }
    const leaf = (l: typeof d.depositLeaf) => ({ script: bytesToHex(l.script), leafVersion: l.leafVersion, leafHash: bytesToHex(l.leafHash), controlBlock: bytesToHex(l.controlBlock) });
    return {
      network, address: d.address, scriptPubKey: bytesToHex(d.scriptPubKey), internalKey: bytesToHex(d.internalKey), outputKey: bytesToHex(d.outputKey),
      merkleRoot: bytesToHex(d.merkleRoot), groupKey: custody.groupKey,
      leaves: { deposit: leaf(d.depositLeaf), reclaim: leaf(d.reclaimLeaf) },
      register: { depositScript: bytesToHex(d.depositLeaf.script), reclaimScript: bytesToHex(d.reclaimLeaf.script) },
    };
  }

  async registerDeposit(body: { txid: string; vout: number; depositScript: string; reclaimScript: string }): Promise<Out<typeof depositView>> {
    return checksummed(await this.upstream.get(UPSTREAM_SUBJECTS.depositRegister, body, depositView));
  }

  async deposit(txid: string, vout: number): Promise<Out<typeof depositView>> {
    return checksummed(await this.upstream.get(UPSTREAM_SUBJECTS.deposit, { txid, vout }, depositView));
  }

  /** By EVM recipient and/or Bitcoin address (sent to the indexer as the output script it stores). */
  async deposits(q: { recipient?: string | undefined; address?: string | undefined; status?: string | undefined; limit?: number | undefined; cursor?: string | undefined }): Promise<Out<typeof depositPage>> {
    let scriptPubKey: string | undefined;
    if (q.address !== undefined) {
      try {
        scriptPubKey = bytesToHex(addressToOutputScript(q.address, this.config.BITCOIN_NETWORK));
      } catch (e) {
        throw new DomainError('invalid_request', `address: ${(e as Error).message}`, 400);
      }
    }
    const page = await this.upstream.get(UPSTREAM_SUBJECTS.depositList, defined({ recipient: q.recipient, scriptPubKey, status: q.status, limit: q.limit, cursor: q.cursor }), indexerPage);
    return { deposits: page.items.map(checksummed), nextCursor: page.nextCursor ?? null };
  }

  /**
   * The operators' overview (the console's pipeline panels): deposits per status, each status asked of the indexer
   * once (newest first, at most PIPELINE_PAGE), so a count of PIPELINE_PAGE means "at least" (`more`); the oldest is
   * the least recently updated in that page. Withdrawals as the sweep-coordinator reports them (waiting, stuck).
   */
  async pipeline(): Promise<Out<typeof pipelineView>> {
    const [pages, status] = await Promise.all([
      Promise.all(PIPELINE_STATUSES.map((s) => this.upstream.get(UPSTREAM_SUBJECTS.depositList, { status: s, limit: PIPELINE_PAGE }, indexerPage))),
      this.upstream.get(UPSTREAM_SUBJECTS.sweepStatus, {}, statusAnswer),
    ]);
    const deposits = PIPELINE_STATUSES.map((s, i) => {
      const items = pages[i]!.items;
      const oldest = items.reduce<(typeof items)[number] | undefined>((o, d) => (o === undefined || d.updatedAt < o.updatedAt ? d : o), undefined);
      return {
        status: s, count: items.length, more: pages[i]!.nextCursor !== undefined,
        oldest: oldest ? { txid: oldest.txid, vout: oldest.vout, amountSats: oldest.amountSats, since: oldest.updatedAt } : null,
      };
    });
    return {
      deposits,
      withdrawals: { pipeline: status.status, waiting: status.waitingWithdrawals, stuck: status.stuckWithdrawals, heldBack: status.outflow.heldBack },
      at: new Date().toISOString(),
    };
  }

  async withdrawal(id: string): Promise<Out<typeof withdrawalView>> {
    const w = await this.upstream.get(UPSTREAM_SUBJECTS.withdrawal, { id }, withdrawalView);
    return { ...w, sender: toChecksumAddress(w.sender) };
  }

  /** By EVM sender (one answer), or by state from the sweep-coordinator a page at a time. */
  async withdrawals(q: { sender?: string | undefined; status?: string | undefined; limit?: number | undefined; cursor?: string | undefined }): Promise<Out<typeof withdrawalList>> {
    const served = (w: z.infer<typeof withdrawalView>) => ({ ...w, sender: toChecksumAddress(w.sender) });
    if (q.sender !== undefined) {
      const list = await this.upstream.get(UPSTREAM_SUBJECTS.withdrawalsBySender, { sender: q.sender.toLowerCase() }, z.array(withdrawalView));
      return { withdrawals: list.map(served), nextCursor: null };
    }
    const page = await this.upstream.get(UPSTREAM_SUBJECTS.withdrawalsByStatus, defined({ status: q.status, limit: q.limit, cursor: q.cursor }), withdrawalPage);
    return namedPage('withdrawals', { ...page, items: page.items.map(served) });
  }

  /** Signature requests (signing sessions), newest first, from the signing-coordinator a page at a time. */
  async signingSessions(q: { status?: string | undefined; limit?: number | undefined; cursor?: string | undefined }): Promise<Out<typeof signingSessionPage>> {
    const page = await this.upstream.get(UPSTREAM_SUBJECTS.signingSessions, defined({ status: q.status, limit: q.limit, cursor: q.cursor }), sessionPage);
    return namedPage('sessions', page);
  }

  async reserves(): Promise<Out<typeof reservesView>> {
    const r = await this.upstream.get(UPSTREAM_SUBJECTS.reserves, {}, reservesAnswer);
    return {
      custodySats: r.custody.totalSats, custodyUtxos: r.custody.utxos.length, utxos: r.custody.utxos, l2SupplySats: r.l2SupplySats, pendingWithdrawalsSats: r.pendingWithdrawalsSats,
      feesPaidSats: r.feesPaidSats, discrepancySats: r.discrepancySats, invariantHolds: r.invariantHolds, invariant: r.invariant, checkedAt: r.checkedAt,
    };
  }

  async chain(): Promise<Out<typeof chainView>> {
    const [tip, sync, l2] = await Promise.all([
      this.upstream.get(UPSTREAM_SUBJECTS.btcTip, {}, tipAnswer),
      this.upstream.get(UPSTREAM_SUBJECTS.btcSync, {}, syncAnswer),
      this.upstream.get(UPSTREAM_SUBJECTS.evmChain, {}, evmChainAnswer),
    ]);
    return {
      bitcoin: { network: sync.network, tipHeight: tip.height, tipHash: tip.hash, tipTime: tip.time, sources: sync.sources },
      l2: { chainId: l2.chainId, height: l2.height, headHash: l2.headHash, finalizedHeight: l2.finalizedHeight, finalityDepth: l2.finalityDepth, bridgeAddress: toChecksumAddress(l2.bridgeAddress) },
    };
  }

  async signers(): Promise<Out<typeof signerSetView>> {
    const [members, custody, bonded, epoch] = await Promise.all([
      this.upstream.get(UPSTREAM_SUBJECTS.signers, {}, signerAnswer),
      // No group key before the first DKG: the coordinator answers not_found, which is a state here, not an error.
      this.upstream.get(UPSTREAM_SUBJECTS.custody, {}, custodyAnswer).catch((e: unknown) => {
        if (e instanceof DomainError && e.code === 'not_found') return undefined;
        throw e;
      }),
      // Stake is stake-accounting's: absent (null) while it does not run, as on a stack without staking.
      this.upstream.optional(UPSTREAM_SUBJECTS.stakeSigners, {}, stakeSignersAnswer),
      this.upstream.optional(UPSTREAM_SUBJECTS.stakeEpoch, {}, epochAnswer),
    ]);
    return {
      groupKey: custody?.groupKey ?? null, custodyAddress: custody?.address ?? null, signers: members.length,
      live: members.filter((m) => m.live).length, ready: members.filter((m) => m.ready).length, members,
      stake: bonded === undefined ? null : {
        epoch: epoch ? { epoch: epoch.epoch, startHeight: epoch.startHeight, threshold: epoch.threshold, totalStake: epoch.totalStake, members: epoch.members.map((m) => m.hostPubkey) } : null,
        signers: bonded.map((b) => ({ ...b, address: toChecksumAddress(b.address) })),
      },
    };
  }

  async fees(): Promise<Out<typeof feesView>> {
    const [status, supply, capacity] = await Promise.all([
      this.upstream.get(UPSTREAM_SUBJECTS.sweepStatus, {}, statusAnswer),
      this.upstream.get(UPSTREAM_SUBJECTS.evmSupply, {}, supplyAnswer),
      this.upstream.optional(UPSTREAM_SUBJECTS.stakeCapacity, {}, capacityAnswer),
    ]);
    return {
      feeRateSatPerVb: status.feeRateSatPerVb, pipeline: status.status, waitingWithdrawals: status.waitingWithdrawals, stuckWithdrawals: status.stuckWithdrawals,
      outflow: status.outflow, l2SupplySats: supply.supplySats,
      capacity: capacity === undefined ? null : {
        status: capacity.status, capacitySats: capacity.capacitySats, stakeUnits: capacity.stakeUnits, stakeValueSats: capacity.stakeValueSats,
        obligationsSats: capacity.obligationsSats, collateralRatioBps: capacity.collateralRatioBps, ratioBps: capacity.ratioBps,
        priceSatsPerToken: capacity.priceSatsPerToken, reason: capacity.reason ?? null, at: capacity.at,
      },
    };
  }
}
