// The in-memory stand-in for a service's Postgres store, shared by the packages' test stores (InMemorySweepStore,
// InMemoryDepositStore): transactions run one at a time on a copy of the state that replaces it only on commit
// (a throw leaves nothing behind, as a rollback would), and events go to an outbox array once per id (the outbox
// table's unique event_id).
import { validatePayload, type EventDefinition, type EventPayload } from './catalog.js';

/** An event as the in-memory outbox holds it. */
export interface StoredEvent {
  id: string;
  subject: string;
  payload: unknown;
}

/** Validates the payload like enqueueEvent and appends it, unless an event with its id is there already. */
export function emitToMemoryOutbox<E extends EventDefinition>(outbox: StoredEvent[], event: E, payload: EventPayload<E>): void {
  const valid = validatePayload(event, payload);
  const id = event.id(valid);
  if (!outbox.some((e) => e.id === id)) outbox.push({ id, subject: event.subject, payload: valid });
}

/**
 * Copy-on-write, serialised transactions over a state that holds its own outbox. The state must be
 * structuredClone-able (Maps, arrays, bigints and plain objects are).
 */
export class MemoryTransactions<S extends { outbox: StoredEvent[] }> {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private committed: S) {}

  /** The committed state (read it, do not change it). */
  get state(): S {
    return this.committed;
  }

  get outbox(): readonly StoredEvent[] {
    return this.committed.outbox;
  }

  /** Runs `fn` on a draft of the state after every earlier transaction; the draft becomes the state if `fn` resolves. */
  run<T>(fn: (draft: S) => Promise<T>): Promise<T> {
    const run = this.queue.then(async () => {
      const draft = structuredClone(this.committed);
      const result = await fn(draft);
      this.committed = draft;
      return result;
    });
    this.queue = run.catch(() => undefined);
    return run;
  }
}
