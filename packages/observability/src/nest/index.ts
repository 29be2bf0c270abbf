export { ObservabilityModule, HealthController, MetricsController, HEALTH_CHECKS } from './observability.module.js';
