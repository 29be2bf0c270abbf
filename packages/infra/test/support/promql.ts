// Metric names a PromQL expression reads, from the real PromQL grammar (Prometheus' own lezer parser), so a label
// value, a function name or a `by (...)` label is never mistaken for a metric.
import { parser } from '@prometheus-io/lezer-promql';

export class PromqlSyntaxError extends Error {
  constructor(
    readonly expr: string,
    readonly at: number,
  ) {
    super(`PromQL syntax error at ${at}: ${expr.slice(Math.max(0, at - 20), at)}⟨here⟩${expr.slice(at, at + 20)}`);
    this.name = 'PromqlSyntaxError';
  }
}

/** Grafana's variables are not PromQL: ranges become a duration, anything else a plain word, before parsing. */
export function substituteGrafanaVariables(expr: string): string {
  return expr
    .replace(/\$(__rate_interval|__interval|__range)\b|\$\{(__rate_interval|__interval|__range)\}/g, '5m')
    .replace(/\$\{[a-zA-Z_][a-zA-Z0-9_]*(:[a-z]+)?\}|\$[a-zA-Z_][a-zA-Z0-9_]*/g, 'var');
}

/** Every metric name selected in `expr` (vector and range selectors). Throws PromqlSyntaxError on a bad query. */
export function metricNamesIn(expr: string): string[] {
  const tree = parser.parse(expr);
  const names = new Set<string>();
  let errorAt: number | undefined;
  tree.iterate({
    enter(node) {
      if (node.type.isError && errorAt === undefined) errorAt = node.from;
      if (node.name === 'VectorSelector') {
        const id = node.node.getChild('Identifier');
        if (id) names.add(expr.slice(id.from, id.to));
      }
    },
  });
  if (errorAt !== undefined) throw new PromqlSyntaxError(expr, errorAt);
  return [...names].sort();
}
