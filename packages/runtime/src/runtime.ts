import pg from 'pg';
import { Redis } from 'ioredis';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { migrate, serviceSchema } from '@tapbridge/db';
import {
  connectMessaging, DurableConsumer, ensureStreams, EventPublisher, natsClientOptions, OutboxRelay, roleOf, streamsOf, tapbridgeCatalog,
  withTransaction, type DurableConsumerOptions, type EventCatalog, type Messaging, type NatsCredentialSettings,
} from '@tapbridge/messaging';
import { API_KEYS_MIGRATIONS_DIR, API_KEYS_SCHEMA } from './api-keys.js';
import { httpSettingsFrom, type HttpConfig, type HttpSettings } from './http-settings.js';
import { createServicePool } from './pg-pool.js';
import { natsCheck, postgresCheck, redisCheck, type HealthCheck, type Logger } from '@tapbridge/observability';
import type { PoolClient } from 'pg';

/** The settings every service's config carries (packages/config commonServiceShape). */
export interface CommonServiceConfig extends NatsCredentialSettings, HttpConfig {
  DATABASE_URL: string;
  NATS_URL: string;
  REDIS_URL: string;
  STREAM_PREFIX: string;
}

export interface ServiceRuntimeOptions {
  service: string;
  /** The Postgres schema this service owns. */
  schema: string;
  databaseUrl: string;
  natsUrl: string;
  redisUrl: string;
  streamPrefix: string;
  logger: Logger;
  /** NATS credentials and TLS (packages/messaging natsClientOptions); default anonymous. */
  nats?: NatsCredentialSettings;
  /** HTTP limits, timeouts, CORS and rate limits for bootstrapService; default packages/config's defaults. */
  http?: HttpSettings;
  /** Apply the service's SQL migrations at start-up (the stack command does; production runs the migrate job). */
  migrationsDir?: string;
  catalog?: EventCatalog;
}

/**
 * Everything a tapbridge service process holds open: its Postgres pool, NATS/JetStream, Redis, the outbox relay and
 * its durable consumers. Start-up is ordered (migrate, connect, ensure streams, relay); shutdown is the reverse and
 * graceful (consumers finish the message in hand and hand back the rest, the relay finishes its pass).
 */
export class ServiceRuntime {
  private readonly consumers: DurableConsumer[] = [];
  private closed = false;

  private constructor(
    readonly options: ServiceRuntimeOptions,
    readonly pool: pg.Pool,
    readonly messaging: Messaging,
    readonly redis: Redis,
    readonly publisher: EventPublisher,
    readonly relay: OutboxRelay,
  ) {}

  get logger(): Logger {
    return this.options.logger;
  }
  get http(): HttpSettings {
    return this.options.http ?? httpSettingsFrom({});
  }
  get schema(): string {
    return this.options.schema;
  }
  get catalog(): EventCatalog {
    return this.options.catalog ?? tapbridgeCatalog;
  }

  /**
   * Starts the runtime of app `service` from its validated config: the schema is the app's own (serviceSchema) and
   * its checked-in migrations (`<app>/prisma/migrations`, found next to the built main module) are applied first.
   */
  static startService(o: {
    service: string;
    /** Distinguishes replicas that share the app's schema in logs and connection names (signer 1..n). */
    instance?: string;
    config: CommonServiceConfig;
    logger: Logger;
    mainModuleUrl: string;
    catalog?: EventCatalog;
  }): Promise<ServiceRuntime> {
    const migrationsDir = fileURLToPath(new URL('../prisma/migrations', o.mainModuleUrl));
    return ServiceRuntime.start({
      service: o.instance ? `${o.service}-${o.instance}` : o.service,
      schema: serviceSchema(o.service),
      databaseUrl: o.config.DATABASE_URL,
      natsUrl: o.config.NATS_URL,
      redisUrl: o.config.REDIS_URL,
      streamPrefix: o.config.STREAM_PREFIX,
      logger: o.logger,
      nats: o.config,
      http: httpSettingsFrom(o.config),
      ...(existsSync(migrationsDir) ? { migrationsDir } : {}),
      ...(o.catalog ? { catalog: o.catalog } : {}),
    });
  }

  static async start(o: ServiceRuntimeOptions): Promise<ServiceRuntime> {
    if (o.migrationsDir) {
      const res = await migrate({ databaseUrl: o.databaseUrl, schema: o.schema, migrationsDir: o.migrationsDir, log: (l) => o.logger.info(l) });
      o.logger.info({ applied: res.applied.length, alreadyApplied: res.alreadyApplied.length }, 'migrations up to date');
      // API keys (packages/runtime api-keys) live in one schema of the service's database, shared by its services.
      await migrate({ databaseUrl: o.databaseUrl, schema: API_KEYS_SCHEMA, migrationsDir: API_KEYS_MIGRATIONS_DIR, log: (l) => o.logger.info(l) });
    }
    const pool = createServicePool({ connectionString: o.databaseUrl, max: 10 }, (err, where) => o.logger.warn({ err, where }, 'Postgres connection failed'));
    const messaging = await connectMessaging({ url: o.natsUrl, prefix: o.streamPrefix, name: o.service, ...natsClientOptions(o.service, o.nats ?? {}) });
    // A service known to the NATS permissions creates only the streams it may (signers: none); others all of them.
    const role = roleOf(o.service);
    await ensureStreams(messaging.jsm, messaging.naming, {}, role ? streamsOf(role) : undefined);
    const redis = new Redis(o.redisUrl, { maxRetriesPerRequest: 2, lazyConnect: false });
    redis.on('error', (err) => o.logger.warn({ err: err.message }, 'Redis connection error'));
    const publisher = new EventPublisher(messaging.js, messaging.naming);
    const relay = new OutboxRelay({ pool, schema: o.schema, publisher, logger: o.logger });
    relay.start();
    o.logger.info({ service: o.service, schema: o.schema, prefix: o.streamPrefix }, 'runtime started');
    return new ServiceRuntime(o, pool, messaging, redis, publisher, relay);
  }

  checks(): HealthCheck[] {
    return [postgresCheck(this.pool), natsCheck(() => this.messaging.nc), redisCheck(this.redis)];
  }

  /** A state change plus its outbox events in one transaction; the relay is woken once it commits. */
  async transaction<T>(fn: (tx: PoolClient) => Promise<T>): Promise<T> {
    const result = await withTransaction(this.pool, fn);
    this.relay.wake();
    return result;
  }

  async consume(o: Omit<DurableConsumerOptions, 'messaging' | 'catalog' | 'logger'>): Promise<DurableConsumer> {
    const consumer = new DurableConsumer({ messaging: this.messaging, catalog: this.catalog, logger: this.logger, ...o });
    await consumer.start();
    this.consumers.push(consumer);
    return consumer;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.logger.info('shutting down: stopping consumers');
    await Promise.all(this.consumers.map((c) => c.stop()));
    await this.relay.stop();
    await this.messaging.close();
    this.redis.disconnect();
    await this.pool.end();
    this.logger.info('shutdown complete');
  }
}
