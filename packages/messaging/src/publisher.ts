import type { JetStreamClient } from '@nats-io/jetstream';
import { validatePayload, type EventDefinition, type EventPayload, type Naming } from './catalog.js';
import { counter } from '@tapbridge/observability';
import { encodeEvent } from './wire.js';

const published = counter('tapbridge_events_published_total', 'Events published to JetStream', ['subject', 'duplicate']);

/**
 * Publishes straight to JetStream. Services use the outbox instead whenever the event records a state change;
 * this is for the relay and for events that are not tied to a database write.
 */
export class EventPublisher {
  constructor(
    private readonly js: JetStreamClient,
    private readonly naming: Naming,
  ) {}

  async publish<E extends EventDefinition>(event: E, payload: EventPayload<E>, traceId?: string) {
    const valid = validatePayload(event, payload);
    return this.publishRaw({ id: event.id(valid), subject: event.subject, version: event.version, payload: valid, ...(traceId ? { traceId } : {}) });
  }

  /**
   * Publishes an already validated event (the outbox stores validated payloads). `expectLastMsgId`: JetStream stores
   * it only if the stream's last stored message has that id (Nats-Expected-Last-Msg-Id); a duplicate id is still
   * acknowledged as a duplicate, since the server checks the id before the expectation.
   */
  async publishRaw(e: { id: string; subject: string; version: number; payload: unknown; traceId?: string }, options: { expectLastMsgId?: string } = {}) {
    const { data, headers } = encodeEvent(e);
    const ack = await this.js.publish(this.naming.subject(e.subject), data, {
      msgID: e.id,
      headers,
      ...(options.expectLastMsgId === undefined ? {} : { expect: { lastMsgID: options.expectLastMsgId } }),
    });
    published.inc({ subject: e.subject, duplicate: String(ack.duplicate) });
    return { stream: ack.stream, seq: ack.seq, duplicate: ack.duplicate };
  }
}
