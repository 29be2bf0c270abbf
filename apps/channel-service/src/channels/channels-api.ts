// What the REST controller and rpc.channels.* answer, over the custody desk and the store: bytes to hex, bigints to
// decimal strings, ChannelError to problem+json (404 for an unknown channel, 409 for a rule the request breaks).
import { Inject, Injectable } from '@nestjs/common';
import { ChannelError, CustodyDesk, decodeChannelParams, encodeChannelParams, l2Balances, sheetFromJson, type CustodyChannel, type ExecutedState } from '@tapbridge/channels';
import { bytesToHex, computeTxid, encodeTransactionHex, hashToHex, hexToBytes } from '@tapbridge/bitcoin';
import { DomainError, InjectConfig } from '@tapbridge/runtime/nest';
import type { ChannelServiceConfig } from '../config.js';
import { CustodyTermsSource } from './custody-terms.js';
import type { AcceptanceView, ChannelView, CloseView, ExecutedView, LedgerView, RegisteredView, TermsView } from './dto.js';
import { FundingProver } from './funding-prover.js';
import { L2Ledger } from './l2-ledger.js';
import { PrismaChannelStore } from './prisma-channel-store.js';

const executedView = (e: ExecutedState): ExecutedView => ({ stateNumber: e.stateNumber, userSats: e.user.toString(), custodySats: e.custody.toString(), kind: e.kind, amountSats: e.amount.toString() });

async function domain<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ChannelError) throw new DomainError(/^no channel /.test(err.message) ? 'not_found' : 'conflict', err.message);
    throw err;
  }
}

@Injectable()
export class ChannelsApi {
  constructor(
    @InjectConfig() private readonly config: ChannelServiceConfig,
    @Inject(CustodyDesk) private readonly desk: CustodyDesk,
    @Inject(PrismaChannelStore) private readonly store: PrismaChannelStore,
    @Inject(CustodyTermsSource) private readonly terms: CustodyTermsSource,
    @Inject(L2Ledger) private readonly l2: L2Ledger,
    @Inject(FundingProver) private readonly prover: FundingProver,
  ) {}

  async termsView(): Promise<TermsView> {
    const t = this.terms.loaded() ? this.terms.terms() : await this.terms.load().catch((err: unknown) => {
      throw new DomainError('unavailable', `custody terms unknown: ${(err as Error).message}`);
    });
    return {
      network: this.config.BITCOIN_NETWORK,
      groupKey: bytesToHex(t.groupKey),
      custodyRevocationBasepoint: bytesToHex(t.custodyRevocationBasepoint),
      custodyPayoutScript: bytesToHex(t.custodyPayoutScript),
      challengePeriod: t.challengePeriod,
      commitmentFee: t.commitmentFee.toString(),
      minConfirmations: this.config.CHANNEL_MIN_CONFIRMATIONS,
    };
  }

  openingPoints(channelId: string): { channelId: string; points: string[] } {
    return { channelId, points: this.desk.openingPoints(channelId).map((p) => bytesToHex(p)) };
  }

  register(b: { params: unknown; evmAddress: string; userPoints: [string, string]; userSignature: string }): Promise<RegisteredView> {
    return domain(async () => {
      if (!this.terms.loaded()) await this.terms.load();
      const params = decodeChannelParams(b.params);
      const r = await this.desk.register({ params, evmAddress: b.evmAddress, userPoints: [hexToBytes(b.userPoints[0]), hexToBytes(b.userPoints[1])], userSignature: hexToBytes(b.userSignature) });
      return { channelId: r.channelId, signature: bytesToHex(r.signature), custodyPoints: this.desk.openingPoints(r.channelId).map((p) => bytesToHex(p)) };
    });
  }

  proposal(channelId: string, b: { sheet: { stateNumber: number; user: string; custody: string }; signature: string }): Promise<AcceptanceView> {
    return domain(async () => {
      const a = await this.desk.receiveProposal(channelId, { type: 'proposal', sheet: sheetFromJson(b.sheet), signature: hexToBytes(b.signature) });
      return { stateNumber: a.stateNumber, signature: bytesToHex(a.signature), revocation: { stateNumber: a.revocation.stateNumber, secret: bytesToHex(a.revocation.secret), nextPoint: bytesToHex(a.revocation.nextPoint) } };
    });
  }

  revocation(channelId: string, b: { stateNumber: number; secret: string; nextPoint: string }): Promise<ExecutedView> {
    return domain(async () => executedView(await this.desk.receiveRevocation(channelId, { type: 'revocation', stateNumber: b.stateNumber, secret: hexToBytes(b.secret), nextPoint: hexToBytes(b.nextPoint) })));
  }

  /** Records the return's burn (published to the L2 with it) and answers once the L2 applied it, or after RPC_TIMEOUT_MS. */
  returnBurn(channelId: string, b: { stateNumber: number; amountSats: string }): Promise<ExecutedView> {
    return domain(async () => {
      const executed = await this.desk.burnForReturn(channelId, b.stateNumber, BigInt(b.amountSats));
      const l2 = await this.l2.waitSettled(channelId, b.stateNumber, this.config.RPC_TIMEOUT_MS).catch(() => 'pending' as const);
      if (l2 === 'refused') throw new ChannelError(`the L2 refused the burn of state ${b.stateNumber} (the L2 BTC was spent): custody will not sign it`);
      return executedView(executed);
    });
  }

  close(channelId: string, b: { feeSats: string; feePaidBy: 'user' | 'custody'; userSignature: string }): Promise<CloseView> {
    return domain(async () => {
      const r = await this.desk.cooperativeClose(channelId, { fee: BigInt(b.feeSats), feePaidBy: b.feePaidBy, userSignature: hexToBytes(b.userSignature) });
      const hex = encodeTransactionHex(r.tx);
      const broadcast = await this.#broadcast(hex);
      return { txid: hashToHex(computeTxid(r.tx)), transaction: hex, userSats: r.user.toString(), custodySats: r.custody.toString(), broadcast };
    });
  }

  /** Custody settles alone with its latest commitment (the user's side is paid at once). */
  forceClose(channelId: string): Promise<{ txid: string; transaction: string; broadcast: string }> {
    return domain(async () => {
      const tx = await this.desk.custodyForceClose(channelId);
      const hex = encodeTransactionHex(tx);
      return { txid: hashToHex(computeTxid(tx)), transaction: hex, broadcast: await this.#broadcast(hex) };
    });
  }

  async #broadcast(hex: string): Promise<string> {
    const source = this.prover.sources[0]!;
    try {
      const r = await source.broadcastTransaction(hex);
      return r.status;
    } catch (err) {
      return `error: ${(err as Error).message}`;
    }
  }

  async #get(channelId: string): Promise<CustodyChannel> {
    const c = await this.store.get(channelId);
    if (!c) throw new DomainError('not_found', `no channel ${channelId}`);
    return c;
  }

  async channel(channelId: string): Promise<ChannelView> {
    const c = await this.#get(channelId);
    const l2 = l2Balances(c);
    return {
      channelId,
      status: c.status,
      evmAddress: c.evmAddress,
      capacitySats: c.params.capacity.toString(),
      latest: executedView(l2.latest),
      signedState: c.party.latest.sheet.stateNumber,
      updateInFlight: c.party.pending?.sheet.stateNumber ?? null,
      l2: { channelAccountSats: l2.channelAccount.toString(), creditedSats: l2.l2Credited.toString(), burnedSats: l2.l2Burned.toString() },
      closeTxid: c.closeTxid ?? null,
      params: encodeChannelParams(c.params),
    };
  }

  async history(channelId: string): Promise<ExecutedView[]> {
    return (await this.#get(channelId)).executed.map(executedView);
  }

  /** What a signer's channel policy checks against: the parameters and every executed state. */
  async ledger(channelId: string): Promise<LedgerView> {
    const c = await this.#get(channelId);
    return { channelId, status: c.status, params: encodeChannelParams(c.params), executed: c.executed.map(executedView) };
  }
}
