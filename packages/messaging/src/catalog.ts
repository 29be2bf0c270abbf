import { z } from 'zod';
import { InvalidEventError, UnknownEventError } from './errors.js';

/**
 * An event type: subject, schema version, the schema of its JSON payload, and how its deterministic id is derived.
 * The id becomes `Nats-Msg-Id` (JetStream de-duplication) and the inbox key (exactly-once effects).
 */
export interface EventDefinition<S extends z.ZodType = z.ZodType> {
  subject: string;
  version: number;
  stream: StreamName;
  schema: S;
  id(payload: z.infer<S>): string;
}

export type EventPayload<E> = E extends EventDefinition<infer S> ? z.infer<S> : never;

export function defineEvent<S extends z.ZodType>(def: EventDefinition<S>): EventDefinition<S> {
  return def;
}

/** Streams group subjects by domain; the prefix (per environment / test run) is applied on top. */
export const STREAMS = {
  BTC: ['btc.>'],
  DEPOSIT: ['deposit.>'],
  WITHDRAWAL: ['withdrawal.>'],
  SIGNING: ['signing.>'],
  STAKE: ['stake.>'],
  CHANNEL: ['channel.>'],
  TEST: ['test.>'],
} as const;
export type StreamName = keyof typeof STREAMS;

/** Subjects and stream names after the deployment prefix is applied. */
export class Naming {
  constructor(readonly prefix: string) {
    if (!/^[a-z][a-z0-9_]*$/.test(prefix)) throw new Error(`invalid stream prefix ${JSON.stringify(prefix)}`);
  }
  subject(subject: string): string {
    return `${this.prefix}.${subject}`;
  }
  unprefix(wireSubject: string): string {
    return wireSubject.startsWith(`${this.prefix}.`) ? wireSubject.slice(this.prefix.length + 1) : wireSubject;
  }
  stream(name: StreamName | 'DLQ'): string {
    return `${this.prefix.toUpperCase()}_${name}`;
  }
  deadLetterSubject(consumer: string, subject: string): string {
    return `${this.prefix}.dlq.${consumer}.${subject}`;
  }
}

// ---- Field types shared by payloads (JSON on the wire: amounts are decimal strings, hashes lowercase hex) ----
export const hex32 = z.string().regex(/^[0-9a-f]{64}$/, 'must be 32 bytes of lowercase hex');
export const hexBytes = z.string().regex(/^(?:[0-9a-f]{2})*$/, 'must be lowercase hex');
export const satsAmount = z.string().regex(/^(0|[1-9][0-9]*)$/, 'must be a whole number of satoshis as a decimal string');
export const evmAddress = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'must be a 20-byte 0x address');
export const height = z.number().int().nonnegative();

export function validatePayload<E extends EventDefinition>(event: E, payload: unknown): EventPayload<E> {
  const parsed = event.schema.safeParse(payload);
  if (!parsed.success)
    throw new InvalidEventError(
      event.subject,
      parsed.error.issues.map((i) => `${i.path.join('.') || '(payload)'}: ${i.message}`),
    );
  return parsed.data as EventPayload<E>;
}

export class EventCatalog {
  private readonly bySubject = new Map<string, EventDefinition>();
  constructor(events: readonly EventDefinition[]) {
    for (const e of events) {
      if (this.bySubject.has(e.subject)) throw new Error(`event ${e.subject} defined twice`);
      this.bySubject.set(e.subject, e);
    }
  }
  get(subject: string): EventDefinition {
    const e = this.bySubject.get(subject);
    if (!e) throw new UnknownEventError(`no event ${subject} in the catalog`);
    return e;
  }
  has(subject: string): boolean {
    return this.bySubject.has(subject);
  }
  all(): EventDefinition[] {
    return [...this.bySubject.values()];
  }
}
