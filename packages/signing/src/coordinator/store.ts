// What the coordinator's signing loop keeps: signature requests, their attempts and ROAST sessions, every signer
// response, and misbehaviour with its signing.misbehaviour event. The app implements it on Postgres; the in-memory
// store (memory-store.ts) is the reference the parity test holds the Postgres one to.
import type { EventPayload, signingMisbehaviour } from '@tapbridge/messaging';
import type { SigningRequestWire } from '../request.js';

export type RequestStatus = 'pending' | 'signed' | 'failed';

export interface RequestRow {
  id: string;
  purpose: string;
  request: SigningRequestWire;
  message: string;
  outputKey: string;
  status: RequestStatus;
  attempt: number;
  signature: string | null;
  signers: number[] | null;
  error: string | null;
  createdAt: Date;
  completedAt: Date | null;
}

export type ResponseKind = 'nonce' | 'partial' | 'refusal' | 'misbehaviour' | 'error' | 'timeout';

export interface ResponseRow {
  attempt: number;
  signer: number;
  kind: ResponseKind;
  roastSession: number | null;
  pubnonce: string | null;
  detail: string | null;
  at: Date;
}

export interface SessionRow {
  attempt: number;
  roastSession: number;
  signers: number[];
  pubnonces: string[];
  startedAt: Date;
}

export interface NewRequest {
  id: string;
  purpose: string;
  request: SigningRequestWire;
  message: string;
  outputKey: string;
}

export interface ResponseFields {
  roastSession?: number;
  pubnonce?: string;
  detail?: string;
}

export type MisbehaviourEvent = EventPayload<typeof signingMisbehaviour>;

/** The request, attempt and ROAST session a misbehaviour happened in (none for a DKG or transport-level fault). */
export interface MisbehaviourContext {
  requestId: string;
  attempt: number;
  roastSession?: number;
}

export interface SigningStore {
  createRequest(r: NewRequest): Promise<void>;
  request(id: string): Promise<RequestRow | undefined>;
  /** Newest first, at most `limit`. */
  requests(limit: number, status?: RequestStatus): Promise<RequestRow[]>;
  /** Pending request ids, oldest first. */
  pendingIds(): Promise<string[]>;
  /** Starts the next attempt of a pending request and returns its number (1 for the first). Throws if not pending. */
  nextAttempt(id: string): Promise<number>;
  /** Only a pending request changes: a late second outcome is ignored. */
  complete(id: string, signature: string, signers: number[]): Promise<void>;
  fail(id: string, error: string): Promise<void>;
  /** Idempotent per (request, attempt, ROAST session). */
  recordSession(id: string, attempt: number, roastSession: number, signers: number[], pubnonces: string[], aggnonce: string): Promise<void>;
  recordResponse(id: string, attempt: number, signer: number, kind: ResponseKind, fields?: ResponseFields): Promise<void>;
  /**
   * Counts the misbehaviour against the signer, queues its signing.misbehaviour event and, with a context, adds a
   * 'misbehaviour' response, all at once. An event already recorded (same event id) changes nothing.
   */
  recordMisbehaviour(event: MisbehaviourEvent, context?: MisbehaviourContext): Promise<void>;
  /** By attempt, then ROAST session. */
  sessions(id: string): Promise<SessionRow[]>;
  /** In the order recorded. */
  responses(id: string): Promise<ResponseRow[]>;
  misbehaviourCounts(): Promise<Map<number, { count: number; last: string | null }>>;
}
