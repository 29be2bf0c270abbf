// CustodyChannelStore on Postgres (Prisma): a channel row plus its executed states; every save is one transaction
// with its outbox event, so an executed (channel, state) and its channel.updated event exist together or not at all.
// An executed payment or return also publishes channel.system.call in the same transaction: the sequencer's L2
// credit or burn of it (real L2 BTC), applied once per (channel, state) (packages/evm system-calls.ts).
import { Inject, Injectable } from '@nestjs/common';
import { ChannelError, decodeChannelParams, decodePartyState, encodeChannelParams, encodePartyState, type ChannelChange, type ChannelEvent, type ChannelStatus, type CustodyChannel, type CustodyChannelStore, type ExecutedState } from '@tapbridge/channels';
import { channelClosed, channelClosing, channelOpened, channelSystemCall, channelUpdated, enqueueEvent, prismaExecutor, type EventPayload, type SqlExecutor } from '@tapbridge/messaging';
import type { ServiceRuntime } from '@tapbridge/runtime';
import { RUNTIME } from '@tapbridge/runtime/nest';
import { bytesToHex, hexToBytes } from '@tapbridge/bitcoin';
import type { Channel, ChannelState } from '../generated/prisma/client.js';
import { PrismaService } from '../prisma.service.js';

const STATUSES: readonly ChannelStatus[] = ['pending-funding', 'open', 'closing', 'closed'];
const KINDS: readonly ExecutedState['kind'][] = ['open', 'credit', 'burn'];

function toChannel(row: Channel & { states: ChannelState[] }): CustodyChannel {
  const status = STATUSES.find((s) => s === row.status);
  if (!status) throw new ChannelError(`channel ${row.id} has an unknown status ${row.status}`);
  return {
    channelId: row.id,
    params: decodeChannelParams(row.params),
    evmAddress: row.evmAddress,
    status,
    party: decodePartyState(JSON.stringify(row.party)),
    openingSignature: row.openingSignature ? hexToBytes(row.openingSignature) : new Uint8Array(0),
    executed: row.states
      .map((s) => {
        const kind = KINDS.find((k) => k === s.kind);
        if (!kind) throw new ChannelError(`state ${s.stateNumber} of ${row.id} has an unknown kind ${s.kind}`);
        return { stateNumber: Number(s.stateNumber), user: s.userSats, custody: s.custodySats, kind, amount: s.amountSats };
      })
      .sort((a, b) => a.stateNumber - b.stateNumber),
    ...(row.closeTxid ? { closeTxid: row.closeTxid } : {}),
  };
}

/** The L2 side of an executed state: its channel ledger system call (the id is the sequencer's: channel:<id>:<state>). */
export function channelLedgerCall(e: Extract<ChannelEvent, { type: 'updated' }>): EventPayload<typeof channelSystemCall> {
  return {
    id: `channel:${e.channelId}:${e.stateNumber}`,
    call: { kind: e.kind === 'credit' ? 'channel_credit' : 'channel_burn', channelId: e.channelId, stateNumber: e.stateNumber.toString(), account: e.evmAddress, amountSats: e.amount.toString() },
  };
}

async function emit(tx: SqlExecutor, schema: string, e: ChannelEvent): Promise<void> {
  if (e.type === 'opened') await enqueueEvent(tx, schema, channelOpened, { channelId: e.channelId, evmAddress: e.evmAddress, capacitySats: e.capacity.toString() });
  else if (e.type === 'updated') {
    await enqueueEvent(tx, schema, channelUpdated, { channelId: e.channelId, stateNumber: e.stateNumber, userSats: e.user.toString(), custodySats: e.custody.toString(), kind: e.kind, amountSats: e.amount.toString() });
    // A state that moves nothing has nothing to credit or burn.
    if (e.amount > 0n) await enqueueEvent(tx, schema, channelSystemCall, channelLedgerCall(e));
  }
  else if (e.type === 'closing') await enqueueEvent(tx, schema, channelClosing, { channelId: e.channelId, how: e.how, txid: e.txid, ...(e.stateNumber !== undefined ? { stateNumber: e.stateNumber } : {}) });
  else await enqueueEvent(tx, schema, channelClosed, { channelId: e.channelId, txid: e.txid });
}

@Injectable()
export class PrismaChannelStore implements CustodyChannelStore {
  constructor(
    @Inject(PrismaService) private readonly prisma: PrismaService,
    @Inject(RUNTIME) private readonly runtime: ServiceRuntime,
  ) {}

  async get(channelId: string): Promise<CustodyChannel | undefined> {
    const row = await this.prisma.channel.findUnique({ where: { id: channelId }, include: { states: true } });
    return row ? toChannel(row) : undefined;
  }

  async list(statuses: readonly ChannelStatus[]): Promise<CustodyChannel[]> {
    const rows = await this.prisma.channel.findMany({ where: { status: { in: [...statuses] } }, include: { states: true }, orderBy: { createdAt: 'asc' } });
    return rows.map(toChannel);
  }

  async create(channel: CustodyChannel, event?: ChannelEvent): Promise<boolean> {
    const created = await this.prisma.$transaction(async (tx) => {
      // ON CONFLICT claim: two registrations of one channel race; exactly one inserts.
      const rows = await tx.$queryRaw<{ id: string }[]>`
        INSERT INTO channel_service.channel (id, params, evm_address, status, party, opening_signature, capacity_sats)
        VALUES (${channel.channelId}, ${JSON.stringify(encodeChannelParams(channel.params))}::jsonb, ${channel.evmAddress}, ${channel.status},
                ${encodePartyState(channel.party)}::jsonb, ${channel.openingSignature.length === 64 ? bytesToHex(channel.openingSignature) : null}, ${channel.params.capacity})
        ON CONFLICT (id) DO NOTHING RETURNING id`;
      if (rows.length === 0) return false;
      await tx.channelState.createMany({
        data: channel.executed.map((e) => ({ channelId: channel.channelId, stateNumber: BigInt(e.stateNumber), userSats: e.user, custodySats: e.custody, kind: e.kind, amountSats: e.amount })),
      });
      if (event) await emit(prismaExecutor(tx), this.runtime.schema, event);
      return true;
    });
    if (created && event) this.runtime.relay.wake();
    return created;
  }

  async save(channelId: string, change: ChannelChange): Promise<void> {
    await this.prisma.$transaction(
      async (tx) => {
        if (change.execute) {
          const e = change.execute;
          // Exactly once per (channel, state): the primary key claims it; a second write must be the same state.
          const inserted = await tx.$queryRaw<{ n: bigint }[]>`
            INSERT INTO channel_service.channel_state (channel_id, state_number, user_sats, custody_sats, kind, amount_sats)
            VALUES (${channelId}, ${e.stateNumber}, ${e.user}, ${e.custody}, ${e.kind}, ${e.amount})
            ON CONFLICT (channel_id, state_number) DO NOTHING RETURNING state_number AS n`;
          if (inserted.length === 0) {
            const prior = await tx.channelState.findUniqueOrThrow({ where: { channelId_stateNumber: { channelId, stateNumber: BigInt(e.stateNumber) } } });
            if (prior.userSats !== e.user || prior.custodySats !== e.custody || prior.kind !== e.kind)
              throw new ChannelError(`state ${e.stateNumber} of ${channelId} is already executed differently`);
          }
        }
        await tx.channel.update({
          where: { id: channelId },
          data: {
            updatedAt: new Date(),
            ...(change.party ? { party: JSON.parse(encodePartyState(change.party)) as object } : {}),
            ...(change.status ? { status: change.status } : {}),
            ...(change.openingSignature ? { openingSignature: bytesToHex(change.openingSignature) } : {}),
            ...(change.closeTxid ? { closeTxid: change.closeTxid } : {}),
          },
        });
        if (change.event) await emit(prismaExecutor(tx), this.runtime.schema, change.event);
      },
      { maxWait: 10_000, timeout: 30_000 },
    );
    if (change.event) this.runtime.relay.wake();
  }
}
