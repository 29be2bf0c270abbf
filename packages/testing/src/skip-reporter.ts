import type { Reporter, TestModule } from 'vitest/node';

/**
 * Prints every skipped test with its reason at the end of a run, so no skip is silent. The reason is the note given
 * to `ctx.skip(note)`, else the name of the skipped test or suite, which by convention says what it needs
 * ("… (needs ../shared/bitcoin-data)"). `todo` tests are listed too.
 */
export default class SkipReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const lines: string[] = [];
    for (const mod of testModules) {
      for (const test of mod.children.allTests()) {
        const result = test.result();
        if (result.state !== 'skipped') continue;
        const reason = result.note ?? skipReasonFromNames(test.fullName);
        lines.push(`  ${mod.relativeModuleId} > ${test.fullName}${reason ? `\n      reason: ${reason}` : '\n      reason: NOT GIVEN (name the need in the test or use ctx.skip(note))'}`);
      }
    }
    if (lines.length === 0) return;
    console.log(`\n${lines.length} skipped test(s):\n${lines.join('\n')}\n`);
  }
}

function skipReasonFromNames(fullName: string): string | undefined {
  const match = /\(((?:needs|skipped|requires|only)[^)]*)\)/i.exec(fullName);
  return match?.[1];
}
