import { Controller, Inject, Param, Sse, type MessageEvent } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { DomainError } from '@tapbridge/runtime/nest';
import { concat, defer, filter, from, map, type Observable } from 'rxjs';
import { DepositParams, WithdrawalParams } from '../dto.js';
import { publicPayload } from '../eip55.js';
import { Reads } from '../reads.service.js';
import { EventFeed } from './event-feed.js';

const SSE_EXAMPLE = 'event: status\ndata: {"txid":"…","vout":0,"status":"seen",…}\n\nevent: deposit.confirmed\nid: deposit.confirmed:…\ndata: {"txid":"…","vout":0,"blockHeight":812,…}\n\n';

/**
 * Server-Sent Events: first `status` with the current view (from the owning service), then every status change
 * event of that deposit or withdrawal as it is published. A browser's EventSource reconnects by itself.
 */
@ApiTags('live')
@Controller('v1')
export class LiveController {
  constructor(
    @Inject(EventFeed) private readonly feed: EventFeed,
    @Inject(Reads) private readonly reads: Reads,
  ) {}

  @Sse('deposits/:txid/:vout/events')
  @ApiOperation({ summary: 'Live status of a deposit (text/event-stream): the current status, then each deposit.* event' })
  @ApiProduces('text/event-stream')
  @ApiOkResponse({ description: 'An event stream', content: { 'text/event-stream': { schema: { type: 'string' }, example: SSE_EXAMPLE } } })
  deposit(@Param() p: DepositParams): Observable<MessageEvent> {
    const changes = this.feed.events.pipe(
      filter((e) => e.subject.startsWith('deposit.') && (e.payload as { txid: string }).txid === p.txid && (e.payload as { vout: number }).vout === p.vout),
      map((e): MessageEvent => ({ type: e.subject, id: e.id, data: publicPayload(e.payload) })),
    );
    return concat(this.current(() => this.reads.deposit(p.txid, p.vout)), changes);
  }

  @Sse('withdrawals/:id/events')
  @ApiOperation({ summary: 'Live status of a withdrawal (text/event-stream): the current status, then each withdrawal.* event' })
  @ApiProduces('text/event-stream')
  @ApiOkResponse({ description: 'An event stream', content: { 'text/event-stream': { schema: { type: 'string' }, example: SSE_EXAMPLE.replaceAll('deposit', 'withdrawal') } } })
  withdrawal(@Param() p: WithdrawalParams): Observable<MessageEvent> {
    const changes = this.feed.events.pipe(
      filter((e) => e.subject.startsWith('withdrawal.') && (e.payload as { withdrawalId: string }).withdrawalId === p.id),
      map((e): MessageEvent => ({ type: e.subject, id: e.id, data: publicPayload(e.payload) })),
    );
    return concat(this.current(() => this.reads.withdrawal(p.id)), changes);
  }

  /** The current view as the first event; not yet known (404) is a status too: a deposit may be watched before it is seen. */
  private current(read: () => Promise<object>): Observable<MessageEvent> {
    return defer(() => from(read().then(
      (data): MessageEvent => ({ type: 'status', data }),
      (e: unknown): MessageEvent => {
        if (e instanceof DomainError) return { type: 'status', data: { status: e.code === 'not_found' ? 'unknown' : 'unavailable', detail: e.message } };
        throw e;
      },
    )));
  }
}
