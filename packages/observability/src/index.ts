export { createLogger } from './logger.js';
export type { Logger } from './logger.js';
export { metricsRegistry, collectDefaultMetrics, counter, gauge, histogram, renderMetrics } from './metrics.js';
export type { Counter, Gauge, Histogram, Registry } from './metrics.js';
export { runChecks, postgresCheck, natsCheck, redisCheck } from './health.js';
export type { HealthCheck, ReadinessReport } from './health.js';
// NestJS pieces live in '@tapbridge/observability/nest' so plain scripts never load decorators.
