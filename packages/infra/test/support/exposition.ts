// The series names a Prometheus text exposition (GET /metrics) offers, from its `# TYPE` lines: a metric family is
// declared there even before any sample is recorded (prom-client prints HELP/TYPE for every registered metric).

const SUFFIXES: Record<string, readonly string[]> = {
  counter: [''],
  gauge: [''],
  untyped: [''],
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['', '_sum', '_count'],
};

export function exportedSeriesNames(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const line of exposition.split('\n')) {
    const m = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (\w+)$/.exec(line.trim());
    if (!m) continue;
    const [, family, type] = m as unknown as [string, string, string];
    const suffixes = SUFFIXES[type];
    if (!suffixes) throw new Error(`unknown metric type ${type} for ${family}`);
    for (const s of suffixes) names.add(family + s);
  }
  return names;
}
