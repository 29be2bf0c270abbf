// Test file order for the whole run: longest first, so the two workers finish together. The end-to-end files (each
// starts real services, minutes each) dominate the run; left to vitest's default on a clean CI clone (no duration
// cache: larger files first), a short-sourced but long-running e2e file such as the chaos smoke run started last and
// ran alone while the other worker sat idle. With a duration cache (local re-runs), vitest's own order is kept inside
// each group.
import { BaseSequencer, type TestSpecification } from 'vitest/node';

// Both namings in use: `<name>.e2e.test.ts` and `test/e2e.test.ts`.
const isEndToEnd = (spec: TestSpecification): boolean => /(^|[/.])e2e\.test\.ts$/.test(spec.moduleId);

export default class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    // A stable partition: e2e files first, each group in vitest's order (cached durations, else size).
    return [...sorted.filter(isEndToEnd), ...sorted.filter((f) => !isEndToEnd(f))];
  }
}
