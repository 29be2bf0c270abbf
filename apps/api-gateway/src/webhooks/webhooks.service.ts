import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { DecodedEvent } from '@tapbridge/messaging';
import { DomainError, InjectConfig } from '@tapbridge/runtime/nest';
import type { ApiGatewayConfig } from '../config.js';
import type { WebhookSubscription } from '../generated/prisma/client.js';
import { PrismaService } from '../prisma.service.js';
import { publicPayload, toChecksumAddress } from '../eip55.js';

export interface NewWebhook {
  url: string;
  events: string[];
  deposit?: string | undefined;
  withdrawalId?: string | undefined;
  recipient?: string | undefined;
  sender?: string | undefined;
}

/** Who asks: the API key id, and whether it may see every subscription (scope `*`). */
export interface Caller {
  keyId: string;
  admin: boolean;
}

/** One event for one subscription: the id is the same however often the event is delivered to the gateway. */
export function deliveryId(eventId: string, subscriptionId: string): string {
  return `d_${createHash('sha256').update(`${eventId}\n${subscriptionId}`).digest('hex').slice(0, 40)}`;
}

/** Whether a subscription wants an event: its type, then the optional deposit / withdrawal / address filters. */
export function matches(sub: Pick<WebhookSubscription, 'events' | 'deposit' | 'withdrawalId' | 'recipient' | 'sender'>, subject: string, payload: Record<string, unknown>): boolean {
  if (!sub.events.includes(subject)) return false;
  const isDeposit = subject.startsWith('deposit.');
  if (sub.deposit !== null && (!isDeposit || `${String(payload.txid)}:${String(payload.vout)}` !== sub.deposit)) return false;
  if (sub.withdrawalId !== null && (isDeposit || payload.withdrawalId !== sub.withdrawalId)) return false;
  // deposit.confirmed/reorged name the recipient; the other deposit events do not, so a recipient filter skips them.
  if (sub.recipient !== null && (typeof payload.recipient !== 'string' || toChecksumAddress(payload.recipient) !== sub.recipient)) return false;
  if (sub.sender !== null && (typeof payload.sender !== 'string' || toChecksumAddress(payload.sender) !== sub.sender)) return false;
  return true;
}

const view = (s: WebhookSubscription) => ({
  id: s.id, url: s.url, events: s.events, deposit: s.deposit, withdrawalId: s.withdrawalId, recipient: s.recipient, sender: s.sender,
  createdAt: s.createdAt.toISOString(), revokedAt: s.revokedAt?.toISOString() ?? null,
});

@Injectable()
export class Webhooks {
  constructor(
    @Inject(PrismaService) private readonly prisma: PrismaService,
    @InjectConfig() private readonly config: ApiGatewayConfig,
  ) {}

  async create(caller: Caller, body: NewWebhook) {
    const url = new URL(body.url);
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && this.config.WEBHOOK_ALLOW_HTTP))
      throw new DomainError('invalid_request', `webhook URLs must be https${this.config.WEBHOOK_ALLOW_HTTP ? ' or http' : ''}, got ${url.protocol}`, 400);
    if (url.username || url.password) throw new DomainError('invalid_request', 'webhook URLs may not carry credentials', 400);
    const secret = `whsec_${randomBytes(32).toString('base64url')}`;
    const row = await this.prisma.webhookSubscription.create({
      data: {
        id: randomUUID(), apiKeyId: caller.keyId, url: url.toString(), secret, events: [...new Set(body.events)],
        deposit: body.deposit ?? null, withdrawalId: body.withdrawalId ?? null, recipient: body.recipient ?? null, sender: body.sender ?? null,
      },
    });
    return { ...view(row), secret };
  }

  async list(caller: Caller) {
    const rows = await this.prisma.webhookSubscription.findMany({ where: caller.admin ? {} : { apiKeyId: caller.keyId }, orderBy: { createdAt: 'desc' }, take: 1_000 });
    return { webhooks: rows.map(view) };
  }

  async get(caller: Caller, id: string) {
    return view(await this.owned(caller, id));
  }

  async revoke(caller: Caller, id: string) {
    const row = await this.owned(caller, id);
    if (row.revokedAt) return view(row);
    return view(await this.prisma.webhookSubscription.update({ where: { id }, data: { revokedAt: new Date() } }));
  }

  async deliveries(caller: Caller, id: string) {
    await this.owned(caller, id);
    const rows = await this.prisma.webhookDelivery.findMany({
      where: { subscriptionId: id }, orderBy: { createdAt: 'desc' }, take: 200,
      include: { attemptRows: { orderBy: { attempt: 'asc' } } },
    });
    return {
      deliveries: rows.map((d) => ({
        id: d.id, eventId: d.eventId, event: d.event, status: d.status as 'pending' | 'delivered' | 'failed', createdAt: d.createdAt.toISOString(), deliveredAt: d.deliveredAt?.toISOString() ?? null,
        attempts: d.attemptRows.map((a) => ({ attempt: a.attempt, startedAt: a.startedAt.toISOString(), durationMs: a.durationMs, statusCode: a.statusCode, error: a.error })),
      })),
    };
  }

  /**
   * Records a delivery for every live subscription that wants the event and returns their ids. A redelivered event
   * finds its rows already there (skipDuplicates) and returns the same ids, so the jobs added for them are no-ops.
   */
  async deliveriesFor(event: DecodedEvent): Promise<string[]> {
    const payload = event.payload as Record<string, unknown>;
    const subs = await this.prisma.webhookSubscription.findMany({ where: { revokedAt: null, events: { has: event.subject } } });
    const wanted = subs.filter((s) => matches(s, event.subject, payload));
    if (wanted.length === 0) return [];
    const rows = wanted.map((s) => ({ id: deliveryId(event.id, s.id), subscriptionId: s.id, eventId: event.id, event: event.subject, payload: publicPayload(payload) }));
    await this.prisma.webhookDelivery.createMany({ data: rows, skipDuplicates: true });
    return rows.map((r) => r.id);
  }

  private async owned(caller: Caller, id: string): Promise<WebhookSubscription> {
    const row = await this.prisma.webhookSubscription.findUnique({ where: { id } });
    // Another key's subscription is as unknown as a missing one.
    if (!row || (!caller.admin && row.apiKeyId !== caller.keyId)) throw new DomainError('not_found', `no webhook ${id}`);
    return row;
  }
}
