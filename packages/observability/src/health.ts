import type { Pool } from 'pg';
import type { Redis } from 'ioredis';
import type { NatsConnection } from '@nats-io/transport-node';

/** A readiness dependency: resolves true when usable. Checks must be quick and never throw. */
export interface HealthCheck {
  name: string;
  check(): Promise<boolean>;
}

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, { ok: boolean; error?: string }>;
}

const CHECK_TIMEOUT_MS = 2_000;

export async function runChecks(checks: readonly HealthCheck[]): Promise<ReadinessReport> {
  const results = await Promise.all(
    checks.map(async (c) => {
      try {
        const ok = await withTimeout(c.check(), CHECK_TIMEOUT_MS);
        return [c.name, ok ? { ok } : { ok, error: 'check failed' }] as const;
      } catch (err) {
        return [c.name, { ok: false, error: (err as Error).message }] as const;
      }
    }),
  );
  const report: ReadinessReport = { ready: results.every(([, r]) => r.ok), checks: {} };
  for (const [name, r] of results) report.checks[name] = r;
  return report;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    p.then(
      (v) => (clearTimeout(t), resolve(v)),
      (e) => (clearTimeout(t), reject(e)),
    );
  });
}

export function postgresCheck(pool: Pool): HealthCheck {
  return {
    name: 'postgres',
    async check() {
      const r = await pool.query('SELECT 1 AS ok');
      return r.rows[0]?.ok === 1;
    },
  };
}

export function natsCheck(getConnection: () => NatsConnection | undefined): HealthCheck {
  return {
    name: 'nats',
    async check() {
      const nc = getConnection();
      if (!nc || nc.isClosed()) return false;
      // A round trip to the server: a connection object can look open while the server is gone.
      await nc.flush();
      return true;
    },
  };
}

export function redisCheck(redis: Redis): HealthCheck {
  return {
    name: 'redis',
    async check() {
      return (await redis.ping()) === 'PONG';
    },
  };
}
