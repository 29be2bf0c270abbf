// The gateway's side of the dynamic pledge: stake.capacity keeps the capacity gate current (deposits beyond
// capacity are held, then minted in confirmation order when room appears: mint/deposit-minter.ts), and
// stake.system.call applies stake-accounting's decisions (slash, unbonding release, rewards) to the staking contract
// as system calls, once per decision id (packages/evm system-calls.ts).
import { Controller, Get, Inject, Injectable, Module, Optional, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { CapacityGate, EvmEngine, mintAllowanceSats, parseSystemCall, SystemCallError } from '@tapbridge/evm';
import { NonRetryableError, stakeCapacity, stakeSystemCall, type DecodedEvent, type DurableConsumer, type EventPayload } from '@tapbridge/messaging';
import type { ServiceRuntime } from '@tapbridge/runtime';
import { createZodDto, RUNTIME, ZodResponse } from '@tapbridge/runtime/nest';
import { z } from 'zod';
import { ChainModule } from '../chain/chain.module.js';
import { DepositMinter } from '../mint/deposit-minter.js';
import { MintModule } from '../mint/mint.module.js';
import { PrismaService } from '../prisma.service.js';
import { capacityView, CapacityViewStore, depositMintStates, owedSats, PrismaHeldDepositStore, takeCapacity, type DepositMintState } from './held-deposits.js';

/** Durable consumer on stake.> (capacity and system calls). */
export const STAKE_CONSUMER = 'evm-gateway-stake';
/** Held deposits are looked at again this often too: burns free room without any stake event. */
const DRAIN_INTERVAL_MS = 15_000;

@Injectable()
export class StakeConsumer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private consumer: DurableConsumer | undefined;
  private timer: NodeJS.Timeout | undefined;
  private draining: Promise<unknown> = Promise.resolve();

  constructor(
    @Inject(RUNTIME) private readonly runtime: ServiceRuntime,
    @Inject(EvmEngine) private readonly engine: EvmEngine,
    @Inject(DepositMinter) private readonly minter: DepositMinter,
    @Inject(PrismaService) private readonly prisma: PrismaService,
    @Optional() @Inject(CapacityGate) private readonly gate: CapacityGate | null,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // One at a time, in stream order: a system call waits for its block (seconds); a failed block is retried, a
    // malformed decision dead-lettered.
    this.consumer = await this.runtime.consume({
      durable: STAKE_CONSUMER, stream: 'STAKE', subject: 'stake.>', maxAckPending: 1, ackWaitMs: 30_000,
      maxDeliver: 50, backoffMs: [1_000, 2_000, 5_000, 10_000],
      handle: (event) => this.handle(event),
    });
    if (this.gate !== null) this.timer = setInterval(() => void this.drain(), DRAIN_INTERVAL_MS);
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.consumer?.stop();
    await this.draining;
  }

  async handle(event: DecodedEvent): Promise<void> {
    if (event.subject === stakeCapacity.subject) {
      if (this.gate === null) return; // EVM_MINT_CAPACITY=unlimited
      await takeCapacity(new CapacityViewStore(this.prisma), this.gate, capacityView(event.payload as EventPayload<typeof stakeCapacity>));
      await this.drain();
      return;
    }
    if (event.subject !== stakeSystemCall.subject) return; // stake.epoch.started: custody rotation's business
    let call;
    try {
      call = parseSystemCall(event.payload as EventPayload<typeof stakeSystemCall>);
    } catch (err) {
      if (err instanceof SystemCallError) throw new NonRetryableError(`stake.system.call ${event.id} refused: ${err.message}`);
      throw err;
    }
    // Acked only once its block committed (or it was applied before): a crash before that redelivers it, and the
    // stored system transaction or the contract's guard keeps it from running twice.
    const outcome = await this.engine.queueSystemCall(call);
    const record = outcome.status === 'already-executed' ? outcome.record : await outcome.committed;
    const reverted = record.status === 'reverted';
    this.runtime.logger[reverted ? 'error' : 'info'](
      { ...(reverted ? { alert: 'stake_system_call_reverted' } : {}), id: record.id, status: record.status, block: record.blockNumber.toString(), tx: record.transactionHash, revertData: record.revertData },
      reverted ? 'ALERT: the staking contract refused a stake decision' : 'stake system call settled',
    );
  }

  /** Mints held deposits that fit now; one drain at a time, failures logged and tried again on the next tick. */
  drain(): Promise<unknown> {
    const run = this.draining
      .then(() => this.minter.drainHeld())
      .then((n) => n > 0 && this.runtime.logger.info({ minted: n }, 'held deposits minted within capacity'))
      .catch((err: unknown) => this.runtime.logger.warn({ err: (err as Error).message }, 'minting held deposits failed; tried again later'));
    this.draining = run;
    return run;
  }
}

const heldDeposit = z.object({
  depositId: z.string(),
  state: z.literal('held_capacity'),
  recipient: z.string(),
  amountSats: z.string(),
  blockHash: z.string(),
  blockHeight: z.number().int(),
  position: z.number().int().describe('Position of the deposit transaction in its Bitcoin block'),
  vout: z.number().int(),
  heldAt: z.string(),
});
const heldDeposits = z.object({
  enforced: z.boolean().describe('false: EVM_MINT_CAPACITY=unlimited, nothing is ever held'),
  capacity: z
    .object({ seq: z.number().int(), status: z.enum(['open', 'frozen']), stakeValueSats: z.string().nullable(), collateralRatioBps: z.number().int() })
    .nullable()
    .describe('The latest stake.capacity the gateway holds (null: none yet, nothing is minted)'),
  allowanceSats: z.string().nullable().describe('stake value / R − what the bridge owes now (null: frozen or unknown)'),
  deposits: z.array(heldDeposit).describe('In confirmation order: the order they will be minted in'),
});
export class HeldDepositsDto extends createZodDto(heldDeposits) {}

@Controller()
export class HeldDepositsController {
  constructor(
    @Inject(PrismaService) private readonly prisma: PrismaService,
    @Optional() @Inject(CapacityGate) private readonly gate: CapacityGate | null,
  ) {}

  @Get('held-deposits')
  @ApiTags('mints')
  @ApiOperation({ summary: 'Deposits held for capacity (held_capacity): confirmed, not minted, minted in this order when stake allows' })
  @ZodResponse({ status: 200, type: HeldDepositsDto })
  async held(): Promise<z.infer<typeof heldDeposits>> {
    const rows = await new PrismaHeldDepositStore(this.prisma).list();
    const view = this.gate?.capacity ?? null;
    const allowance = this.gate === null ? null : mintAllowanceSats(view, await owedSats(this.prisma));
    return {
      enforced: this.gate !== null,
      capacity: view === null ? null : { seq: view.seq, status: view.status, stakeValueSats: view.stakeValueSats?.toString() ?? null, collateralRatioBps: view.collateralRatioBps },
      allowanceSats: allowance === null ? null : allowance.toString(),
      deposits: rows.map((r) => ({
        depositId: r.depositId, state: 'held_capacity' as const, recipient: r.recipient, amountSats: r.amountSats.toString(), blockHash: r.blockHash,
        blockHeight: r.blockHeight, position: r.position, vout: r.vout, heldAt: r.heldAt.toISOString(),
      })),
    };
  }
}

/** rpc.evm.deposits.state: each deposit's state at the mint (minted, held_capacity, unknown) and whether capacity is enforced. */
export const DEPOSIT_STATE_SUBJECT = 'evm.deposits.state';
export class DepositStateRequest extends createZodDto(z.object({ depositIds: z.array(z.string().regex(/^[0-9a-f]{64}:[0-9]+$/, 'must be <txid>:<vout>')).max(1_000) })) {}
export interface DepositStateAnswer {
  /** false: EVM_MINT_CAPACITY=unlimited, nothing is ever held. */
  enforced: boolean;
  states: Record<string, DepositMintState>;
}

@Controller()
export class DepositStateRpcController {
  constructor(
    @Inject(PrismaService) private readonly prisma: PrismaService,
    @Optional() @Inject(CapacityGate) private readonly gate: CapacityGate | null,
  ) {}

  @MessagePattern(DEPOSIT_STATE_SUBJECT)
  async state(@Payload() { depositIds }: DepositStateRequest): Promise<DepositStateAnswer> {
    return { enforced: this.gate !== null, states: await depositMintStates(this.prisma, depositIds) };
  }
}

@Module({
  imports: [ChainModule, MintModule],
  controllers: [HeldDepositsController, DepositStateRpcController],
  providers: [StakeConsumer],
})
export class StakeModule {}
