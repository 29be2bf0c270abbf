import client, { type Counter, type Gauge, type Histogram, type Registry } from 'prom-client';

export type { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The process-wide registry served on /metrics. Domain metrics are named `tapbridge_*`. */
export const metricsRegistry: Registry = client.register;

let defaultsCollected = false;
export function collectDefaultMetrics(): void {
  if (defaultsCollected) return;
  defaultsCollected = true;
  client.collectDefaultMetrics({ register: metricsRegistry });
}

type Labels<L extends string> = readonly L[];

// Getting the same metric twice returns the first one: modules and tests may be instantiated more than once in a
// process, and prom-client throws on a duplicate name.
function existing<T>(name: string): T | undefined {
  return metricsRegistry.getSingleMetric(name) as T | undefined;
}

export function counter<L extends string = never>(name: string, help: string, labelNames: Labels<L> = []): Counter<L> {
  return existing<Counter<L>>(name) ?? new client.Counter({ name, help, labelNames, registers: [metricsRegistry] });
}

export function gauge<L extends string = never>(name: string, help: string, labelNames: Labels<L> = []): Gauge<L> {
  return existing<Gauge<L>>(name) ?? new client.Gauge({ name, help, labelNames, registers: [metricsRegistry] });
}

export function histogram<L extends string = never>(
  name: string,
  help: string,
  labelNames: Labels<L> = [],
  buckets?: number[],
): Histogram<L> {
  return (
    existing<Histogram<L>>(name) ??
    new client.Histogram({ name, help, labelNames, registers: [metricsRegistry], ...(buckets ? { buckets } : {}) })
  );
}

export async function renderMetrics(): Promise<{ contentType: string; body: string }> {
  return { contentType: metricsRegistry.contentType, body: await metricsRegistry.metrics() };
}
