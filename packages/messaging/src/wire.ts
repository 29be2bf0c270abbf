import { headers as natsHeaders, type MsgHdrs } from '@nats-io/nats-core';
import type { EventCatalog, EventDefinition, Naming } from './catalog.js';
import { validatePayload } from './catalog.js';
import { InvalidEventError, UnknownEventError } from './errors.js';

/** Header names carried on every event besides Nats-Msg-Id. */
export const HEADER = { eventId: 'Tb-Event-Id', version: 'Tb-Event-Version', traceId: 'Tb-Trace-Id' } as const;

export interface WireEvent {
  id: string;
  subject: string;
  version: number;
  payload: unknown;
  traceId?: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export function encodeEvent(e: WireEvent): { data: Uint8Array; headers: MsgHdrs } {
  const h = natsHeaders();
  h.set(HEADER.eventId, e.id);
  h.set(HEADER.version, String(e.version));
  if (e.traceId) h.set(HEADER.traceId, e.traceId);
  return { data: encoder.encode(JSON.stringify(e.payload)), headers: h };
}

export interface DecodedEvent<P = unknown> {
  id: string;
  subject: string;
  definition: EventDefinition;
  payload: P;
  traceId?: string;
}

/** Parses and validates a message from the wire. Anything malformed throws (the consumer dead-letters it). */
export function decodeEvent(
  catalog: EventCatalog,
  naming: Naming,
  wireSubject: string,
  data: Uint8Array,
  hdrs: MsgHdrs | undefined,
): DecodedEvent {
  const subject = naming.unprefix(wireSubject);
  if (!catalog.has(subject)) throw new UnknownEventError(`no event ${subject} in the catalog`);
  const definition = catalog.get(subject);
  let json: unknown;
  try {
    json = JSON.parse(decoder.decode(data));
  } catch {
    throw new InvalidEventError(subject, ['payload is not valid UTF-8 JSON']);
  }
  const version = Number(hdrs?.get(HEADER.version) ?? NaN);
  if (version !== definition.version)
    throw new InvalidEventError(subject, [`version ${String(hdrs?.get(HEADER.version))} is not ${definition.version}`]);
  const payload = validatePayload(definition, json);
  const id = definition.id(payload);
  const claimed = hdrs?.get(HEADER.eventId);
  if (claimed && claimed !== id) throw new InvalidEventError(subject, [`event id header ${claimed} does not match payload id ${id}`]);
  const traceId = hdrs?.get(HEADER.traceId) || undefined;
  return { id, subject, definition, payload, ...(traceId ? { traceId } : {}) };
}
