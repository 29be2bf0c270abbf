import { DiscardPolicy, RetentionPolicy, StorageType, type JetStreamManager, type StreamConfig } from '@nats-io/jetstream';
import { STREAMS, type Naming, type StreamName } from './catalog.js';

const NANOS_PER_MS = 1_000_000;

export interface StreamSettings {
  /** How long JetStream remembers a Nats-Msg-Id to drop a re-publish. The inbox covers anything older. */
  duplicateWindowMs: number;
  maxAgeMs: number;
}

const DEFAULTS: StreamSettings = { duplicateWindowMs: 60 * 60_000, maxAgeMs: 30 * 24 * 60 * 60_000 };

/**
 * Creates or updates every stream of the catalog, plus the dead-letter stream. Safe to run on every start-up by
 * every replica: an existing stream is updated in place to the declared config.
 */
export async function ensureStreams(
  jsm: JetStreamManager,
  naming: Naming,
  settings: Partial<StreamSettings> = {},
  /** Only these (a service's own, packages/messaging/src/permissions.ts streamsOf); default every stream. */
  only?: ReadonlyArray<StreamName | 'DLQ'>,
): Promise<string[]> {
  const s = { ...DEFAULTS, ...settings };
  const configs: Array<Partial<StreamConfig> & { name: string; subjects: string[] }> = [
    ...(Object.keys(STREAMS) as StreamName[]).map((name) => ({
      name: naming.stream(name),
      subjects: STREAMS[name].map((subj) => naming.subject(subj)),
    })),
    { name: naming.stream('DLQ'), subjects: [naming.subject('dlq.>')] },
  ].filter((c) => !only || only.some((n) => naming.stream(n) === c.name));
  for (const c of configs) {
    const config = {
      ...c,
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      discard: DiscardPolicy.Old,
      duplicate_window: s.duplicateWindowMs * NANOS_PER_MS,
      max_age: s.maxAgeMs * NANOS_PER_MS,
    };
    try {
      await jsm.streams.info(c.name);
      await jsm.streams.update(c.name, config);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      try {
        await jsm.streams.add(config);
      } catch (addErr) {
        // Another replica created it between our info and add.
        if (!/already in use|exists/i.test((addErr as Error).message)) throw addErr;
      }
    }
  }
  return configs.map((c) => c.name);
}

function isNotFound(err: unknown): boolean {
  const e = err as { message?: string; code?: string; api_error?: { err_code?: number } };
  return /not found/i.test(e.message ?? '') || e.api_error?.err_code === 10059;
}

/** Removes every stream under a prefix (test clean-up). */
export async function deleteStreams(jsm: JetStreamManager, naming: Naming): Promise<void> {
  for (const name of [...(Object.keys(STREAMS) as StreamName[]).map((n) => naming.stream(n)), naming.stream('DLQ')]) {
    await jsm.streams.delete(name).catch(() => false);
  }
}
